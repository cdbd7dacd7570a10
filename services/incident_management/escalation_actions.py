"""Manual escalation actions: un-acknowledge, escalate now, reassign, snooze; in the caller's transaction.

Actions that need a page set the deadline to now and leave the paging to the escalation worker, so
every page goes through the same exactly-once claim.
"""

import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.incident_management import domain
from services.incident_management import repository as repo
from services.incident_management.escalation import EscalationSettings, reopen, restart
from services.incident_management.models import Incident
from shared import events
from shared.errors import Conflict, InvalidInput
from shared.timeutil import rfc3339


async def unacknowledge(
    session: AsyncSession, incident_id: uuid.UUID, *, actor: str, now: datetime
) -> Incident:
    incident = await domain.get_for_update(session, incident_id)
    if incident.status != "acknowledged":
        raise Conflict(f"cannot un-acknowledge an incident that is {incident.status}", field="status")
    reopen(session, incident, actor=actor, reason=f"Un-acknowledged by {actor}", now=now)
    return incident


async def request_escalation(
    session: AsyncSession, incident_id: uuid.UUID, *, actor: str, now: datetime
) -> Incident:
    """Escalate now: the worker pages the next level at once (an acknowledged incident re-opens)."""
    incident = await domain.get_for_update(session, incident_id)
    if incident.status == "resolved":
        raise Conflict("cannot escalate a resolved incident", field="status")
    if incident.escalation_policy_id is None:
        raise Conflict(
            "incident has no escalation policy; reassign it to one first", field="escalation_policy_id"
        )
    if incident.status == "acknowledged":
        incident.status, incident.acknowledged_at, incident.acknowledged_by = "open", None, None
    incident.snoozed_until, incident.next_escalation_at, incident.updated_at = None, now, now
    repo.add_timeline(
        session,
        incident_id=incident.id,
        at=now,
        actor=actor,
        kind="escalate_requested",
        message=f"Escalation requested by {actor}",
    )
    return incident


async def reassign_to_policy(
    session: AsyncSession, incident_id: uuid.UUID, policy_id: uuid.UUID, *, actor: str, now: datetime
) -> Incident:
    """The policy takes over from its first level, paged by the worker at once."""
    incident = await domain.get_for_update(session, incident_id)
    if incident.status == "resolved":
        raise Conflict("cannot reassign a resolved incident", field="status")
    incident.escalation_policy_id, incident.snoozed_until, incident.updated_at = policy_id, None, now
    restart(incident, now=now)
    repo.add_timeline(
        session,
        incident_id=incident.id,
        at=now,
        actor=actor,
        kind="reassigned",
        message=f"Reassigned to escalation policy {policy_id} by {actor}",
    )
    return incident


async def reassign_to_user(
    session: AsyncSession,
    incident_id: uuid.UUID,
    answer: domain.OnCallAnswer,
    *,
    actor: str,
    now: datetime,
    settings: EscalationSettings,
) -> Incident:
    """The user is assigned; if they do not acknowledge in time, the policy escalates on from there."""
    incident = await domain.assign(session, incident_id, answer, actor=actor, now=now)
    if incident.status == "resolved":
        raise Conflict("cannot reassign a resolved incident", field="status")
    if incident.escalation_policy_id is not None and incident.status == "open":
        incident.next_escalation_at = now + timedelta(seconds=settings.default_delay_seconds)
    return incident


async def snooze(
    session: AsyncSession, incident_id: uuid.UUID, until: datetime, *, actor: str, now: datetime
) -> Incident:
    """No escalation until `until`; then escalation restarts (an acknowledged incident re-opens)."""
    incident = await domain.get_for_update(session, incident_id)
    if incident.status == "resolved":
        raise Conflict("cannot snooze a resolved incident", field="status")
    if until <= now:
        raise InvalidInput("until must be in the future", field="until")
    incident.snoozed_until = incident.next_escalation_at = until
    incident.updated_at = now
    repo.add_timeline(
        session,
        incident_id=incident.id,
        at=now,
        actor=actor,
        kind="snoozed",
        message=f"Snoozed until {rfc3339(until)} by {actor}",
    )
    domain.emit(session, incident, events.INCIDENT_SNOOZED, now)
    return incident
