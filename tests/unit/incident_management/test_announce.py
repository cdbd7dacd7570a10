"""A new incident paged in the transaction that opened it is announced by one event (pure: queued rows)."""

from services.incident_management import repository as repo
from services.incident_management.domain import announce_paged_with_trigger
from shared.db import DriverWork
from shared.events import make_event


def queue(work: DriverWork, event_type: str, incident: str, **data) -> dict:
    event = make_event(event_type, {"id": incident, **data})
    repo.create_outbox_event(work, event=event)
    return event


def queued(work: DriverWork) -> list[tuple[str, str, dict]]:
    rows = repo.queued_outbox_rows(work)
    return [(r["payload"]["type"], r["payload"]["data"]["id"], r["payload"]) for r in rows]


def test_an_assignment_right_after_the_trigger_is_folded_into_it():
    work = DriverWork()
    a = queue(work, "incident.triggered", "a", assignee=None)
    b = queue(work, "incident.triggered", "b", assignee=None)
    queue(work, "incident.reassigned", "b", assignee={"id": "bob"}, escalation_targets=[{"id": "bob"}])
    queue(work, "incident.reassigned", "a", assignee={"id": "alice"})
    announce_paged_with_trigger(work)
    rows = queued(work)
    assert [(t, i) for t, i, _ in rows] == [("incident.triggered", "a"), ("incident.triggered", "b")]
    first, second = rows[0][2], rows[1][2]
    assert (first["id"], first["time"], first["data"]["assignee"]) == (a["id"], a["time"], {"id": "alice"})
    assert (second["id"], second["data"]["escalation_targets"]) == (b["id"], [{"id": "bob"}])
    assert [str(r["event_id"]) for r in repo.queued_outbox_rows(work)] == [a["id"], b["id"]]


def test_events_in_between_or_without_a_trigger_here_are_left_alone():
    work = DriverWork()
    queue(work, "incident.triggered", "a", assignee=None)
    queue(work, "incident.resolved", "a", assignee=None)
    queue(work, "incident.reassigned", "a", assignee={"id": "alice"})  # after the resolve: its own event
    queue(work, "incident.reassigned", "c", assignee={"id": "carol"})  # opened by an earlier transaction
    queue(work, "incident.escalated", "d", assignee={"id": "dan"})
    before = queued(work)
    announce_paged_with_trigger(work)
    assert queued(work) == before
