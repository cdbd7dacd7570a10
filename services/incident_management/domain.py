"""Incident rules and use cases: correlation, deduplication, lifecycle, assignment, timeline, events.

Every use case runs inside the caller's transaction and writes its event to the outbox in it; the one
exception, `ingest_joining`, writes no event and is one statement.
"""

import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from services.incident_management import repository as repo
from services.incident_management.schemas import (
    AlertInput,
    IncidentDeclare,
    IncidentFilter,
    IncidentRead,
    IngestResult,
)
from shared import events
from shared.db import DriverWork, Writes
from shared.errors import Conflict, NotFound
from shared.models import INCIDENT_STATUSES, Incident
from shared.telemetry import current_traceparent

# Allowed status moves; anything else is a 409.
TRANSITIONS = {
    "open": {"acknowledged", "resolved"},
    "acknowledged": {"resolved"},
    "resolved": set(),
}


@dataclass(frozen=True, slots=True)
class OnCallAnswer:
    """What on-call said about a service: a user, or nobody with the reason."""

    user_id: uuid.UUID | None
    name: str | None = None
    email: str | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class EscalationStep:
    """One level of a policy as on-call resolved it: users to page (maybe none) and how long to wait."""

    policy_name: str
    users: list[OnCallAnswer]
    delay_minutes: float | None
    level_count: int
    repeat: int
    empty_targets: list[str]


@dataclass(frozen=True, slots=True)
class Opened:
    """An incident an ingest opened: its row as the transaction leaves it, and its service's policy."""

    row: dict
    policy_id: uuid.UUID | None


@dataclass(frozen=True, slots=True)
class Ingested:
    results: list[IngestResult]
    # The incidents opened, as the transaction leaves them, when every alert was a trigger (a single
    # run); None when a source's acknowledge or resolve came too: those may change them, so read them back.
    opened: list[Opened] | None


class OwnersChanged(Exception):
    """An owner of a routing key the caller relied on without looking the key up (what an earlier lookup
    found) no longer holds: the key was revoked, or its service renamed. Nothing was stored; look the keys
    up again."""


def correlation_keys(alert: AlertInput) -> list[str]:
    """Advisory-lock keys, in the one global order every transaction takes them (no deadlocks)."""
    return [f"corr:{alert.service}:{alert.severity}", f"fp:{alert.service}:{alert.fingerprint}"]


async def lock_alerts(session: AsyncSession, alerts: list[AlertInput]) -> None:
    """Take every lock `ingest_alert` needs for these alerts, up front and in sorted order, so that every
    transaction acquires locks in one global order and transactions running at once cannot deadlock."""
    keys = _lock_order(alerts)
    if keys:
        await repo.lock_keys(session, keys=keys)


def _lock_order(alerts: list[AlertInput]) -> list[str]:
    return sorted({key for alert in alerts for key in correlation_keys(alert)})


def correlation_cutoff(now: datetime, window_seconds: int) -> datetime:
    """Open incidents created at or after this instant can take a new alert."""
    return now - timedelta(seconds=window_seconds)


def check_transition(current: str, target: str) -> None:
    if target not in TRANSITIONS[current]:
        raise Conflict(f"cannot move incident from {current} to {target}", field="status")


def _seconds(start: datetime, end: datetime) -> float:
    return round((end - start).total_seconds(), 3)


def next_level(level: int, cycle: int, level_count: int, repeat: int) -> tuple[int, int] | None:
    """The (level, cycle) after this one; None once the last level of the last repeat has been paged."""
    if level + 1 < level_count:
        return level + 1, cycle
    return (0, cycle + 1) if cycle < repeat else None


def emit(
    session: Writes,
    incident: Incident | dict,
    event_type: str,
    now: datetime,
    extra: dict | None = None,
    *,
    traceparent: str = "",
) -> None:
    """Write the event (the incident as it now is, plus `extra`) to the outbox in this transaction, with
    `traceparent` (the trace of what caused it; the current one by default)."""
    data = IncidentRead.model_validate(incident).model_dump(mode="json") | (extra or {})
    cause = traceparent or current_traceparent()
    repo.create_outbox_event(session, event=events.make_event(event_type, data, traceparent=cause, at=now))


def announce_paged_with_trigger(writes: Writes) -> None:
    """New incidents paged in the transaction that opened them are announced once, as PagerDuty does: an
    `incident.reassigned` queued after the incident's `incident.triggered`, with no other event of the
    incident between, is folded into it. The `incident.triggered` event keeps its id and time and takes
    the later event's data: the incident as paged (assignee, and the escalation level and its targets),
    so its subscribers and the people paged hear of it once. Run when the paging can no longer be undone."""
    rows = repo.queued_outbox_rows(writes)
    latest: dict[Any, dict] = {}  # incident id → its latest event queued here
    kept = []
    for row in rows:
        event = row["payload"]
        incident_id = event["data"].get("id")
        before = latest.get(incident_id)
        if (
            event["type"] == events.INCIDENT_REASSIGNED
            and before is not None
            and before["payload"]["type"] == events.INCIDENT_TRIGGERED
        ):
            before["payload"] = before["payload"] | {"data": event["data"]}
            continue
        latest[incident_id] = row
        kept.append(row)
    rows[:] = kept


async def ingest_alerts(
    session: AsyncSession,
    alerts: list[AlertInput],
    *,
    now: datetime,
    window_seconds: int,
    take_locks: bool = False,
) -> Ingested:
    """Apply, in order, what the sources say about alerts: trigger them, or acknowledge / resolve their
    open copy. Each run of triggering alerts is one statement. The caller holds the locks (`lock_alerts`),
    or, with `take_locks`, they are taken here, all of them before any alert is applied: in the statement
    of the first run when the alerts start with a trigger (one round trip fewer), else on their own."""
    lock = _lock_order(alerts) if take_locks else []
    if lock and alerts[0].action != "trigger":
        await repo.lock_keys(session, keys=lock)
        lock = []
    results: list[IngestResult] = []
    run: list[AlertInput] = []
    for alert in alerts:
        if alert.action == "trigger":
            run.append(alert)
            continue
        results += (await _trigger(session, run, now=now, window_seconds=window_seconds, lock=lock))[0]
        run, lock = [], []
        results.append(await _apply_source_action(session, alert, now=now))
    last, opened = await _trigger(session, run, now=now, window_seconds=window_seconds, lock=lock)
    return Ingested(results + last, None if results else opened)


async def ingest_triggers(
    connection: asyncpg.Connection,
    writes: DriverWork,
    alerts: list[AlertInput],
    *,
    now: datetime,
    window_seconds: int,
    owners: dict[uuid.UUID, str],
) -> Ingested:
    """`ingest_alerts` for triggering alerts only, with their locks, in a transaction on the driver's
    connection: one statement stores them, and the events of the incidents they open are queued in
    `writes`. `owners`: the service each alert's integration was found to belong to, checked again in
    that statement; OwnersChanged, with nothing stored, when one no longer holds."""
    rows = await repo.ingest_on_driver(
        connection,
        may_open=True,
        **_run(alerts, now, window_seconds),
        lock=_lock_order(alerts),
        owners=owners,
    )
    if owners and not rows:
        raise OwnersChanged
    return Ingested(*_triggered(writes, rows, alerts, now=now))


async def ingest_joining(
    connection: asyncpg.Connection,
    alerts: list[AlertInput],
    *,
    now: datetime,
    window_seconds: int,
    owners: dict[uuid.UUID, str],
) -> list[IngestResult] | None:
    """Triggering alerts that all join an open incident or repeat a firing alert write no event and page
    nobody: they are stored by the same rules as in `ingest_alerts`, with their locks, in one statement
    outside any transaction. `owners`: the service each alert's integration was found to belong to, checked
    again in that statement. None, with nothing stored, when an alert would open an incident: the caller
    then stores them in a transaction (`ingest_alerts`); OwnersChanged when an owner no longer holds."""
    if not alerts or any(alert.action != "trigger" for alert in alerts):
        return None
    rows = await repo.ingest_on_driver(
        connection,
        may_open=False,
        **_run(alerts, now, window_seconds),
        lock=_lock_order(alerts),
        owners=owners,
    )
    if not rows:
        raise OwnersChanged
    if rows[-1]["outcome"] == "would_open":
        return None
    return [IngestResult(row["alert_ref"], row["incident_ref"], row["outcome"]) for row in rows]


async def ingest_alert(
    session: AsyncSession, alert: AlertInput, *, now: datetime, window_seconds: int
) -> IngestResult:
    [result] = (await ingest_alerts(session, [alert], now=now, window_seconds=window_seconds)).results
    return result


async def _apply_source_action(session: AsyncSession, alert: AlertInput, *, now: datetime) -> IngestResult:
    existing = await repo.get_open_alert_by_fingerprint(
        session, service=alert.service, fingerprint=alert.fingerprint
    )
    actor = alert.source or "source"
    if alert.action == "acknowledge":
        return await _acknowledge_from_source(session, existing, actor=actor, now=now)
    return await _resolve_from_source(session, existing, actor=actor, now=now)


def _triggering(alert: AlertInput) -> dict:
    """What ingest_triggered_alerts() needs of one alert: its fields and the timeline's wording (the
    function makes the ids of what it stores)."""
    return {
        "service": alert.service,
        "severity": alert.severity,
        "summary": alert.summary,
        "fingerprint": alert.fingerprint,
        "source": alert.source,
        "labels": alert.labels,
        "annotations": alert.annotations,
        "occurred_at": alert.occurred_at,
        "integration_id": alert.integration_id,
        "actor": alert.source or "alert",
        "joined_message": f"Alert joined: {alert.summary}",
        "triggered_message": f"Incident triggered by alert: {alert.summary}",
    }


def _run(alerts: list[AlertInput], now: datetime, window_seconds: int) -> dict:
    """What the ingest statement is given of a run of triggering alerts, besides its locks and owners."""
    return {
        "batch": [_triggering(alert) for alert in alerts],
        "now": now,
        "since": correlation_cutoff(now, window_seconds),
    }


async def _trigger(
    session: AsyncSession, alerts: list[AlertInput], *, now: datetime, window_seconds: int, lock: list[str]
) -> tuple[list[IngestResult], list[Opened]]:
    """New alerts: a fingerprint still firing on an open incident is a duplicate (counted); otherwise the
    alert joins the newest open incident of its (service, severity) created within the correlation
    window, or opens an incident, whose `incident.triggered` event is written here. `lock`: advisory
    locks the same statement takes first. Returns the outcomes and the incidents opened."""
    if not alerts:
        return [], []
    rows = await repo.ingest_triggered(session, **_run(alerts, now, window_seconds), lock=lock, owners={})
    return _triggered(session, rows, alerts, now=now)


def _triggered(
    writes: Writes, rows: Sequence[Mapping[str, Any]], alerts: list[AlertInput], *, now: datetime
) -> tuple[list[IngestResult], list[Opened]]:
    """The ingest statement's rows (one per alert, in order) as outcomes, and the incidents opened, each
    with its event in the trace of the alert that opened it."""
    for row, alert in zip(rows, alerts, strict=True):
        if row["outcome"] == "created":
            emit(writes, row["incident"], events.INCIDENT_TRIGGERED, now, traceparent=alert.traceparent)
    results = [IngestResult(row["alert_ref"], row["incident_ref"], row["outcome"]) for row in rows]
    return results, _opened(rows)


def _opened(rows: Sequence[Mapping[str, Any]]) -> list[Opened]:
    """The run's new incidents as it leaves them: the row as inserted, plus the alerts of the run that
    joined it and the duplicates counted on it (what the function's last update adds)."""
    created = {row["incident_ref"]: row for row in rows if row["outcome"] == "created"}
    if not created:
        return []
    counted = Counter((row["incident_ref"], row["outcome"]) for row in rows if row["incident_ref"] in created)
    return [
        Opened(
            row["incident"]
            | {
                "alert_count": row["incident"]["alert_count"] + counted[incident_id, "correlated"],
                "duplicate_count": row["incident"]["duplicate_count"] + counted[incident_id, "duplicate"],
            },
            row["policy_id"],
        )
        for incident_id, row in created.items()
    ]


async def _acknowledge_from_source(
    session: AsyncSession, existing: Row | None, *, actor: str, now: datetime
) -> IngestResult:
    """The source acknowledged the alert: its incident is acknowledged if still open. No alert: no change."""
    if existing is None:
        return IngestResult(None, None, "ignored")
    incident = await get_for_update(session, existing.incident_id)
    if incident.status == "open":
        await acknowledge(session, incident.id, actor=actor, now=now)
    return IngestResult(existing.id, existing.incident_id, "acknowledged")


async def _resolve_from_source(
    session: AsyncSession, existing: Row | None, *, actor: str, now: datetime
) -> IngestResult:
    """The source resolved the alert; when none of the incident's alerts still fire, the service's
    auto-resolve setting decides whether the incident resolves too."""
    if existing is None:
        return IngestResult(None, None, "ignored")
    incident = await get_for_update(session, existing.incident_id)
    await repo.resolve_alert(session, alert_id=existing.id, now=now)
    repo.add_timeline(
        session,
        incident_id=incident.id,
        at=now,
        actor=actor,
        kind="alert_resolved",
        message=f"Alert resolved by source: {existing.summary}",
    )
    if await repo.count_firing_alerts(session, incident_id=incident.id) == 0 and await _auto_resolves(
        session, incident.service
    ):
        await resolve(
            session,
            incident.id,
            actor=actor,
            now=now,
            message="Incident resolved by source: all of its alerts are resolved",
        )
    return IngestResult(existing.id, existing.incident_id, "resolved")


async def _auto_resolves(session: AsyncSession, service_name: str) -> bool:
    """Services without a record (alerts sent without a key) keep the default: auto-resolve on."""
    service = await repo.get_service_by_name(session, name=service_name)
    return True if service is None else service.auto_resolve


async def get_for_update(session: AsyncSession, incident_id: uuid.UUID) -> Incident:
    incident = await repo.get_incident(session, incident_id=incident_id, for_update=True)
    if incident is None:
        raise NotFound(f"incident {incident_id} not found", field="id")
    return incident


async def acknowledge(
    session: AsyncSession, incident_id: uuid.UUID, *, actor: str, now: datetime, ack_timeout: float = 0.0
) -> Incident:
    """open → acknowledged; sets acknowledged_at and MTTA once; escalation waits for any ack timeout."""
    incident = await get_for_update(session, incident_id)
    check_transition(incident.status, "acknowledged")
    incident.status, incident.updated_at = "acknowledged", now
    incident.next_escalation_at = now + timedelta(seconds=ack_timeout) if ack_timeout else None
    incident.snoozed_until = None
    incident.acknowledged_at, incident.acknowledged_by = now, actor
    incident.mtta_seconds = _seconds(incident.created_at, now)
    repo.add_timeline(
        session,
        incident_id=incident.id,
        at=now,
        actor=actor,
        kind="acknowledged",
        message=f"Acknowledged by {actor}",
    )
    emit(session, incident, events.INCIDENT_ACKNOWLEDGED, now)
    return incident


async def resolve(
    session: AsyncSession, incident_id: uuid.UUID, *, actor: str, now: datetime, message: str = ""
) -> Incident:
    """open|acknowledged → resolved; sets resolved_at and MTTR once."""
    incident = await get_for_update(session, incident_id)
    check_transition(incident.status, "resolved")
    incident.status, incident.updated_at = "resolved", now
    incident.resolved_at, incident.resolved_by = now, actor
    incident.mttr_seconds = _seconds(incident.created_at, now)
    incident.assignment_pending = False
    incident.next_escalation_at = incident.snoozed_until = None
    repo.add_timeline(
        session,
        incident_id=incident.id,
        at=now,
        actor=actor,
        kind="resolved",
        message=message or f"Resolved by {actor}",
    )
    emit(session, incident, events.INCIDENT_RESOLVED, now)
    return incident


async def add_note(
    session: AsyncSession, incident_id: uuid.UUID, *, note: str, actor: str, now: datetime
) -> Incident:
    incident = await get_for_update(session, incident_id)
    incident.updated_at = now
    repo.add_timeline(session, incident_id=incident.id, at=now, actor=actor, kind="note", message=note)
    emit(session, incident, events.INCIDENT_ANNOTATED, now)
    return incident


async def assign(
    session: AsyncSession, incident_id: uuid.UUID, answer: OnCallAnswer, *, actor: str, now: datetime
) -> Incident:
    """Set (or clear) the assignee; a timeline entry says who and why."""
    return assign_locked(session, await get_for_update(session, incident_id), answer, actor=actor, now=now)


def assign_locked(
    session: Writes, incident: Incident, answer: OnCallAnswer, *, actor: str, now: datetime
) -> Incident:
    """`assign` for an incident the caller has locked already."""
    incident.assignment_pending = False
    incident.updated_at = now
    if answer.user_id is None:
        repo.add_timeline(
            session,
            incident_id=incident.id,
            at=now,
            actor=actor,
            kind="unassigned",
            message=f"Not assigned: {answer.reason}",
        )
        return incident
    if incident.assigned_to == answer.user_id:
        return incident
    incident.assigned_to, incident.assignee_name, incident.assignee_email = (
        answer.user_id,
        answer.name,
        answer.email,
    )
    repo.add_timeline(
        session,
        incident_id=incident.id,
        at=now,
        actor=actor,
        kind="assigned",
        message=f"Assigned to {answer.name or answer.user_id}"
        + (f" ({answer.reason})" if answer.reason else ""),
    )
    emit(session, incident, events.INCIDENT_REASSIGNED, now)
    return incident


async def defer_assignment(
    session: AsyncSession, incident_id: uuid.UUID, *, reason: str, now: datetime
) -> None:
    """On-call could not be asked: leave the incident unassigned, say why, let the retry worker try again."""
    incident = await get_for_update(session, incident_id)
    if incident.status == "resolved" or incident.assigned_to is not None:
        return
    incident.assignment_pending = True
    repo.add_timeline(
        session,
        incident_id=incident.id,
        at=now,
        actor="system",
        kind="assignment_deferred",
        message=f"Not assigned yet: {reason}; will retry",
    )


async def update(
    session: AsyncSession,
    incident_id: uuid.UUID,
    patch,
    *,
    actor: str,
    now: datetime,
    ack_timeout: float = 0.0,
) -> Incident:
    """Apply a PATCH: note first, then assignee, then status (so a note can explain the change)."""
    incident = await get_for_update(session, incident_id)
    if patch.note:
        incident = await add_note(session, incident_id, note=patch.note, actor=actor, now=now)
    if patch.assigned_to is not None:
        incident = await assign(
            session,
            incident_id,
            OnCallAnswer(user_id=patch.assigned_to, reason="manual"),
            actor=actor,
            now=now,
        )
    if patch.status is not None:
        if patch.status == "acknowledged":
            return await acknowledge(session, incident_id, actor=actor, now=now, ack_timeout=ack_timeout)
        if patch.status != "resolved":
            raise Conflict(f"cannot move incident from {incident.status} to {patch.status}", field="status")
        incident = await resolve(session, incident_id, actor=actor, now=now)
    return incident


async def get_detail(session: AsyncSession, incident_id: uuid.UUID):
    incident = await repo.get_incident(session, incident_id=incident_id)
    if incident is None:
        raise NotFound(f"incident {incident_id} not found", field="id")
    alerts = await repo.list_alerts(session, incident_id=incident_id)
    timeline = await repo.list_timeline(session, incident_id=incident_id)
    return incident, alerts, timeline


async def list_incidents(session: AsyncSession, query: IncidentFilter) -> tuple[list[Incident], int]:
    return await repo.list_incidents(session, query=query)


async def count_by_status(session: AsyncSession, query: IncidentFilter) -> dict[str, int]:
    counts = await repo.count_by_status(session, query=query)
    return {status: counts.get(status, 0) for status in INCIDENT_STATUSES}


def declared_alert(body: IncidentDeclare, *, actor: str) -> AlertInput:
    """A declared incident as the alert that opens it: a one-off fingerprint, so it never deduplicates
    into another (it may still join an open incident of the same service and severity, as alerts do)."""
    annotations = {"declared_by": actor} | ({"description": body.description} if body.description else {})
    return AlertInput(
        service=body.service,
        severity=body.severity,
        summary=body.title,
        fingerprint=f"declared:{uuid.uuid4().hex}",
        source="manual",
        annotations=annotations,
    )
