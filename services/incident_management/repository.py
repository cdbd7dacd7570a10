"""Incident queries on an AsyncSession. Never commits: the edge owns the transaction."""

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from services.incident_management.schemas import AlertInput, IncidentFilter
from shared.models import (
    Alert,
    Heartbeat,
    Incident,
    Integration,
    MonitoredService,
    OutboxEvent,
    TimelineEntry,
)


async def lock_keys(session: AsyncSession, *, keys: list[str]) -> None:
    """Transaction-scoped advisory locks serialising work on the same correlation key and fingerprint,
    taken in the order given (select-list items are evaluated left to right), in one round trip."""
    calls = ", ".join(f"pg_advisory_xact_lock(hashtextextended(:k{i}, 0))" for i in range(len(keys)))
    await session.execute(text(f"SELECT {calls}"), {f"k{i}": key for i, key in enumerate(keys)})


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


_RECORD_DUPLICATE = text(
    """
    WITH seen AS (
        UPDATE alerts SET duplicate_count = duplicate_count + 1, last_seen_at = :now
        WHERE id = :alert_id RETURNING incident_id
    )
    UPDATE incidents SET duplicate_count = duplicate_count + 1 WHERE id = (SELECT incident_id FROM seen)
    """
)


async def record_duplicate(session: AsyncSession, *, alert_id: uuid.UUID, now: datetime) -> None:
    """Count a re-sent alert on it and on its incident, in one statement."""
    await session.execute(_RECORD_DUPLICATE, {"alert_id": alert_id, "now": now})


# The hot path of an alert storm, in one round trip: find the open incident of the correlation key,
# count the alert on it, store the alert and its timeline entry. No row back: nothing to join.
_JOIN_OPEN_INCIDENT = text(
    """
    WITH target AS (
        SELECT id FROM incidents
        WHERE service = :service AND severity = :severity AND status <> 'resolved' AND created_at >= :since
        ORDER BY created_at DESC LIMIT 1 FOR UPDATE
    ), joined AS (
        UPDATE incidents SET alert_count = alert_count + 1, updated_at = :now
        WHERE id = (SELECT id FROM target) RETURNING id
    ), stored AS (
        INSERT INTO alerts (id, incident_id, fingerprint, service, severity, summary, source, labels,
                            annotations, occurred_at, received_at, last_seen_at, duplicate_count, status,
                            integration_id)
        SELECT :alert_id, id, :fingerprint, :service, :severity, :summary, :source, :labels, :annotations,
               :occurred_at, :now, :now, 0, 'firing', :integration_id
        FROM joined RETURNING incident_id
    ), noted AS (
        INSERT INTO timeline_entries (incident_id, at, actor, kind, message)
        SELECT incident_id, :now, :actor, 'alert_added', :message FROM stored
    )
    SELECT incident_id FROM stored
    """
).bindparams(bindparam("labels", type_=JSONB), bindparam("annotations", type_=JSONB))


async def join_open_incident(
    session: AsyncSession,
    *,
    alert: AlertInput,
    alert_id: uuid.UUID,
    since: datetime,
    now: datetime,
    actor: str,
    message: str,
) -> uuid.UUID | None:
    """Add the alert to the newest open incident of its key created since `since`; its id, or None."""
    values = {
        "alert_id": alert_id,
        "service": alert.service,
        "severity": alert.severity,
        "since": since,
        "now": now,
        "fingerprint": alert.fingerprint,
        "summary": alert.summary,
        "source": alert.source,
        "labels": alert.labels,
        "annotations": alert.annotations,
        "occurred_at": alert.occurred_at or now,
        "integration_id": alert.integration_id,
        "actor": actor,
        "message": message,
    }
    return (await session.execute(_JOIN_OPEN_INCIDENT, values)).scalar_one_or_none()


def create_incident(session: AsyncSession, *, alert: AlertInput, now: datetime) -> Incident:
    incident = Incident(
        id=uuid.uuid4(),
        title=alert.summary,
        service=alert.service,
        severity=alert.severity,
        status="open",
        alert_count=1,
        duplicate_count=0,
        assignment_pending=False,
        created_at=now,
        updated_at=now,
    )
    session.add(incident)
    return incident


def create_alert(
    session: AsyncSession, *, incident_id: uuid.UUID, alert: AlertInput, alert_id: uuid.UUID, now: datetime
) -> Alert:
    stored = Alert(
        id=alert_id,
        incident_id=incident_id,
        fingerprint=alert.fingerprint,
        service=alert.service,
        severity=alert.severity,
        summary=alert.summary,
        source=alert.source,
        labels=alert.labels,
        annotations=alert.annotations,
        occurred_at=alert.occurred_at or now,
        received_at=now,
        last_seen_at=now,
        duplicate_count=0,
        integration_id=alert.integration_id,
    )
    session.add(stored)
    return stored


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
    session: AsyncSession, *, incident_id: uuid.UUID, at: datetime, actor: str, kind: str, message: str
) -> None:
    session.add(TimelineEntry(incident_id=incident_id, at=at, actor=actor, kind=kind, message=message))


def create_outbox_event(session: AsyncSession, *, event: dict) -> None:
    session.add(OutboxEvent(event_id=uuid.UUID(event["id"]), type=event["type"], payload=event))


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


async def list_incidents(session: AsyncSession, *, query: IncidentFilter) -> tuple[list[Incident], int]:
    """Newest first, ties broken by id, so pages are stable."""
    conditions = []
    if query.status:
        conditions.append(Incident.status == query.status)
    if query.severity:
        conditions.append(Incident.severity == query.severity)
    if query.service:
        conditions.append(Incident.service == query.service)
    if query.since:
        conditions.append(Incident.created_at >= query.since)
    stmt = (
        select(Incident)
        .where(*conditions)
        .order_by(Incident.created_at.desc(), Incident.id.desc())
        .limit(query.limit)
        .offset(query.offset)
    )
    rows = list((await session.execute(stmt)).scalars().all())
    total = (
        await session.execute(select(func.count()).select_from(Incident).where(*conditions))
    ).scalar_one()
    return rows, total


async def list_pending_assignments(session: AsyncSession, *, limit: int) -> Sequence[Incident]:
    stmt = (
        select(Incident)
        .where(Incident.assignment_pending, Incident.status != "resolved")
        .order_by(Incident.created_at)
        .limit(limit)
    )
    return (await session.execute(stmt)).scalars().all()


async def claim_outbox_batch(session: AsyncSession, *, limit: int) -> Sequence[OutboxEvent]:
    """Unpublished events in order, skipping rows another relay holds."""
    stmt = (
        select(OutboxEvent)
        .where(OutboxEvent.published_at.is_(None))
        .order_by(OutboxEvent.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return (await session.execute(stmt)).scalars().all()


async def mark_published(session: AsyncSession, *, ids: list[int], now: datetime) -> None:
    await session.execute(update(OutboxEvent).where(OutboxEvent.id.in_(ids)).values(published_at=now))


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


async def get_integration_by_key_hash(
    session: AsyncSession, *, key_hash: str
) -> tuple[Integration, MonitoredService] | None:
    stmt = (
        select(Integration, MonitoredService)
        .join(MonitoredService, MonitoredService.id == Integration.service_id)
        .where(Integration.key_hash == key_hash)
    )
    row = (await session.execute(stmt)).one_or_none()
    return None if row is None else (row[0], row[1])


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


async def get_service_policy_id(session: AsyncSession, *, service: str) -> uuid.UUID | None:
    """The escalation policy of the service row named `service`, if it has one."""
    stmt = select(MonitoredService.escalation_policy_id).where(MonitoredService.name == service)
    return (await session.execute(stmt)).scalar_one_or_none()


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
