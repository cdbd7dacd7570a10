"""Escalation steps, each on an incident the caller has locked.

A step pages a policy level (asking on-call who that is now), sets the assignee, adds the timeline entry
and the outbox event, and sets the next deadline, `next_escalation_at`, for the caller to write; the
worker in escalation_worker.py fires due deadlines.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from services.incident_management import domain
from services.incident_management.domain import EscalationStep
from services.incident_management.models import Incident
from services.incident_management.oncall_client import OnCallClient
from shared import events
from shared.db import Writes
from shared.errors import InvalidInput, NotFound

# `escalation_level` before the first level is paged: the next step pages level 0.
NOT_PAGED = -1


@dataclass(frozen=True, slots=True)
class EscalationSettings:
    default_delay_seconds: float
    ack_timeout_seconds: float
    retry_seconds: float
    poll_seconds: float


def _timeline(session: Writes, incident: Incident, now: datetime, kind: str, message: str) -> None:
    domain.add_entry(session, incident, now, "escalation", kind, message)


def _delay(step: EscalationStep, settings: EscalationSettings) -> timedelta:
    if step.delay_minutes:
        return timedelta(minutes=step.delay_minutes)
    return timedelta(seconds=settings.default_delay_seconds)


def _notified(step: EscalationStep) -> list[dict[str, Any]]:
    return [{"id": str(u.user_id), "name": u.name, "email": u.email} for u in step.users]


def _assign_level(
    session: Writes,
    incident: Incident,
    step: EscalationStep,
    *,
    position: tuple[int, int],
    now: datetime,
    settings: EscalationSettings,
    event_type: str,
) -> None:
    """The level's first user becomes the assignee; all its users are in the timeline and the event."""
    level, cycle = position
    first = step.users[0]
    incident.assigned_to, incident.assignee_name, incident.assignee_email = (
        first.user_id,
        first.name,
        first.email,
    )
    incident.escalation_level, incident.escalation_cycle = level, cycle
    incident.next_escalation_at = now + _delay(step, settings)
    incident.assignment_pending, incident.updated_at = False, now
    names = ", ".join(u.name or str(u.user_id) for u in step.users)
    kind = "escalated" if event_type == events.INCIDENT_ESCALATED else "assigned"
    _timeline(
        session,
        incident,
        now,
        kind,
        f"Level {level + 1} of {step.policy_name} (cycle {cycle + 1}): notified {names}",
    )
    extra = {"escalation": {"policy": step.policy_name, "level": level + 1, "cycle": cycle + 1}}
    domain.emit(session, incident, event_type, now, extra | {"escalation_targets": _notified(step)})


def _nobody(session: Writes, incident: Incident, step: EscalationStep, now: datetime) -> None:
    """Every level resolves to nobody: unassigned, and an event the team is told through."""
    incident.assigned_to = incident.assignee_name = incident.assignee_email = None
    incident.next_escalation_at, incident.updated_at, incident.assignment_pending = None, now, False
    reason = f"escalation policy {step.policy_name} yields nobody"
    _timeline(session, incident, now, "unassigned", f"Not assigned: {reason}")
    domain.emit(session, incident, events.INCIDENT_UNASSIGNED, now, {"reason": reason})


async def page_level(
    session: Writes,
    oncall: OnCallClient,
    incident: Incident,
    *,
    position: tuple[int, int],
    now: datetime,
    settings: EscalationSettings,
    event_type: str,
) -> None:
    """Page this (level, cycle), skipping levels that resolve to nobody; the incident is locked."""
    level, cycle = position
    tried = 0
    while True:
        # Set: only an incident with a policy is paged by level (`page_new`, `advance`'s caller check it).
        policy_id = cast(uuid.UUID, incident.escalation_policy_id)
        step = await oncall.resolve_escalation(policy_id=policy_id, level=level, at=now)
        if step.users:
            _assign_level(
                session,
                incident,
                step,
                position=(level, cycle),
                now=now,
                settings=settings,
                event_type=event_type,
            )
            return
        tried += 1
        empty = ", ".join(step.empty_targets) or "no targets"
        _timeline(
            session,
            incident,
            now,
            "escalation_skipped",
            f"Level {level + 1} skipped: {empty} has nobody on call",
        )
        following = domain.next_level(level, cycle, step.level_count, step.repeat)
        if tried >= step.level_count:
            return _nobody(session, incident, step, now)
        if following is None:
            return _exhausted(session, incident, step, now)
        level, cycle = following


def _exhausted(session: Writes, incident: Incident, step: EscalationStep, now: datetime) -> None:
    incident.next_escalation_at = None
    who = incident.assignee_name or "nobody"
    _timeline(
        session,
        incident,
        now,
        "escalation_exhausted",
        f"Escalation policy {step.policy_name} exhausted after {step.repeat + 1} cycle(s); stays with {who}",
    )


async def advance(
    session: Writes,
    oncall: OnCallClient,
    incident: Incident,
    *,
    now: datetime,
    settings: EscalationSettings,
) -> None:
    """The deadline passed unacknowledged: page the next level (or the first, when none was paged yet)."""
    level, cycle = incident.escalation_level, incident.escalation_cycle
    if level == NOT_PAGED:
        await page_level(
            session,
            oncall,
            incident,
            position=(0, cycle),
            now=now,
            settings=settings,
            event_type=events.INCIDENT_REASSIGNED,
        )
        return
    try:
        policy_id = cast(uuid.UUID, incident.escalation_policy_id)  # set: the caller checked it (`fire`)
        step = await oncall.resolve_escalation(policy_id=policy_id, level=level, at=now)
        following = domain.next_level(level, cycle, step.level_count, step.repeat)
    except InvalidInput:  # the policy lost levels since: carry on from its top
        following = (0, cycle + 1)
    if following is None:
        _exhausted(session, incident, step, now)
        return
    await page_level(
        session,
        oncall,
        incident,
        position=following,
        now=now,
        settings=settings,
        event_type=events.INCIDENT_ESCALATED,
    )


def reopen(session: Writes, incident: Incident, *, actor: str, reason: str, now: datetime) -> None:
    """acknowledged → open; escalation restarts from the first level."""
    incident.status, incident.updated_at = "open", now
    incident.acknowledged_at = incident.acknowledged_by = None
    restart(incident, now=now)
    domain.add_entry(session, incident, now, actor, "unacknowledged", reason)
    domain.emit(session, incident, events.INCIDENT_UNACKNOWLEDGED, now)


def restart(incident: Incident, *, now: datetime) -> None:
    """Page the policy's first level as soon as the worker gets to it (nothing to page without a policy)."""
    incident.escalation_level, incident.escalation_cycle = NOT_PAGED, 0
    incident.next_escalation_at = now if incident.escalation_policy_id else None


async def fire(
    session: Writes,
    oncall: OnCallClient,
    incident: Incident,
    *,
    now: datetime,
    settings: EscalationSettings,
) -> None:
    """A due deadline: a snooze or an acknowledgement ran out (escalation restarts), or a level timed out."""
    if incident.snoozed_until is not None:
        incident.snoozed_until = None
        _timeline(session, incident, now, "snooze_ended", "Snooze ended")
        if incident.status == "acknowledged":
            reopen(session, incident, actor="escalation", reason="Snooze ended: re-opened", now=now)
        else:
            restart(incident, now=now)
    elif incident.status == "acknowledged":
        reopen(session, incident, actor="escalation", reason="Acknowledgement timed out: re-opened", now=now)
    if incident.escalation_policy_id is None:
        incident.next_escalation_at = None
        return
    try:
        await advance(session, oncall, incident, now=now, settings=settings)
    except NotFound:
        incident.next_escalation_at = None
        _timeline(
            session,
            incident,
            now,
            "escalation_stopped",
            "Escalation policy no longer exists: escalation stopped",
        )


async def page_new(
    session: Writes,
    oncall: OnCallClient,
    incident: Incident,
    policy_id: uuid.UUID | None,
    *,
    now: datetime,
    settings: EscalationSettings,
) -> datetime | None:
    """Assign a new incident the caller has locked: its service's policy (`policy_id`) pages its first
    level, else the team's on-call is assigned. Only once: an incident no longer `assignment_pending` was
    paged already. Runs no statement, only asks on-call (so several incidents of one transaction can be
    paged at once): the caller writes the changes. Returns the incident's next escalation deadline."""
    if incident.status == "resolved" or not incident.assignment_pending:
        return None
    if policy_id is not None:
        incident.escalation_policy_id = policy_id
        try:
            await page_level(
                session,
                oncall,
                incident,
                position=(0, 0),
                now=now,
                settings=settings,
                event_type=events.INCIDENT_REASSIGNED,
            )
            return incident.next_escalation_at
        except NotFound:
            incident.escalation_policy_id = None
            _timeline(
                session,
                incident,
                now,
                "escalation_stopped",
                f"Escalation policy {policy_id} not found: paging the team",
            )
    answer = await oncall.who_is_on_call(service=incident.service)
    domain.assign(session, incident, answer, actor="system", now=now)
    return None
