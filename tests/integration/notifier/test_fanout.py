"""Every incident event reaches each matching webhook subscriber, signed, and the people notified by email."""

import asyncio
import uuid

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import text

from scripts.devstack.ports import free_port
from services.incident_management import repository as incident_repo
from shared.events import make_event
from tests.integration.notifier.conftest import (
    MailBox,
    alert,
    created_event_ids,
    emit_event,
    eventually,
    unique_stream,
)
from tests.integration.servers import dead_target

pytestmark = pytest.mark.integration

ALL_TYPES = {
    "incident.triggered",
    "incident.reassigned",
    "incident.annotated",
    "incident.acknowledged",
    "incident.escalated",
    "incident.resolved",
}


# On-call never answers within the inline paging's time: the retry worker pages the new incident, and its
# assignment is an event of its own, after `incident.triggered`; paged in the ingest transaction, the two
# are one event (the last test here).
AFTER_COMMIT = {"inline_paging_timeout_seconds": 1e-6}


async def run_lifecycle(incidents, service: str) -> str:
    """Trigger (and assign), annotate, acknowledge, escalate and resolve one incident; returns its id."""
    incident_id = (await incidents.grpc.IngestAlert(alert(service))).incident_id
    await eventually(lambda: _assigned(incidents, incident_id), within=10)  # emits incident.reassigned
    patch = await incidents.http.patch(f"/api/v1/incidents/{incident_id}", json={"note": "looking"})
    assert patch.status_code == 200, patch.text
    assert (await incidents.http.post(f"/api/v1/incidents/{incident_id}/acknowledge")).status_code == 200
    await emit_event(incidents, incident_id, "incident.escalated")
    assert (await incidents.http.post(f"/api/v1/incidents/{incident_id}/resolve")).status_code == 200
    return incident_id


async def _assigned(incidents, incident_id: str) -> bool:
    body = (await incidents.http.get(f"/api/v1/incidents/{incident_id}")).json()
    return body["assigned_to"] is not None


async def test_each_event_type_reaches_each_matching_subscriber_and_the_assignee_by_email(
    start_incident_stack, start_notifier, start_receiver, oncall, smtp
):
    service, other_service = f"svc-{uuid.uuid4().hex[:8]}", f"svc-{uuid.uuid4().hex[:8]}"
    user = await oncall.user("Alice")
    team = await oncall.team(service)
    await oncall.rotation(team["id"], [user["id"]])
    stream = unique_stream()
    incidents = await start_incident_stack(
        events_stream=stream, oncall_grpc_target=oncall.grpc_target, **AFTER_COMMIT
    )
    notifier = await start_notifier(
        events_stream=stream,
        oncall_grpc_target=oncall.grpc_target,
        incident_grpc_target=incidents.grpc_target,
        smtp_port=smtp.port,
    )
    everything, resolved_only, other, by_team = [await start_receiver() for _ in range(4)]
    await notifier.subscribe(everything)
    await notifier.subscribe(resolved_only, event_types=["incident.resolved"])
    await notifier.subscribe(other, services=[other_service])
    await notifier.subscribe(by_team, teams=[team["name"]])

    incident_id = await run_lifecycle(incidents, service)
    created = await created_event_ids(incidents, [incident_id])
    assert len(created) == len(ALL_TYPES)

    ours = [incident_id]
    await eventually(lambda: everything.event_ids_for(ours) == created == by_team.event_ids_for(ours))
    await eventually(lambda: len(resolved_only.requests_for(ours)) == 1)
    assert everything.types_of(incident_id) == by_team.types_of(incident_id) == ALL_TYPES
    assert resolved_only.types_of(incident_id) == {"incident.resolved"}
    for received in [*everything.requests, *by_team.requests, *resolved_only.requests]:
        assert received.verified and received.event["id"] == received.event_id
    assert len(everything.requests_for(ours)) == len(created)  # each delivered once when nothing failed
    assert other.requests == []

    # The assignee is mailed every event from the assignment on (triggered had no assignee yet).
    mails = await eventually(lambda: len(smtp.to(user["email"])) >= 5 and smtp.to(user["email"]))
    subjects = sorted(m["Subject"] for m in mails)
    assert len(mails) == 5, subjects
    assert any("Resolved: disk full" in s for s in subjects)
    message = next(m for m in mails if "Resolved" in m["Subject"])
    parts = {
        part.get_content_type(): part.get_payload(decode=True).decode()
        for part in message.walk()
        if not part.is_multipart()
    }
    link = f"{notifier.settings.public_base_url}/incidents/{incident_id}"
    assert link in parts["text/plain"] and f'href="{link}"' in parts["text/html"]


async def test_user_notification_rules_decide_which_events_are_mailed(
    start_incident_stack, start_notifier, oncall, smtp
):
    service = f"svc-{uuid.uuid4().hex[:8]}"
    picky = await oncall.user("Picky", notify_event_types=["incident.resolved"])
    team = await oncall.team(service)
    await oncall.rotation(team["id"], [picky["id"]])
    stream = unique_stream()
    incidents = await start_incident_stack(
        events_stream=stream, oncall_grpc_target=oncall.grpc_target, **AFTER_COMMIT
    )
    notifier = await start_notifier(
        events_stream=stream,
        oncall_grpc_target=oncall.grpc_target,
        smtp_port=smtp.port,
        oncall_cache_seconds=0.5,
    )
    incident_id = await run_lifecycle(incidents, service)
    await eventually(lambda: len(smtp.to(picky["email"])) == 1)

    off = await oncall.http.patch(f"/api/v1/users/{picky['id']}", json={"email_notifications": False})
    assert off.status_code == 200 and off.json()["email_notifications"] is False
    await asyncio.sleep(
        0.6
    )  # the rules the notifier read are kept ONCALL_CACHE_SECONDS: a change counts after
    second = await run_lifecycle(incidents, service)
    statuses = await eventually(lambda: _email_statuses(notifier, [incident_id, second]))
    assert statuses == {"sent": 1, "skipped": 9}
    assert len(smtp.to(picky["email"])) == 1


async def _email_statuses(notifier, incident_ids: list[str]) -> dict[str, int] | None:
    async with notifier.runtime.engine.connect() as connection:
        rows = (
            await connection.execute(
                text(
                    "SELECT status, count(*) FROM email_notifications"
                    " WHERE payload->'data'->>'id' = ANY(:ids) GROUP BY status"
                ),
                {"ids": incident_ids},
            )
        ).all()
    statuses = {status: count for status, count in rows}
    return None if "pending" in statuses or sum(statuses.values()) < 10 else statuses


async def test_mail_waits_for_smtp_and_escalation_targets_are_mailed(start_incident_stack, start_notifier):
    """SMTP down at first, on-call down throughout: retried until the server is up, then sent anyway."""
    stream, port = unique_stream(), free_port()
    incidents = await start_incident_stack(events_stream=stream)
    await start_notifier(
        events_stream=stream, smtp_port=port, email_rules_wait_seconds=0.5, oncall_grpc_target=dead_target()
    )
    incident_id = (await incidents.grpc.IngestAlert(alert(f"svc-{uuid.uuid4().hex[:8]}"))).incident_id
    detail = (await incidents.http.get(f"/api/v1/incidents/{incident_id}")).json()
    targets = [{"name": "Bob", "email": "bob@example.com"}, {"name": "Carol", "email": "carol@example.com"}]
    data = {k: v for k, v in detail.items() if k not in ("alerts", "timeline")} | {
        "escalation_targets": targets
    }
    async with incidents.runtime.commands.sessions.begin() as session:
        incident_repo.create_outbox_event(session, event=make_event("incident.escalated", data))
    incidents.runtime.relay.wake()

    await asyncio.sleep(1.0)  # attempts fail: nothing listens on the SMTP port yet
    box = MailBox()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        await eventually(lambda: len(box.messages) == 2)
    finally:
        controller.stop()
    assert {m["X-Envelope-To"] for m in box.messages} == {"bob@example.com", "carol@example.com"}
    assert all("Escalated" in m["Subject"] for m in box.messages)


async def test_an_incident_paged_as_it_opens_is_announced_once_to_subscribers_and_the_assignee(
    start_incident_stack, start_notifier, start_receiver, oncall, smtp
):
    """Paged in the ingest transaction: subscribers to every type get `incident.triggered` naming the
    assignee, and no `incident.reassigned`; the assignee gets one email, "Triggered"."""
    service = f"svc-{uuid.uuid4().hex[:8]}"
    user = await oncall.user("Alice")
    await oncall.rotation((await oncall.team(service))["id"], [user["id"]])
    stream = unique_stream()
    incidents = await start_incident_stack(
        events_stream=stream,
        oncall_grpc_target=oncall.grpc_target,
        inline_paging_timeout_seconds=10,  # time for a first on-call call on a loaded machine
        oncall_timeout_seconds=5,
    )
    notifier = await start_notifier(
        events_stream=stream, oncall_grpc_target=oncall.grpc_target, smtp_port=smtp.port
    )
    everything = await start_receiver()
    await notifier.subscribe(everything)

    incident_id = (await incidents.grpc.IngestAlert(alert(service))).incident_id
    assert await _assigned(incidents, incident_id)  # paged before the call returned
    [received] = await eventually(lambda: everything.requests_for([incident_id]))
    assert received.verified and received.event["type"] == "incident.triggered"
    assert received.event["data"]["assignee"]["id"] == user["id"]
    [mail] = await eventually(lambda: smtp.to(user["email"]))
    assert "Triggered: disk full" in mail["Subject"]
    await asyncio.sleep(0.5)  # nothing else comes: one event, one email
    assert len(everything.requests_for([incident_id])) == 1 and len(smtp.to(user["email"])) == 1
    assert await created_event_ids(incidents, [incident_id]) == {received.event["id"]}
