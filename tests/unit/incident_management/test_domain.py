"""Incident rules (pure)."""

import uuid
from datetime import UTC, datetime

import pytest

from services.incident_management.domain import (
    Added,
    announce_once,
    check_transition,
    correlation_cutoff,
    update,
)
from services.incident_management.models import Incident
from services.incident_management.schemas import IncidentPatch
from shared.errors import Conflict


@pytest.mark.parametrize(
    ("current", "target"), [("open", "acknowledged"), ("open", "resolved"), ("acknowledged", "resolved")]
)
def test_lifecycle_moves_forward(current, target):
    check_transition(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("acknowledged", "acknowledged"),
        ("resolved", "resolved"),
        ("resolved", "acknowledged"),
        ("acknowledged", "open"),
        ("open", "open"),
    ],
)
def test_illegal_moves_are_conflicts(current, target):
    with pytest.raises(Conflict) as error:
        check_transition(current, target)
    assert error.value.http_status == 409 and error.value.field == "status"


def test_correlation_window_counts_back_from_now():
    now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    assert correlation_cutoff(now, 300) == datetime(2026, 11, 24, 11, 55, tzinfo=UTC)


def _incident() -> Incident:
    created = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    return Incident(
        id=uuid.uuid4(),
        title="disk full",
        service="db",
        severity="critical",
        status="open",
        alert_count=1,
        duplicate_count=0,
        created_at=created,
        updated_at=created,
        assignment_pending=False,
        escalation_level=0,
        escalation_cycle=0,
    )


def test_a_patch_adds_its_note_then_assigns_then_moves_the_status():
    incident, added = _incident(), Added()
    now = datetime(2026, 11, 24, 12, 5, tzinfo=UTC)
    user = uuid.uuid4()
    patch = IncidentPatch(note="on it", assigned_to=user, status="acknowledged")
    update(added, incident, patch, actor="Rex", now=now, ack_timeout=60)
    assert [e.kind for e in added.timeline()] == ["note", "assigned", "acknowledged"]
    assert [e["type"] for e in added.events()] == [
        "incident.annotated",
        "incident.reassigned",
        "incident.acknowledged",
    ]
    assert incident.status == "acknowledged" and incident.assigned_to == user
    assert incident.mtta_seconds == 300.0 and incident.acknowledged_by == "Rex"
    assert incident.next_escalation_at == datetime(2026, 11, 24, 12, 6, tzinfo=UTC)  # the ack timeout


def test_a_patch_back_to_open_is_a_conflict():
    with pytest.raises(Conflict) as error:
        update(
            Added(),
            _incident(),
            IncidentPatch(status="open"),
            actor="Rex",
            now=datetime.now(UTC),
            ack_timeout=0,
        )
    assert error.value.field == "status"


def _event(kind: str, incident_id: str, **data: object) -> dict:
    return {"id": str(uuid.uuid4()), "type": kind, "data": {"id": incident_id, **data}}


def test_paging_folds_its_reassignment_into_the_new_incidents_triggered_event():
    triggered = _event("incident.triggered", "a", assigned_to=None)
    paged = _event("incident.reassigned", "a", assigned_to="u1")
    [event] = announce_once([triggered], [paged])
    assert event["id"] == triggered["id"] and event["type"] == "incident.triggered"
    assert event["data"]["assigned_to"] == "u1"


def test_a_reassignment_after_another_event_of_the_incident_is_kept_apart():
    triggered, resolved = _event("incident.triggered", "a"), _event("incident.resolved", "a")
    paged = _event("incident.reassigned", "a")
    assert announce_once([triggered, resolved], [paged]) == [triggered, resolved, paged]
