"""Incident rules and use cases: correlation, deduplication, lifecycle, assignment, timeline, events.

Every use case runs inside the caller's transaction and writes its event to the outbox in it. Storing
alerts is `ingest`: the rules are the SQL function's (shared/migrations/sql/ingest_alerts.sql).
"""

import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from services.incident_management import repository as repo
from services.incident_management.models import (
    INCIDENT_STATUSES,
    Alert,
    Incident,
    OutboxEvent,
    TimelineEntry,
)
from services.incident_management.schemas import (
    AlertInput,
    IncidentDeclare,
    IncidentFilter,
    IncidentPatch,
    IncidentRead,
    IngestResult,
)
from shared import audit, events
from shared.db import Writes
from shared.errors import Conflict, NotFound
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


def outbox_event(
    incident: Incident | Mapping[str, Any],
    event_type: str,
    now: datetime,
    extra: dict[str, Any] | None = None,
    *,
    traceparent: str = "",
) -> dict[str, Any]:
    """The event announcing the incident as it now is, plus `extra`, in the trace of what caused it
    (`traceparent`; the current one by default)."""
    data = IncidentRead.model_validate(incident).model_dump(mode="json") | (extra or {})
    cause = traceparent or current_traceparent()
    return events.make_event(event_type, data, traceparent=cause, at=now)


def emit(
    session: Writes,
    incident: Incident | dict[str, Any],
    event_type: str,
    now: datetime,
    extra: dict[str, Any] | None = None,
) -> None:
    """Write the event (the incident as it now is, plus `extra`) to the outbox in this transaction."""
    repo.create_outbox_event(session, event=outbox_event(incident, event_type, now, extra))


class Added(list[object]):
    """Rows a change adds (timeline entries, events), in order, for its caller to write with the
    incident in one statement (`repository.write_incidents`)."""

    def add(self, instance: object) -> None:
        self.append(instance)

    def timeline(self) -> list[TimelineEntry]:
        return [row for row in self if isinstance(row, TimelineEntry)]

    def events(self) -> list[dict[str, Any]]:
        return [row.payload for row in self if isinstance(row, OutboxEvent)]


# Pages the incidents an ingest opened, in its transaction (`assignment.InlinePaging.page`): given the
# connection, their ids and the time, it returns the incidents it changed, the rows it added (timeline
# entries, events) and the earliest escalation deadline it set.
Page = Callable[
    [asyncpg.Connection, list[uuid.UUID], datetime],
    Awaitable[tuple[list[Incident], Added, datetime | None]],
]


@dataclass(frozen=True, slots=True)
class Ingested:
    results: list[IngestResult]
    earliest_deadline: datetime | None  # of the new incidents paged in the transaction


async def ingest(
    connection: asyncpg.Connection,
    alerts: list[AlertInput],
    *,
    now: datetime,
    window_seconds: int,
    page: Page | None = None,
) -> Ingested:
    """Apply, in order, what the sources say about alerts (their keys checked), in the caller's transaction
    on the driver's connection: one call of ingest_alerts() (whose header states the rules), the new
    incidents paged (`page`), then what paging changed and the events written in one statement."""
    if not alerts:
        return Ingested([], None)
    since = correlation_cutoff(now, window_seconds)
    rows = await repo.ingest_alerts(connection, batch=[_ingested(a) for a in alerts], now=now, since=since)
    changed = [  # each in the trace of the alert that caused it
        outbox_event(orjson.loads(row["incident"]), row["event"], now, traceparent=alert.traceparent)
        for row, alert in zip(rows, alerts, strict=True)
        if row["event"]
    ]
    created = [row["incident_ref"] for row in rows if row["outcome"] == "created"]
    paged: list[Incident] = []
    added, earliest = Added(), None
    if created and page is not None:
        paged, added, earliest = await page(connection, created, now)
    await repo.write_incidents(
        connection, incidents=paged, timeline=added.timeline(), events=announce_once(changed, added.events())
    )
    return Ingested(_results(rows, alerts), earliest)


def announce_once(announced: list[dict[str, Any]], paging: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events in order, an `incident.reassigned` of paging folded into the incident's
    `incident.triggered` when no other event of it comes between: that event keeps its id and time and
    takes the later one's data (the incident as paged, the escalation level and its targets), so a new
    incident's `incident.triggered` names its assignee, as PagerDuty's does."""
    result = list(announced)
    latest = {event["data"]["id"]: n for n, event in enumerate(result)}
    for event in paging:
        incident_id = event["data"]["id"]
        n = latest.get(incident_id)
        if (
            event["type"] == events.INCIDENT_REASSIGNED
            and n is not None
            and result[n]["type"] == events.INCIDENT_TRIGGERED
        ):
            result[n] = result[n] | {"data": event["data"]}
            continue
        latest[incident_id] = len(result)
        result.append(event)
    return result


def _results(rows: list[asyncpg.Record], alerts: list[AlertInput]) -> list[IngestResult]:
    """Each alert's result, with its fingerprint as stored."""
    return [
        IngestResult(row["alert_ref"], row["incident_ref"], row["outcome"], alert.fingerprint)
        for row, alert in zip(rows, alerts, strict=True)
    ]


async def ingest_quiet(
    connection: asyncpg.Connection,
    alerts: list[AlertInput],
    key_hashes: list[str | None],
    *,
    now: datetime,
    window_seconds: int,
) -> Ingested | None:
    """`ingest` by one statement outside any transaction (ingest_quiet_alerts()), when every alert only
    joins an open incident or repeats a firing alert, as most alerts of a storm do: nothing to page or
    announce. An alert with a key's hash takes that key's service and integration there. None, with
    nothing stored, when one would change an incident's status or its key is unknown or revoked: then
    `ingest`, in a transaction, after the keys are looked up."""
    since = correlation_cutoff(now, window_seconds)
    batch = [_ingested(a) | ({"key_hash": h} if h else {}) for a, h in zip(alerts, key_hashes, strict=True)]
    rows = await repo.ingest_quiet_alerts(connection, batch=batch, now=now, since=since)
    if rows is None:
        return None
    return Ingested(_results(rows, alerts), None)


def _ingested(alert: AlertInput) -> dict[str, Any]:
    """What ingest_alerts() needs of one alert: its fields, its action and the timeline's wording (the
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
        "action": alert.action,
        "actor": alert.source or ("alert" if alert.action == "trigger" else "source"),
        "joined_message": f"Alert joined: {alert.summary}",
        "triggered_message": f"Incident triggered by alert: {alert.summary}",
    }


# A change of one locked incident: it changes the object and adds its rows (`Added`).
Change = Callable[[Writes, Incident], object]


async def change(connection: asyncpg.Connection, incident_id: uuid.UUID, apply: Change) -> Incident:
    """A person's change of one incident (a status move, a note, a reassignment...) in the caller's
    transaction on the driver's connection: the row locked, changed, then written with its timeline
    entries, its events and its audit entry in one statement."""
    incident = await repo.lock_incident(connection, incident_id=incident_id)
    if incident is None:
        raise NotFound(f"incident {incident_id} not found", field="id")
    before, added = audit.snapshot(incident), Added()
    apply(added, incident)
    await repo.write_incidents(
        connection,
        incidents=[incident],
        timeline=added.timeline(),
        events=added.events(),
        audited=audit.change_entries("incidents", incident.id, before, audit.snapshot(incident)),
    )
    return incident


def acknowledge(writes: Writes, incident: Incident, *, actor: str, now: datetime, ack_timeout: float) -> None:
    """open → acknowledged; sets acknowledged_at and MTTA once; escalation waits for any ack timeout."""
    check_transition(incident.status, "acknowledged")
    incident.status, incident.updated_at = "acknowledged", now
    incident.next_escalation_at = now + timedelta(seconds=ack_timeout) if ack_timeout else None
    incident.snoozed_until = None
    incident.acknowledged_at, incident.acknowledged_by = now, actor
    incident.mtta_seconds = _seconds(incident.created_at, now)
    add_entry(writes, incident, now, actor, "acknowledged", f"Acknowledged by {actor}")
    emit(writes, incident, events.INCIDENT_ACKNOWLEDGED, now)


def resolve(writes: Writes, incident: Incident, *, actor: str, now: datetime) -> None:
    """open|acknowledged → resolved; sets resolved_at and MTTR once."""
    check_transition(incident.status, "resolved")
    incident.status, incident.updated_at = "resolved", now
    incident.resolved_at, incident.resolved_by = now, actor
    incident.mttr_seconds = _seconds(incident.created_at, now)
    incident.assignment_pending = False
    incident.next_escalation_at = incident.snoozed_until = None
    add_entry(writes, incident, now, actor, "resolved", f"Resolved by {actor}")
    emit(writes, incident, events.INCIDENT_RESOLVED, now)


def add_entry(writes: Writes, incident: Incident, now: datetime, actor: str, kind: str, message: str) -> None:
    """A timeline entry of the incident."""
    repo.add_timeline(writes, incident_id=incident.id, at=now, actor=actor, kind=kind, message=message)


def assign(writes: Writes, incident: Incident, answer: OnCallAnswer, *, actor: str, now: datetime) -> None:
    """Set (or clear) the assignee; a timeline entry says who and why."""
    incident.assignment_pending = False
    incident.updated_at = now
    if answer.user_id is None:
        add_entry(writes, incident, now, actor, "unassigned", f"Not assigned: {answer.reason}")
        return
    if incident.assigned_to == answer.user_id:
        return
    incident.assigned_to, incident.assignee_name, incident.assignee_email = (
        answer.user_id,
        answer.name,
        answer.email,
    )
    reason = f" ({answer.reason})" if answer.reason else ""
    add_entry(
        writes, incident, now, actor, "assigned", f"Assigned to {answer.name or answer.user_id}{reason}"
    )
    emit(writes, incident, events.INCIDENT_REASSIGNED, now)


def update(
    writes: Writes, incident: Incident, patch: IncidentPatch, *, actor: str, now: datetime, ack_timeout: float
) -> None:
    """Apply a PATCH: note first, then assignee, then status (so a note can explain the change)."""
    if patch.note:
        incident.updated_at = now
        add_entry(writes, incident, now, actor, "note", patch.note)
        emit(writes, incident, events.INCIDENT_ANNOTATED, now)
    if patch.assigned_to is not None:
        assign(
            writes, incident, OnCallAnswer(user_id=patch.assigned_to, reason="manual"), actor=actor, now=now
        )
    if patch.status == "acknowledged":
        acknowledge(writes, incident, actor=actor, now=now, ack_timeout=ack_timeout)
    elif patch.status == "resolved":
        resolve(writes, incident, actor=actor, now=now)
    elif patch.status is not None:
        raise Conflict(f"cannot move incident from {incident.status} to {patch.status}", field="status")


async def get_stored(connection: asyncpg.Connection, incident_id: uuid.UUID) -> Incident:
    """The incident as committed, on the driver's connection."""
    incident = await repo.get_stored_incident(connection, incident_id=incident_id)
    if incident is None:
        raise NotFound(f"incident {incident_id} not found", field="id")
    return incident


IncidentDetail = tuple[Incident, Sequence[Alert], Sequence[TimelineEntry]]


async def get_detail(session: AsyncSession, incident_id: uuid.UUID) -> IncidentDetail:
    incident = await repo.get_incident(session, incident_id=incident_id)
    if incident is None:
        raise NotFound(f"incident {incident_id} not found", field="id")
    alerts = await repo.list_alerts(session, incident_id=incident_id)
    timeline = await repo.list_timeline(session, incident_id=incident_id)
    return incident, alerts, timeline


@dataclass(frozen=True, slots=True)
class IncidentListing:
    """One page of the list, how many match the query, and how many of each status match its other
    filters (the status tabs)."""

    incidents: list[Incident]
    total: int
    status_counts: dict[str, int]


async def list_incidents(session: AsyncSession, query: IncidentFilter) -> IncidentListing:
    """The page and its counts; the total is the count of the query's status (or of all), not counted
    again. A first page of every status that is not full holds every match: counted from it, a search
    reads its matches once rather than twice."""
    incidents = await repo.list_incidents(session, query=query)
    if query.status is None and query.offset == 0 and len(incidents) < query.limit:
        found: Mapping[str, int] = Counter(incident.status for incident in incidents)
    else:
        found = await repo.count_by_status(session, query=query)
    counts = {status: found.get(status, 0) for status in INCIDENT_STATUSES}
    total = counts[query.status] if query.status else sum(counts.values())
    return IncidentListing(incidents, total, counts)


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
