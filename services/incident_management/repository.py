"""Incident queries on an AsyncSession. Never commits: the edge owns the transaction."""

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.incident_management.schemas import AlertInput, IncidentFilter
from shared.models import Alert, Incident, MonitoredService, OutboxEvent, TimelineEntry


async def lock_keys(session: AsyncSession, *, keys: list[str]) -> None:
    """Transaction-scoped advisory locks serialising work on the same correlation key and fingerprint."""
    for key in keys:
        await session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key})


async def get_open_alert_by_fingerprint(
    session: AsyncSession, *, service: str, fingerprint: str
) -> Alert | None:
    """The newest alert with this fingerprint on an unresolved incident of the service."""
    stmt = (
        select(Alert)
        .join(Incident, Incident.id == Alert.incident_id)
        .where(Alert.service == service, Alert.fingerprint == fingerprint, Incident.status != "resolved")
        .order_by(Alert.received_at.desc())
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def record_duplicate(
    session: AsyncSession, *, alert_id: uuid.UUID, incident_id: uuid.UUID, now: datetime
) -> None:
    await session.execute(
        update(Alert)
        .where(Alert.id == alert_id)
        .values(duplicate_count=Alert.duplicate_count + 1, last_seen_at=now)
    )
    await session.execute(
        update(Incident)
        .where(Incident.id == incident_id)
        .values(duplicate_count=Incident.duplicate_count + 1)
    )


async def get_correlatable_incident(
    session: AsyncSession, *, service: str, severity: str, since: datetime
) -> Incident | None:
    stmt = (
        select(Incident)
        .where(
            Incident.service == service,
            Incident.severity == severity,
            Incident.status != "resolved",
            Incident.created_at >= since,
        )
        .order_by(Incident.created_at.desc())
        .limit(1)
        .with_for_update()
    )
    return (await session.execute(stmt)).scalar_one_or_none()


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


def create_alert(session: AsyncSession, *, incident_id: uuid.UUID, alert: AlertInput, now: datetime) -> Alert:
    stored = Alert(
        id=uuid.uuid4(),
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
    )
    session.add(stored)
    return stored


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
        stmt = stmt.with_for_update()
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
