"""Manual escalation actions: un-acknowledge, escalate now, reassign, snooze; each a change of an incident
the caller has locked (`domain.change`).

Actions that need a page set the deadline to now and leave the paging to the escalation worker, so
every page goes through the same exactly-once claim.
"""

import uuid
from datetime import datetime, timedelta

from services.incident_management import domain
from services.incident_management.escalation import EscalationSettings, reopen, restart
from services.incident_management.models import Incident
from shared import events
from shared.db import Writes
from shared.errors import Conflict, InvalidInput
from shared.timeutil import rfc3339


def _not_resolved(incident: Incident, action: str) -> None:
    if incident.status == "resolved":
        raise Conflict(f"cannot {action} a resolved incident", field="status")


def unacknowledge(writes: Writes, incident: Incident, *, actor: str, now: datetime) -> None:
    if incident.status != "acknowledged":
        raise Conflict(f"cannot un-acknowledge an incident that is {incident.status}", field="status")
    reopen(writes, incident, actor=actor, reason=f"Un-acknowledged by {actor}", now=now)


def request_escalation(writes: Writes, incident: Incident, *, actor: str, now: datetime) -> None:
    """Escalate now: the worker pages the next level at once (an acknowledged incident re-opens)."""
    _not_resolved(incident, "escalate")
    if incident.escalation_policy_id is None:
        raise Conflict(
            "incident has no escalation policy; reassign it to one first", field="escalation_policy_id"
        )
    if incident.status == "acknowledged":
        incident.status, incident.acknowledged_at, incident.acknowledged_by = "open", None, None
    incident.snoozed_until, incident.next_escalation_at, incident.updated_at = None, now, now
    domain.add_entry(writes, incident, now, actor, "escalate_requested", f"Escalation requested by {actor}")


def reassign_to_policy(
    writes: Writes, incident: Incident, policy_id: uuid.UUID, *, actor: str, now: datetime
) -> None:
    """The policy takes over from its first level, paged by the worker at once."""
    _not_resolved(incident, "reassign")
    incident.escalation_policy_id, incident.snoozed_until, incident.updated_at = policy_id, None, now
    restart(incident, now=now)
    domain.add_entry(
        writes, incident, now, actor, "reassigned", f"Reassigned to escalation policy {policy_id} by {actor}"
    )


def reassign_to_user(
    writes: Writes,
    incident: Incident,
    answer: domain.OnCallAnswer,
    *,
    actor: str,
    now: datetime,
    settings: EscalationSettings,
) -> None:
    """The user is assigned; if they do not acknowledge in time, the policy escalates on from there."""
    _not_resolved(incident, "reassign")
    domain.assign(writes, incident, answer, actor=actor, now=now)
    if incident.escalation_policy_id is not None and incident.status == "open":
        incident.next_escalation_at = now + timedelta(seconds=settings.default_delay_seconds)


def snooze(writes: Writes, incident: Incident, until: datetime, *, actor: str, now: datetime) -> None:
    """No escalation until `until`; then escalation restarts (an acknowledged incident re-opens)."""
    _not_resolved(incident, "snooze")
    if until <= now:
        raise InvalidInput("until must be in the future", field="until")
    incident.snoozed_until = incident.next_escalation_at = until
    incident.updated_at = now
    domain.add_entry(writes, incident, now, actor, "snoozed", f"Snoozed until {rfc3339(until)} by {actor}")
    domain.emit(writes, incident, events.INCIDENT_SNOOZED, now)
