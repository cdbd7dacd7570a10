"""Incident queries on an AsyncSession. Never commits: the edge owns the transaction."""

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import asyncpg
import orjson
from sqlalchemy import ARRAY, DateTime, Uuid, any_, bindparam, case, column, func, select, text, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached

from services.incident_management.schemas import IncidentFilter
from shared.db import Writes, insert_at_commit, queued
from shared.models import (
    Alert,
    Heartbeat,
    Incident,
    Integration,
    MonitoredService,
    OutboxEvent,
    TimelineEntry,
)


# The keys come as one array, whatever their number: one prepared statement (a select list per count was
# a new statement for every group size, which crowded the driver's prepared-statement cache). The function
# scan yields the array in order, so the locks are taken in the order given.
def _take_locks(keys: str) -> str:
    return f"SELECT count(pg_advisory_xact_lock(hashtextextended(k, 0))) AS held FROM unnest({keys}) AS k"  # nosec B608 - keys: a bind-parameter expression of this module


_LOCK_KEYS = text(_take_locks("CAST(:keys AS text[])"))


async def lock_keys(session: AsyncSession, *, keys: list[str]) -> None:
    """Transaction-scoped advisory locks serialising work on the same correlation key and fingerprint,
    taken in the order given, in one round trip."""
    await session.execute(_LOCK_KEYS, {"keys": keys})


async def get_open_alert_by_fingerprint(session: AsyncSession, *, service: str, fingerprint: str):
    """The newest still-firing alert with this fingerprint on an unresolved incident of the service
    (a row with `id`, `incident_id`, `summary`), or None."""
    stmt = (
        select(Alert.id, Alert.incident_id, Alert.summary)
        .join(Incident, Incident.id == Alert.incident_id)
        .where(
            Alert.service == service,
            Alert.fingerprint == fingerprint,
            Alert.status == "firing",
            Incident.status != "resolved",
        )
        .order_by(Alert.received_at.desc())
        .limit(1)
    )
    return (await session.execute(stmt)).one_or_none()


def _owners_holding(integration_ids: str, services: str) -> str:
    """A FROM item counting the routing keys' owners, given as two arrays (integration ids, service
    names), that still hold: the integration exists, unrevoked, and belongs to the service so named.
    A statement passes its alerts to the ingest function only when every owner holds; an owner learnt
    earlier that no longer does (a revoked key, a renamed service) gives the function no alerts."""
    return (
        "(SELECT count(*) AS valid"  # nosec B608 - arguments: bind-parameter expressions
        f"   FROM unnest({integration_ids}, {services}) AS o(integration_id, service)"
        "   JOIN integrations i ON i.id = o.integration_id AND i.revoked_at IS NULL"
        "   JOIN services s ON s.id = i.service_id AND s.name = o.service) AS owners"
    )


# The ingest statement, in a session's named parameters or the driver's numbered ones (same order).
_IN_SESSION = {
    "keys": "CAST(:keys AS text[])",
    "owner_ids": "CAST(:owner_ids AS uuid[])",
    "owner_services": "CAST(:owner_services AS text[])",
    "batch": "CAST(:batch AS jsonb)",
    "now": ":now",
    "since": ":since",
}
_ON_DRIVER = dict(
    zip(_IN_SESSION, ("$1::text[]", "$2::uuid[]", "$3::text[]", "$4::jsonb", "$5", "$6"), strict=True)
)
# A new incident comes with its service's escalation policy, which paging needs (a scalar subquery in the
# select list: the function's rows keep their order).
_OPENED = (
    "r.alert_ref, r.incident_ref, r.outcome, r.incident,"
    " CASE WHEN r.outcome = 'created' THEN (SELECT s.escalation_policy_id FROM services s"
    "                                        WHERE s.name = r.incident->>'service') END AS policy_id"
)


def _ingest(p: dict[str, str], *, columns: str, may_open: bool) -> str:
    """The locks of the keys (the statement `lock_keys` runs), then the function: the lateral call depends
    on the lock count, so it runs once every lock is held, and its own queries (a volatile function's take
    a snapshot each) see what the transactions that held them committed. An empty array takes no lock.
    The owners the caller relies on are checked in the same statement (none: nothing to check)."""
    return (
        f"SELECT {columns} FROM ({_take_locks(p['keys'])}) AS locks,"  # nosec B608 - p: this module's bind parameters, columns: its own
        f" {_owners_holding(p['owner_ids'], p['owner_services'])},"
        " LATERAL ingest_triggered_alerts("
        f"    CASE WHEN locks.held >= 0 AND owners.valid = cardinality({p['owner_ids']})"
        f"         THEN {p['batch']} END,"
        f"    {p['now']}, {p['since']}{'' if may_open else ', false'}) AS r"
    )


_INGEST_TRIGGERED = text(_ingest(_IN_SESSION, columns=_OPENED, may_open=True)).columns(
    column("alert_ref", Uuid),
    column("incident_ref", Uuid),
    column("outcome"),
    column("incident", JSONB),
    column("policy_id", Uuid),
)
_INGEST_TRIGGERED_ON_DRIVER = _ingest(_ON_DRIVER, columns=_OPENED, may_open=True)
# Asked to store the run only if every alert joins an open incident or repeats a firing alert.
_INGEST_JOINING = _ingest(_ON_DRIVER, columns=_OPENED, may_open=False)


def _run_values(batch: list[dict], now: datetime, since: datetime, lock: list[str], owners: dict) -> list:
    """The statement's parameters, in the order of `_IN_SESSION`."""
    return [lock, list(owners), list(owners.values()), orjson.dumps(batch, default=str).decode(), now, since]


async def ingest_triggered(
    session: AsyncSession,
    *,
    batch: list[dict],
    now: datetime,
    since: datetime,
    lock: list[str],
    owners: dict[uuid.UUID, str],
) -> Sequence[Mapping[str, Any]]:
    """Deduplicate, correlate and store a run of triggering alerts in one round trip (migration 0010
    holds the function), first taking the advisory locks of `lock` (in the order given; may be empty).
    Rows of (alert_ref, incident_ref, outcome, incident, policy_id), in the batch's order; `incident` is
    the new incident's row as inserted (to_jsonb) for `created`, with its service's policy, else None.
    No row at all, with nothing written, when an owner in `owners` (integration id: service name) no
    longer holds."""
    values = dict(zip(_IN_SESSION, _run_values(batch, now, since, lock, owners), strict=True))
    return (await session.execute(_INGEST_TRIGGERED, values)).mappings().all()


async def ingest_on_driver(
    connection: asyncpg.Connection,
    *,
    may_open: bool,
    batch: list[dict],
    now: datetime,
    since: datetime,
    lock: list[str],
    owners: dict[uuid.UUID, str],
) -> list[dict[str, Any]]:
    """`ingest_triggered` on the driver's connection: in its transaction, or with `may_open` false as one
    autocommit statement that stores the run only if none of its alerts opens an incident. Nothing is
    written otherwise: no row when an owner no longer holds; rows ending with `would_open` when an alert
    would open an incident."""
    statement = _INGEST_TRIGGERED_ON_DRIVER if may_open else _INGEST_JOINING
    rows = await connection.fetch(statement, *_run_values(batch, now, since, lock, owners))
    return [dict(row) | {"incident": row["incident"] and orjson.loads(row["incident"])} for row in rows]


async def resolve_alert(session: AsyncSession, *, alert_id: uuid.UUID, now: datetime) -> None:
    await session.execute(
        update(Alert).where(Alert.id == alert_id).values(status="resolved", resolved_at=now, last_seen_at=now)
    )


async def count_firing_alerts(session: AsyncSession, *, incident_id: uuid.UUID) -> int:
    stmt = (
        select(func.count())
        .select_from(Alert)
        .where(Alert.incident_id == incident_id, Alert.status == "firing")
    )
    return (await session.execute(stmt)).scalar_one()


def add_timeline(
    session: Writes, *, incident_id: uuid.UUID, at: datetime, actor: str, kind: str, message: str
) -> None:
    row = {"incident_id": incident_id, "at": at, "actor": actor, "kind": kind, "message": message}
    insert_at_commit(session, TimelineEntry.__table__, row)


def create_outbox_event(session: Writes, *, event: dict) -> None:
    row = {"event_id": uuid.UUID(event["id"]), "type": event["type"], "payload": event}
    insert_at_commit(session, OutboxEvent.__table__, row)


def queued_outbox_rows(session: Writes) -> list[dict]:
    """The outbox rows this transaction has queued so far (`create_outbox_event`), as a list to change."""
    return queued(session, OutboxEvent.__table__)


async def get_incident(
    session: AsyncSession, *, incident_id: uuid.UUID, for_update: bool = False
) -> Incident | None:
    stmt = select(Incident).where(Incident.id == incident_id)
    if for_update:
        # Statements above may have changed the row behind the session's back (Core updates).
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_alerts(session: AsyncSession, *, incident_id: uuid.UUID) -> Sequence[Alert]:
    stmt = select(Alert).where(Alert.incident_id == incident_id).order_by(Alert.received_at, Alert.id)
    return (await session.execute(stmt)).scalars().all()


async def list_timeline(session: AsyncSession, *, incident_id: uuid.UUID) -> Sequence[TimelineEntry]:
    stmt = select(TimelineEntry).where(TimelineEntry.incident_id == incident_id).order_by(TimelineEntry.id)
    return (await session.execute(stmt)).scalars().all()


_STATUS_RANK = {"open": 0, "acknowledged": 1, "resolved": 2}
_SEVERITY_RANK = {"critical": 0, "high": 1, "warning": 2, "info": 3}


def _ranked(column_, ranks: dict[str, int]):
    return case(ranks, value=column_, else_=len(ranks))


def _order(sort: str) -> list:
    newest = [Incident.created_at.desc(), Incident.id.desc()]
    if sort == "oldest":
        return [Incident.created_at, Incident.id]
    if sort == "severity":
        return [_ranked(Incident.severity, _SEVERITY_RANK), *newest]
    if sort == "triage":
        return [_ranked(Incident.status, _STATUS_RANK), _ranked(Incident.severity, _SEVERITY_RANK), *newest]
    return newest


def _filters(query: IncidentFilter) -> list:
    """Every condition of the query but the status (the status tabs count across it)."""
    conditions = []
    if query.severity:
        conditions.append(Incident.severity == query.severity)
    if query.service:
        conditions.append(Incident.service == query.service)
    if query.team:
        owned = select(MonitoredService.name).where(MonitoredService.team == query.team)
        conditions.append(Incident.service.in_(owned.scalar_subquery()))
    if query.assignee:
        conditions.append(Incident.assigned_to == query.assignee)
    if query.text:
        conditions.append(Incident.title.icontains(query.text, autoescape=True))
    if query.since:
        conditions.append(Incident.created_at >= query.since)
    if query.until:
        conditions.append(Incident.created_at < query.until)
    return conditions


async def list_incidents(session: AsyncSession, *, query: IncidentFilter) -> tuple[list[Incident], int]:
    """One page in the query's order, ties broken by id, so pages are stable."""
    conditions = _filters(query)
    if query.status:
        conditions.append(Incident.status == query.status)
    stmt = (
        select(Incident)
        .where(*conditions)
        .order_by(*_order(query.sort))
        .limit(query.limit)
        .offset(query.offset)
    )
    rows = list((await session.execute(stmt)).scalars().all())
    total = (
        await session.execute(select(func.count()).select_from(Incident).where(*conditions))
    ).scalar_one()
    return rows, total


async def count_by_status(session: AsyncSession, *, query: IncidentFilter) -> dict[str, int]:
    """How many incidents of each status match the query's other filters."""
    stmt = select(Incident.status, func.count()).where(*_filters(query)).group_by(Incident.status)
    return {status: count for status, count in (await session.execute(stmt)).all()}


async def list_pending_assignments(session: AsyncSession, *, limit: int) -> Sequence[Incident]:
    stmt = (
        select(Incident)
        .where(Incident.assignment_pending, Incident.status != "resolved")
        .order_by(Incident.created_at)
        .limit(limit)
    )
    return (await session.execute(stmt)).scalars().all()


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


async def create_service(session: AsyncSession, *, values: dict) -> MonitoredService:
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


async def list_integrations(session: AsyncSession, *, service_id: uuid.UUID) -> Sequence[Integration]:
    stmt = select(Integration).where(Integration.service_id == service_id).order_by(Integration.created_at)
    return (await session.execute(stmt)).scalars().all()


# Routing keys' owners by key hash, as plain rows made into model objects that belong to no session: the
# ORM's loading of the two entities cost ~0.8 ms of client CPU per lookup, the rows ~0.2 on the driver's
# connection (measured here). One statement, in a transaction's session (the ingest transaction, a
# heartbeat's ping) or on the driver's connection (a replica asking for a key it has not cached).
_KEY_OWNERS = """
    SELECT i.id, i.service_id, i.name, i.type, i.key_hash, i.key_hint, i.config::text AS config,
           i.created_at, i.revoked_at, s.name AS s_name, s.description AS s_description, s.team AS s_team,
           s.escalation_policy_id AS s_escalation_policy_id, s.auto_resolve AS s_auto_resolve,
           s.created_at AS s_created_at
      FROM integrations i JOIN services s ON s.id = i.service_id
     WHERE i.key_hash = ANY({hashes})
"""
_KEY_OWNERS_IN_SESSION = text(_KEY_OWNERS.format(hashes="CAST(:hashes AS text[])"))
_KEY_OWNERS_ON_DRIVER = _KEY_OWNERS.format(hashes="$1::text[]")


def _key_owners(rows: Iterable[Mapping[str, Any]]) -> dict[str, tuple[Integration, MonitoredService]]:
    found = {}
    for row in rows:
        values = dict(row)
        service = {name[2:]: values.pop(name) for name in list(values) if name.startswith("s_")}
        values["config"] = orjson.loads(values["config"])
        owner = (Integration(**values), MonitoredService(id=values["service_id"], **service))
        found[values["key_hash"]] = owner
    return found


async def get_integrations_by_key_hashes(
    session: AsyncSession, *, key_hashes: list[str]
) -> dict[str, tuple[Integration, MonitoredService]]:
    """Integrations (with their service) by key hash, for those hashes that exist; the objects belong to no
    session."""
    rows = await session.execute(_KEY_OWNERS_IN_SESSION, {"hashes": key_hashes})
    return _key_owners(row._mapping for row in rows)


async def find_integrations_by_key_hashes(
    connection: asyncpg.Connection, *, key_hashes: list[str]
) -> dict[str, tuple[Integration, MonitoredService]]:
    """`get_integrations_by_key_hashes` on the driver's connection, outside any transaction."""
    return _key_owners(await connection.fetch(_KEY_OWNERS_ON_DRIVER, key_hashes))


# --- heartbeats --------------------------------------------------------------------------------


async def get_heartbeat(
    session: AsyncSession, *, integration_id: uuid.UUID, for_update: bool = False
) -> Heartbeat | None:
    stmt = select(Heartbeat).where(Heartbeat.integration_id == integration_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def claim_missed_heartbeats(
    session: AsyncSession, *, now: datetime, limit: int
) -> Sequence[tuple[Heartbeat, Integration, MonitoredService]]:
    """Overdue heartbeats with no open 'missed' alert yet; rows another replica holds are skipped."""
    stmt = (
        select(Heartbeat, Integration, MonitoredService)
        .join(Integration, Integration.id == Heartbeat.integration_id)
        .join(MonitoredService, MonitoredService.id == Integration.service_id)
        .where(
            Heartbeat.due_at <= now,
            Heartbeat.missed_alert_fingerprint.is_(None),
            Integration.revoked_at.is_(None),
        )
        .order_by(Heartbeat.due_at)
        .limit(limit)
        .with_for_update(of=Heartbeat, skip_locked=True)
    )
    return [(row[0], row[1], row[2]) for row in (await session.execute(stmt)).all()]


_INCIDENTS_FOR_PAGING = (
    select(Incident, MonitoredService.escalation_policy_id)
    .outerjoin(MonitoredService, MonitoredService.name == Incident.service)
    .where(Incident.id == any_(bindparam("ids", type_=ARRAY(Uuid))))
    .order_by(Incident.id)  # one lock order for every caller
    .with_for_update(of=Incident)
    .execution_options(populate_existing=True)
)


def adopt_incident(writes: Writes, row: dict) -> Incident:
    """The ORM object of an incident this transaction inserted, from its row as JSON (`to_jsonb`), without
    reading it back: nobody else sees it before the commit, so it needs no lock either. Changes to it are
    written as an UPDATE of the changed columns, as for a loaded object."""
    values = {}
    for name, col in Incident.__table__.columns.items():
        value = row.get(name)
        if value is not None and isinstance(col.type, DateTime):
            value = datetime.fromisoformat(value)
        elif value is not None and isinstance(col.type, Uuid):
            value = uuid.UUID(value)
        values[name] = value
    incident = Incident(**values)
    make_transient_to_detached(incident)  # as if loaded: no history, so no INSERT
    writes.add(incident)
    return incident


async def get_incidents_for_paging(
    session: AsyncSession, *, incident_ids: list[uuid.UUID]
) -> list[tuple[Incident, uuid.UUID | None]]:
    """The incidents, locked, each with its service's escalation policy (if the service row has one)."""
    rows = (await session.execute(_INCIDENTS_FOR_PAGING, {"ids": incident_ids})).all()
    return [(row[0], row[1]) for row in rows]


async def claim_due_escalation(session: AsyncSession, *, now: datetime) -> Incident | None:
    """The most overdue escalation no other worker holds, locked until the transaction ends."""
    stmt = (
        select(Incident)
        .where(Incident.next_escalation_at <= now, Incident.status != "resolved")
        .order_by(Incident.next_escalation_at)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_earliest_escalation(session: AsyncSession) -> datetime | None:
    stmt = select(func.min(Incident.next_escalation_at)).where(Incident.status != "resolved")
    return (await session.execute(stmt)).scalar_one_or_none()


async def update_next_escalation(
    session: AsyncSession, *, incident_id: uuid.UUID, at: datetime | None
) -> None:
    await session.execute(update(Incident).where(Incident.id == incident_id).values(next_escalation_at=at))
