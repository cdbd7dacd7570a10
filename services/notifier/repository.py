"""Notifier queries on an AsyncSession. Never commits: the edge owns the transaction."""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import (
    ARRAY,
    DateTime,
    Float,
    Integer,
    Row,
    Table,
    Text,
    TextClause,
    Uuid,
    all_,
    any_,
    bindparam,
    cast,
    delete,
    func,
    select,
    text,
    union,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import insert_at_commit
from shared.models import (
    EmailNotification,
    MonitoredService,
    ServiceOwnership,
    Team,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)


def create_subscription(
    session: AsyncSession, *, fields: dict, secret: str, now: datetime
) -> WebhookSubscription:
    subscription = WebhookSubscription(
        id=uuid.uuid4(), secret=secret, created_at=now, updated_at=now, **fields
    )
    session.add(subscription)
    return subscription


async def get_subscription(
    session: AsyncSession, *, subscription_id: uuid.UUID
) -> WebhookSubscription | None:
    return await session.get(WebhookSubscription, subscription_id)


async def list_subscriptions(session: AsyncSession) -> Sequence[WebhookSubscription]:
    stmt = select(WebhookSubscription).order_by(WebhookSubscription.created_at, WebhookSubscription.id)
    return (await session.execute(stmt)).scalars().all()


async def delete_subscription(session: AsyncSession, *, subscription_id: uuid.UUID) -> bool:
    stmt = delete(WebhookSubscription).where(WebhookSubscription.id == subscription_id)
    return (await session.execute(stmt)).rowcount > 0


_ACTIVE_SUBSCRIPTIONS = select(WebhookSubscription.__table__).where(WebhookSubscription.active)


async def list_active_subscriptions(session: AsyncSession) -> Sequence[Row]:
    """Every active subscription, as rows with the table's columns (the stream consumer loads them once
    per batch and filters in memory; rows, not ORM objects, which cost more to load than to filter)."""
    return (await session.execute(_ACTIVE_SUBSCRIPTIONS)).all()


async def list_team_names_of_service(session: AsyncSession, *, service: str) -> set[str]:
    """Teams owning a service: the services catalogue's team and on-call's service ownership."""
    catalogue = select(MonitoredService.team.label("name")).where(
        MonitoredService.name == service, MonitoredService.team.is_not(None)
    )
    ownership = (
        select(Team.name.label("name"))
        .join(ServiceOwnership, ServiceOwnership.team_id == Team.id)
        .where(ServiceOwnership.service == service)
    )
    return set((await session.execute(union(catalogue, ownership))).scalars().all())


def _insert_skipping_existing(table: Table, columns: tuple[str, ...], constraint: str) -> TextClause:
    """INSERT … ON CONFLICT ON CONSTRAINT … DO NOTHING as text, typed by the table's columns.

    The dialect's `insert().on_conflict_do_nothing()` is never cached by SQLAlchemy, so it was compiled
    again on every call; a text statement is compiled once and run as executemany."""
    names = ", ".join(columns)
    values = ", ".join(f":{c}" for c in columns)
    sql = f"INSERT INTO {table.name} ({names}) VALUES ({values}) ON CONFLICT ON CONSTRAINT {constraint} "
    sql += "DO NOTHING"
    return text(sql).bindparams(*(bindparam(c, type_=table.c[c].type) for c in columns))


_COMMON = ("id", "event_id", "event_type", "payload", "status", "attempts", "next_attempt_at", "retry_until")
_NEW_EMAILS = _insert_skipping_existing(
    EmailNotification.__table__,
    (*_COMMON, "created_at", "recipient", "recipient_name"),
    "uq_email_notifications_event_recipient",
)
# Deliveries go in as one statement over column arrays, so it can say which rows it wrote: a pair that
# exists (an event handled twice) is skipped, and its id is not returned. `body`: the event's JSON text.
_DELIVERY_COLUMNS = {
    "id": Uuid,
    "event_id": Uuid,
    "event_type": Text,
    "body": Text,
    "next_attempt_at": DateTime(timezone=True),
    "retry_until": DateTime(timezone=True),
    "created_at": DateTime(timezone=True),
    "subscription_id": Uuid,
}
_NEW_DELIVERIES = text(
    """
    INSERT INTO webhook_deliveries (id, event_id, event_type, payload, status, attempts, next_attempt_at,
                                    retry_until, created_at, subscription_id)
    SELECT d.id, d.event_id, d.event_type, d.body::jsonb, 'pending', 0, d.next_attempt_at, d.retry_until,
           d.created_at, d.subscription_id
      FROM unnest(:id, :event_id, :event_type, :body, :next_attempt_at, :retry_until, :created_at,
                  :subscription_id)
           AS d(id, event_id, event_type, body, next_attempt_at, retry_until, created_at, subscription_id)
    ON CONFLICT ON CONSTRAINT uq_webhook_deliveries_event DO NOTHING
    RETURNING id
    """
).bindparams(*(bindparam(name, type_=ARRAY(kind)) for name, kind in _DELIVERY_COLUMNS.items()))


async def create_deliveries(session: AsyncSession, *, rows: list[dict]) -> set[uuid.UUID]:
    """Insert pending deliveries in one statement, skipping (subscription, event) pairs that exist;
    returns the ids of the rows it wrote."""
    if not rows:
        return set()
    columns = {name: [row[name] for row in rows] for name in _DELIVERY_COLUMNS}
    return set((await session.execute(_NEW_DELIVERIES, columns)).scalars().all())


async def create_emails(session: AsyncSession, *, rows: list[dict]) -> None:
    """Insert email notifications, skipping (event, recipient) pairs that exist."""
    if rows:
        await session.execute(_NEW_EMAILS, rows)


_D, _S = WebhookDelivery.__table__, WebhookSubscription.__table__
_DUE_DELIVERIES = (
    select(_D.c.id, _S.c.endpoint)
    .join(_S, _S.c.id == _D.c.subscription_id)
    .where(
        _D.c.status == "pending",
        _D.c.next_attempt_at <= bindparam("now"),
        # One statement whatever the number of saturated endpoints (an empty array excludes nothing).
        _S.c.endpoint != all_(bindparam("skip", type_=ARRAY(Text))),
    )
    .order_by(_D.c.next_attempt_at)
    .limit(bindparam("limit"))
)
_LEASE = (
    update(_D)
    .where(
        _D.c.id == any_(bindparam("ids", type_=ARRAY(Uuid))),
        # Checked again on the row as it is when updated: a replica that leased it first wins.
        _D.c.status == "pending",
        _D.c.next_attempt_at <= bindparam("now"),
        _S.c.id == _D.c.subscription_id,
    )
    .values(next_attempt_at=bindparam("until"))
    .returning(
        _D.c.id,
        _D.c.event_id,
        _D.c.event_type,
        _D.c.subscription_id,
        cast(_D.c.payload, Text).label("body"),  # JSON text, sent as is: no decode and re-encode
        _S.c.url,
        _S.c.endpoint,
        _S.c.allow_internal,
        _S.c.secret,
        _S.c.previous_secret,
        _S.c.previous_secret_expires_at,
    )
)


async def list_due_deliveries(
    session: AsyncSession, *, now: datetime, limit: int, skip_endpoints: list[str]
) -> Sequence[Row]:
    """(id, endpoint) of due pending deliveries, oldest first, none of the skipped endpoints; not locked."""
    params = {"now": now, "limit": limit, "skip": skip_endpoints}
    return (await session.execute(_DUE_DELIVERIES, params)).all()


async def lease_deliveries(
    session: AsyncSession, *, ids: list[uuid.UUID], now: datetime, until: datetime
) -> Sequence[Row]:
    """Lease the deliveries that are still due until `until` (out of everyone's due set until the attempt
    must be over); returns those this call leased, each with what sending it needs from its subscription,
    the payload as JSON text (`body`). One statement: atomic without a transaction."""
    return (await session.execute(_LEASE, {"ids": ids, "now": now, "until": until})).all()


def add_attempt(
    session: AsyncSession,
    *,
    delivery_id: uuid.UUID,
    at: datetime,
    status_code: int | None,
    latency_ms: float,
    error: str | None,
) -> None:
    values = {"attempted_at": at, "status_code": status_code, "latency_ms": latency_ms, "error": error}
    insert_at_commit(session, WebhookAttempt.__table__, values | {"delivery_id": delivery_id})


_DELIVERY_STATES = (
    select(_D.c.id, _D.c.status, _D.c.attempts, _D.c.retry_until)
    .where(_D.c.id == any_(bindparam("ids", type_=ARRAY(Uuid))))
    .order_by(_D.c.id)
    .with_for_update()
)


async def lock_delivery_states(
    session: AsyncSession, *, delivery_ids: list[uuid.UUID]
) -> dict[uuid.UUID, Row]:
    """(id, status, attempts, retry_until) of each delivery, not its payload, rows locked in id order;
    deliveries gone meanwhile are missing."""
    rows = await session.execute(_DELIVERY_STATES, {"ids": delivery_ids})
    return {row.id: row for row in rows}


_D_UPDATE = (
    update(_D)
    .where(_D.c.id == bindparam("b_id"))
    .values(
        status=bindparam("b_status"),
        attempts=bindparam("b_attempts"),
        # None keeps the lease: a delivered or dead-lettered row is out of the due set by its status.
        next_attempt_at=func.coalesce(
            bindparam("b_next_attempt_at", type_=DateTime(timezone=True)), _D.c.next_attempt_at
        ),
        last_status_code=bindparam("b_last_status_code"),
        last_error=bindparam("b_last_error"),
        delivered_at=bindparam("b_delivered_at"),
    )
)


_RECORD_DELIVERED = text(
    """
    WITH o AS (SELECT * FROM unnest(:ids, :codes, :latencies) AS o(id, code, latency_ms)),
    delivered AS (
        UPDATE webhook_deliveries d
           SET status = 'delivered', attempts = d.attempts + 1, last_status_code = o.code,
               last_error = NULL, delivered_at = :now
          FROM o
         WHERE d.id = o.id AND d.status = 'pending'
        RETURNING d.id
    ),
    logged AS (
        INSERT INTO webhook_attempts (delivery_id, attempted_at, status_code, latency_ms, error)
        SELECT o.id, :now, o.code, o.latency_ms, NULL FROM o JOIN webhook_deliveries d ON d.id = o.id
    )
    SELECT o.id, CASE WHEN x.id IS NULL THEN d.status ELSE 'delivered' END AS status
      FROM o JOIN webhook_deliveries d ON d.id = o.id LEFT JOIN delivered x ON x.id = o.id
    """
).bindparams(
    bindparam("ids", type_=ARRAY(Uuid)),
    bindparam("codes", type_=ARRAY(Integer)),
    bindparam("latencies", type_=ARRAY(Float)),
    bindparam("now", type_=DateTime(timezone=True)),
)


async def record_delivered(
    session: AsyncSession, *, answers: list[tuple[uuid.UUID, int, float]], now: datetime
) -> dict[uuid.UUID, str]:
    """Successful attempts (delivery id, status code, latency ms) in one statement, atomic without a
    transaction: each attempt is logged and its delivery, if still pending, marked delivered. Returns each
    delivery's status after it (`delivered`, or what another attempt had made it); deliveries gone meanwhile
    are missing."""
    ids, codes, latencies = (list(column) for column in zip(*answers, strict=True))
    params = {"ids": ids, "codes": codes, "latencies": latencies, "now": now}
    return {row.id: row.status for row in await session.execute(_RECORD_DELIVERED, params)}


async def update_deliveries(session: AsyncSession, *, rows: list[dict]) -> None:
    """Apply attempts' outcomes: one executemany for all; each row has every `b_` key of _D_UPDATE."""
    if rows:
        await session.execute(_D_UPDATE, rows)


async def get_delivery(
    session: AsyncSession, *, subscription_id: uuid.UUID, delivery_id: uuid.UUID
) -> WebhookDelivery | None:
    stmt = (
        select(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.subscription_id == subscription_id)
        .with_for_update()
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_deliveries(
    session: AsyncSession,
    *,
    subscription_id: uuid.UUID,
    status: str | None,
    event_id: uuid.UUID | None,
    limit: int,
) -> Sequence[WebhookDelivery]:
    """Newest first."""
    stmt = select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription_id)
    if status:
        stmt = stmt.where(WebhookDelivery.status == status)
    if event_id:
        stmt = stmt.where(WebhookDelivery.event_id == event_id)
    stmt = stmt.order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id).limit(limit)
    return (await session.execute(stmt)).scalars().all()


async def list_attempts(
    session: AsyncSession, *, delivery_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[WebhookAttempt]]:
    """Attempts of each delivery, oldest first."""
    if not delivery_ids:
        return {}
    stmt = (
        select(WebhookAttempt)
        .where(WebhookAttempt.delivery_id.in_(delivery_ids))
        .order_by(WebhookAttempt.delivery_id, WebhookAttempt.id)
    )
    grouped: dict[uuid.UUID, list[WebhookAttempt]] = defaultdict(list)
    for attempt in (await session.execute(stmt)).scalars().all():
        grouped[attempt.delivery_id].append(attempt)
    return grouped


async def claim_due_emails(
    session: AsyncSession, *, now: datetime, limit: int, until: datetime
) -> Sequence[EmailNotification]:
    """Due pending emails, leased until `until` so no other replica sends them meanwhile."""
    stmt = (
        select(EmailNotification)
        .where(EmailNotification.status == "pending", EmailNotification.next_attempt_at <= now)
        .order_by(EmailNotification.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = (await session.execute(stmt)).scalars().all()
    for row in rows:
        row.next_attempt_at = until
    return rows


async def get_email_for_update(session: AsyncSession, *, email_id: uuid.UUID) -> EmailNotification | None:
    stmt = select(EmailNotification).where(EmailNotification.id == email_id).with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()
