"""Incident queries: reads on an AsyncSession; on the driver's connection, ingest, the outbox relay, and
every change of an incident (`write_incidents`). Never commits: the edge owns the transaction."""

import re
import uuid
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar

import asyncpg
import orjson
from sqlalchemy import DateTime, Select, Uuid, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from services.incident_management.models import (
    INCIDENT_STATUSES,
    NOT_A_WORD,
    SEVERITIES,
    SEVERITY_RANK,
    STATUS_RANK,
    TITLE_WORDS,
    Alert,
    Heartbeat,
    Incident,
    IncidentCounts,
    Integration,
    MonitoredService,
    OutboxEvent,
    TimelineEntry,
)
from services.incident_management.schemas import IncidentFilter
from shared.db import Writes


def add_timeline(
    session: Writes, *, incident_id: uuid.UUID, at: datetime, actor: str, kind: str, message: str
) -> None:
    session.add(TimelineEntry(incident_id=incident_id, at=at, actor=actor, kind=kind, message=message))


# What the ingest function (shared/migrations/sql/ingest_alerts.sql) is given: the batch as one JSON array.
# The incident comes back as text whatever codecs the connection has (a session's decodes JSON).
_INGEST_ALERTS = (
    "SELECT alert_ref, incident_ref, outcome, incident::text AS incident, event"
    " FROM ingest_alerts($1::jsonb, $2, $3)"
)


async def ingest_alerts(
    connection: asyncpg.Connection, *, batch: list[dict[str, Any]], now: datetime, since: datetime
) -> list[asyncpg.Record]:
    """Rows of (alert_ref, incident_ref, outcome, incident as JSON text or None, event or None), in the
    batch's order, from one call of the function in the connection's transaction."""
    return await connection.fetch(_INGEST_ALERTS, _json(batch), now, since)


# The same for a batch that only joins incidents (ingest_quiet_alerts.sql), as a statement on its own.
_INGEST_QUIET_ALERTS = "SELECT alert_ref, incident_ref, outcome FROM ingest_quiet_alerts($1::jsonb, $2, $3)"
NOT_QUIET = "OC001"  # the SQLSTATE of a batch that would change an incident's status


async def ingest_quiet_alerts(
    connection: asyncpg.Connection, *, batch: list[dict[str, Any]], now: datetime, since: datetime
) -> list[asyncpg.Record] | None:
    """Rows of (alert_ref, incident_ref, outcome) in the batch's order, committed by the statement itself
    (the connection must be outside any transaction); None, with nothing stored, when an alert would
    change an incident's status."""
    try:
        return await connection.fetch(_INGEST_QUIET_ALERTS, _json(batch), now, since)
    except asyncpg.PostgresError as error:
        if error.sqlstate == NOT_QUIET:
            return None
        raise


def create_outbox_event(session: Writes, *, event: dict[str, Any]) -> None:
    session.add(OutboxEvent(event_id=uuid.UUID(event["id"]), type=event["type"], payload=event))


async def get_incident(session: AsyncSession, *, incident_id: uuid.UUID) -> Incident | None:
    return await session.get(Incident, incident_id)


async def list_alerts(session: AsyncSession, *, incident_id: uuid.UUID) -> Sequence[Alert]:
    stmt = select(Alert).where(Alert.incident_id == incident_id).order_by(Alert.received_at, Alert.id)
    return (await session.execute(stmt)).scalars().all()


async def list_timeline(session: AsyncSession, *, incident_id: uuid.UUID) -> Sequence[TimelineEntry]:
    stmt = select(TimelineEntry).where(TimelineEntry.incident_id == incident_id).order_by(TimelineEntry.id)
    return (await session.execute(stmt)).scalars().all()


_STATUS_RANK: ColumnElement[int] = literal_column(STATUS_RANK)
_SEVERITY_RANK: ColumnElement[int] = literal_column(SEVERITY_RANK)


def _order(query: IncidentFilter) -> list[Any]:
    newest = [Incident.created_at.desc(), Incident.id.desc()]
    if query.sort == "oldest":
        return [Incident.created_at, Incident.id]
    if query.sort == "severity":
        return [_SEVERITY_RANK, *newest]
    if query.sort == "triage" and _narrowed(query):
        # The same order, but not the index's expressions: the matches are found by their own index (or
        # a scan) and sorted, 3-30 ms on 100,000. Walking ix_incidents_triage for them, as the planner
        # chose for a service or, in a generic plan, a text, read 50-90 ms when they sat deep in its order.
        return [_STATUS_RANK + 0, _SEVERITY_RANK + 0, *newest]
    if query.sort == "triage":  # ix_incidents_triage, in its order
        return [_STATUS_RANK, _SEVERITY_RANK, *newest]
    return newest


def _narrowed(query: IncidentFilter) -> bool:
    """Whether a filter other than the status and severity (which lead ix_incidents_triage) applies."""
    return any((query.service, query.team, query.assignee, query.text, query.since, query.until))


def _filters(query: IncidentFilter) -> list[Any]:
    """Every condition of the query but the status (the status tabs count across it)."""
    conditions = []
    if query.severity:
        # The rank too: ix_incidents_triage then skips the other severities without reading their rows.
        rank = SEVERITIES.index(query.severity)
        conditions += [Incident.severity == query.severity, _SEVERITY_RANK == rank]
    if query.service:
        conditions.append(Incident.service == query.service)
    if query.team:
        conditions.append(Incident.service.in_(_team_services(query.team)))
    if query.assignee:
        conditions.append(Incident.assigned_to == query.assignee)
    if query.text:
        conditions += _text_matches(query.text)
    if query.since:
        conditions.append(Incident.created_at >= query.since)
    if query.until:
        conditions.append(Incident.created_at < query.until)
    return conditions


_TITLE_WORDS: ColumnElement[Any] = literal_column(TITLE_WORDS)
_SIMPLE: ColumnElement[Any] = literal_column("'simple'::regconfig")
_NOT_A_WORD = re.compile(NOT_A_WORD)
_AROUND = re.compile(f"^{NOT_A_WORD}|{NOT_A_WORD}$")


def _text_matches(text: str) -> list[Any]:
    """Each word of `text` begins a word of the title (ix_incidents_title_words finds them), and each term
    joined by punctuation (`db-01`) is in it as typed; a text with no letter or digit is looked for as typed
    (the only text search that scans the table)."""
    words = [word for word in _NOT_A_WORD.split(text) if word]
    if not words:
        return [Incident.title.icontains(text, autoescape=True)]
    # Words hold no ASCII punctuation, so none of to_tsquery's operators: each a prefix, all required.
    prefixes = func.to_tsquery(_SIMPLE, " & ".join(f"{word}:*" for word in words))
    joined = [core for core in (_AROUND.sub("", term) for term in text.split()) if _NOT_A_WORD.search(core)]
    return [_TITLE_WORDS.op("@@")(prefixes), *(Incident.title.icontains(t, autoescape=True) for t in joined)]


def _team_services(team: str) -> Any:
    return select(MonitoredService.name).where(MonitoredService.team == team).scalar_subquery()


def page_statement(query: IncidentFilter) -> Select[tuple[Incident]]:
    """The query's page, in its order, ties broken by id, so pages are stable."""
    conditions = _filters(query)
    if query.status:
        # The rank too: ix_incidents_triage then starts at the status's first row.
        conditions += [Incident.status == query.status, _STATUS_RANK == INCIDENT_STATUSES.index(query.status)]
    return (
        select(Incident).where(*conditions).order_by(*_order(query)).limit(query.limit).offset(query.offset)
    )


async def list_incidents(session: AsyncSession, *, query: IncidentFilter) -> list[Incident]:
    return list((await session.execute(page_statement(query))).scalars().all())


async def count_by_status(session: AsyncSession, *, query: IncidentFilter) -> dict[str, int]:
    """How many incidents of each status match the query's other filters (none: absent): from
    `incident_counts` when it holds them (filters by service, severity or team only), else counted."""
    if query.assignee or query.text or query.since or query.until:
        stmt = select(Incident.status, func.count()).where(*_filters(query)).group_by(Incident.status)
    else:
        stmt = (
            select(IncidentCounts.status, func.sum(IncidentCounts.incidents))
            .where(*_counted(query))
            .group_by(IncidentCounts.status)
        )
    return {status: int(count) for status, count in (await session.execute(stmt)).all() if count}


def _counted(query: IncidentFilter) -> list[Any]:
    conditions = []
    if query.severity:
        conditions.append(IncidentCounts.severity == query.severity)
    if query.service:
        conditions.append(IncidentCounts.service == query.service)
    if query.team:
        conditions.append(IncidentCounts.service.in_(_team_services(query.team)))
    return conditions


_PENDING_ASSIGNMENTS = """
    SELECT id FROM incidents WHERE assignment_pending AND status <> 'resolved' ORDER BY created_at LIMIT $1
"""


async def list_pending_assignments(connection: asyncpg.Connection, *, limit: int) -> list[uuid.UUID]:
    """The oldest incidents still to be paged (their paging was deferred)."""
    return [row["id"] for row in await connection.fetch(_PENDING_ASSIGNMENTS, limit)]


# One statement claims a batch and marks it published; the caller sends it before committing, so a failed
# send rolls the marks back. The payload comes back as JSON text, ready for the stream (no decode/encode).
# On the driver's connection (the relay's pass is three round trips: BEGIN, this, COMMIT).
_PUBLISH_OUTBOX_BATCH = """
    WITH batch AS (
        SELECT id FROM outbox_events WHERE published_at IS NULL ORDER BY id LIMIT $1
        FOR UPDATE SKIP LOCKED
    )
    UPDATE outbox_events o SET published_at = $2 FROM batch WHERE o.id = batch.id
    RETURNING o.id, o.event_id, o.type, o.payload::text AS body
"""


async def publish_outbox_batch(
    connection: asyncpg.Connection, *, limit: int, now: datetime
) -> list[asyncpg.Record]:
    """Up to `limit` unpublished events in id order, marked published in the connection's transaction;
    rows another relay holds are skipped. Each row has `id`, `event_id`, `type` and `body` (the payload as
    JSON text)."""
    rows = await connection.fetch(_PUBLISH_OUTBOX_BATCH, limit, now)
    return sorted(rows, key=lambda row: row["id"])


# --- services and integrations -------------------------------------------------------------------


async def create_service(session: AsyncSession, *, values: dict[str, Any]) -> MonitoredService:
    service = MonitoredService(id=uuid.uuid4(), **values)
    session.add(service)
    await session.flush()
    await session.refresh(service)
    return service


async def get_service(session: AsyncSession, *, service_id: uuid.UUID) -> MonitoredService | None:
    return await session.get(MonitoredService, service_id)


async def get_service_by_name(session: AsyncSession, *, name: str) -> MonitoredService | None:
    stmt = select(MonitoredService).where(MonitoredService.name == name)
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_services(session: AsyncSession) -> Sequence[MonitoredService]:
    return (await session.execute(select(MonitoredService).order_by(MonitoredService.name))).scalars().all()


async def delete_service(session: AsyncSession, *, service: MonitoredService) -> None:
    await session.delete(service)


async def get_integration(session: AsyncSession, *, integration_id: uuid.UUID) -> Integration | None:
    return await session.get(Integration, integration_id)


async def list_integrations(
    session: AsyncSession, *, service_ids: Collection[uuid.UUID]
) -> Sequence[Integration]:
    """The services' integrations, oldest first."""
    stmt = select(Integration).where(Integration.service_id.in_(service_ids)).order_by(Integration.created_at)
    return (await session.execute(stmt)).scalars().all()


# Routing keys' owners by key hash, as plain rows made into model objects that belong to no session: the
# ORM's loading of the two entities cost ~0.8 ms of client CPU per lookup, the rows ~0.2 on the driver's
# connection (measured here).
_OWNERS = """
    SELECT i.id, i.service_id, i.name, i.type, i.key_hash, i.key_hint, i.config::text AS config,
           i.created_at, i.revoked_at, s.name AS s_name, s.description AS s_description, s.team AS s_team,
           s.escalation_policy_id AS s_escalation_policy_id, s.auto_resolve AS s_auto_resolve,
           s.created_at AS s_created_at
"""
_KEY_OWNERS = (
    _OWNERS + " FROM integrations i JOIN services s ON s.id = i.service_id WHERE i.key_hash = ANY($1::text[])"
)


def _owner(values: dict[str, Any]) -> tuple[Integration, MonitoredService]:
    """An integration and its service from a row of `_OWNERS`' columns (the dict is consumed)."""
    service = {name[2:]: values.pop(name) for name in list(values) if name.startswith("s_")}
    values["config"] = orjson.loads(values["config"])
    return Integration(**values), MonitoredService(id=values["service_id"], **service)


def _key_owners(rows: Iterable[asyncpg.Record]) -> dict[str, tuple[Integration, MonitoredService]]:
    return {row["key_hash"]: _owner(dict(row)) for row in rows}


async def find_integrations_by_key_hashes(
    connection: asyncpg.Connection, *, key_hashes: list[str]
) -> dict[str, tuple[Integration, MonitoredService]]:
    """Integrations (with their service) by key hash, for those hashes that exist; the objects belong to no
    session."""
    return _key_owners(await connection.fetch(_KEY_OWNERS, key_hashes))


# --- heartbeats --------------------------------------------------------------------------------


_HEARTBEAT = "SELECT to_jsonb(h)::text FROM heartbeats h WHERE h.integration_id = $1 FOR UPDATE"


async def lock_heartbeat(connection: asyncpg.Connection, *, integration_id: uuid.UUID) -> Heartbeat | None:
    """The integration's heartbeat, locked until the connection's transaction ends: a detached object,
    whose changes `write_heartbeats` stores."""
    found = await connection.fetchval(_HEARTBEAT, integration_id)
    return None if found is None else _detached(Heartbeat, found)


# Overdue heartbeats with no open 'missed' alert yet, with their integration and service; rows another
# replica holds are skipped.
_MISSED_HEARTBEATS = (
    _OWNERS  # nosec B608 - constant text
    + """, to_jsonb(h)::text AS heartbeat
      FROM heartbeats h JOIN integrations i ON i.id = h.integration_id JOIN services s ON s.id = i.service_id
     WHERE h.due_at <= $1 AND h.missed_alert_fingerprint IS NULL AND i.revoked_at IS NULL
     ORDER BY h.due_at LIMIT $2
       FOR UPDATE OF h SKIP LOCKED
"""
)


async def claim_missed_heartbeats(
    connection: asyncpg.Connection, *, now: datetime, limit: int
) -> list[tuple[Heartbeat, Integration, MonitoredService]]:
    """Overdue heartbeats not reported yet, locked until the connection's transaction ends (detached
    objects, whose changes `write_heartbeats` stores), with their integration and service."""
    claimed = []
    for row in await connection.fetch(_MISSED_HEARTBEATS, now, limit):
        values = dict(row)
        heartbeat = _detached(Heartbeat, values.pop("heartbeat"))
        claimed.append((heartbeat, *_owner(values)))
    return claimed


_WRITE_HEARTBEATS = """
    UPDATE heartbeats h
       SET (last_ping_at, due_at, missed_alert_fingerprint) = (x.last_ping_at, x.due_at, x.missed)
      FROM jsonb_to_recordset($1::jsonb)
           AS x(integration_id uuid, last_ping_at timestamptz, due_at timestamptz, missed text)
     WHERE h.integration_id = x.integration_id
"""


async def write_heartbeats(connection: asyncpg.Connection, heartbeats: Sequence[Heartbeat]) -> None:
    """The pings, deadlines and 'missed' marks of `heartbeats` (locked by the caller)."""
    rows = [
        {
            "integration_id": h.integration_id,
            "last_ping_at": h.last_ping_at,
            "due_at": h.due_at,
            "missed": h.missed_alert_fingerprint,
        }
        for h in heartbeats
    ]
    await connection.execute(_WRITE_HEARTBEATS, _json(rows))


# Incidents still to be paged, locked, with their service's policy. An ingest transaction's new incidents
# are as it leaves them (later alerts of its batch may have joined, acknowledged or resolved them).
_INCIDENTS_FOR_PAGING = """
    SELECT to_jsonb(i)::text AS incident, s.escalation_policy_id AS policy_id
      FROM incidents i LEFT JOIN services s ON s.name = i.service
     WHERE i.id = ANY($1::uuid[]) AND i.assignment_pending AND i.status <> 'resolved'
     ORDER BY i.id
       FOR UPDATE OF i
"""


async def lock_incidents_for_paging(
    connection: asyncpg.Connection, *, incident_ids: list[uuid.UUID]
) -> list[tuple[Incident, uuid.UUID | None]]:
    """Those of the incidents still to be paged, locked in id order (one lock order for every caller),
    each with its service's escalation policy: detached objects, whose changes `write_incidents` stores."""
    rows = await connection.fetch(_INCIDENTS_FOR_PAGING, incident_ids)
    return [(_detached(Incident, row["incident"]), row["policy_id"]) for row in rows]


_INCIDENT = "SELECT to_jsonb(i)::text AS incident FROM incidents i WHERE i.id = $1"


async def get_stored_incident(connection: asyncpg.Connection, *, incident_id: uuid.UUID) -> Incident | None:
    """The incident as committed, on the driver's connection: a detached object."""
    found = await connection.fetchval(_INCIDENT, incident_id)
    return None if found is None else _detached(Incident, found)


async def lock_incident(connection: asyncpg.Connection, *, incident_id: uuid.UUID) -> Incident | None:
    """The incident, locked until the connection's transaction ends: a detached object, whose changes
    `write_incidents` stores."""
    found = await connection.fetchval(_INCIDENT + " FOR UPDATE", incident_id)
    return None if found is None else _detached(Incident, found)


Model = TypeVar("Model", Incident, Heartbeat)


def _detached(model: type[Model], found: str) -> Model:
    """A model object from its row as JSON text (`to_jsonb(...)::text`), belonging to no session."""
    row, values = orjson.loads(found), {}
    for name, col in model.__table__.columns.items():
        value = row.get(name)
        if value is not None and isinstance(col.type, DateTime):
            value = datetime.fromisoformat(value)
        elif value is not None and isinstance(col.type, Uuid):
            value = uuid.UUID(value)
        values[name] = value
    return model(**values)


# The columns the incident's lifecycle changes (ingest's own writes aside): what `write_incidents` stores.
CHANGED_COLUMNS = (
    "status",
    "updated_at",
    "assigned_to",
    "assignee_name",
    "assignee_email",
    "assignment_pending",
    "acknowledged_at",
    "acknowledged_by",
    "resolved_at",
    "resolved_by",
    "mtta_seconds",
    "mttr_seconds",
    "escalation_policy_id",
    "escalation_level",
    "escalation_cycle",
    "next_escalation_at",
    "snoozed_until",
)

# Changed incidents, their timeline entries and events in order, and audit entries, in one statement
# (data-modifying CTEs all run, whether read or not).
_WRITE_INCIDENTS = (
    "WITH changed AS (UPDATE incidents AS i"  # nosec B608 - the column names are this module's constant
    + f" SET ({', '.join(CHANGED_COLUMNS)}) = ({', '.join('x.' + c for c in CHANGED_COLUMNS)})"
    + """
          FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, status text, updated_at timestamptz,
               assigned_to uuid, assignee_name text, assignee_email text, assignment_pending boolean,
               acknowledged_at timestamptz, acknowledged_by text, resolved_at timestamptz, resolved_by text,
               mtta_seconds float8, mttr_seconds float8, escalation_policy_id uuid, escalation_level int,
               escalation_cycle int, next_escalation_at timestamptz, snoozed_until timestamptz)
         WHERE i.id = x.id
    ), timeline AS (
        INSERT INTO timeline_entries (incident_id, at, actor, kind, message)
        SELECT x.incident_id, x.at, x.actor, x.kind, x.message
          FROM ROWS FROM (jsonb_to_recordset($2::jsonb)
                          AS (incident_id uuid, at timestamptz, actor text, kind text, message text))
               WITH ORDINALITY AS x(incident_id, at, actor, kind, message, ord)
         ORDER BY x.ord
    ), outbox AS (
        INSERT INTO outbox_events (event_id, type, payload)
        SELECT (x.e ->> 'id')::uuid, x.e ->> 'type', x.e
          FROM jsonb_array_elements($3::jsonb) WITH ORDINALITY AS x(e, ord)
         ORDER BY x.ord
    )
    INSERT INTO audit_log (at, actor_type, actor_id, actor, client_ip, action, target_type, target_id,
                           before, after)
    SELECT * FROM jsonb_to_recordset($4::jsonb) AS (at timestamptz, actor_type text, actor_id text,
           actor text, client_ip text, action text, target_type text, target_id text, before jsonb,
           after jsonb)
"""
)


async def write_incidents(
    connection: asyncpg.Connection,
    *,
    incidents: Sequence[Incident] = (),
    timeline: Sequence[TimelineEntry] = (),
    events: Sequence[dict[str, Any]] = (),
    audited: Sequence[dict[str, Any]] = (),
) -> None:
    """The `CHANGED_COLUMNS` of `incidents` (locked by the caller), the `timeline` entries, `events` (to
    the outbox) and `audited` entries (`shared.audit`), in the connection's transaction."""
    if incidents or timeline or events or audited:
        changed = [{"id": i.id} | {c: getattr(i, c) for c in CHANGED_COLUMNS} for i in incidents]
        await connection.execute(
            _WRITE_INCIDENTS, _json(changed), _json(_entries(timeline)), _json(events), _json(audited)
        )


def _entries(timeline: Sequence[TimelineEntry]) -> list[dict[str, Any]]:
    return [
        {"incident_id": e.incident_id, "at": e.at, "actor": e.actor, "kind": e.kind, "message": e.message}
        for e in timeline
    ]


def _json(value: object) -> str:
    return orjson.dumps(value, default=str).decode()


# The most overdue escalation no other worker holds.
_DUE_ESCALATION = """
    SELECT to_jsonb(i)::text FROM incidents i
     WHERE i.next_escalation_at <= $1 AND i.status <> 'resolved'
     ORDER BY i.next_escalation_at LIMIT 1
       FOR UPDATE SKIP LOCKED
"""


async def claim_due_escalation(connection: asyncpg.Connection, *, now: datetime) -> Incident | None:
    """The most overdue escalation no other worker holds, locked until the connection's transaction ends:
    a detached object, whose changes `write_incidents` stores."""
    found = await connection.fetchval(_DUE_ESCALATION, now)
    return None if found is None else _detached(Incident, found)


async def get_earliest_escalation(connection: asyncpg.Connection) -> datetime | None:
    earliest: datetime | None = await connection.fetchval(
        "SELECT min(next_escalation_at) FROM incidents WHERE status <> 'resolved'"
    )
    return earliest
