"""Notifier queries. On an AsyncSession: never commits, the edge owns the transaction. The hot statements
of every event and attempt (the stream consumer's, the claim, the record of a delivered attempt) run on the
driver's own connection (`shared.db.DriverPool`), each atomic on its own (autocommit)."""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import asyncpg
from sqlalchemy import (
    ARRAY,
    CursorResult,
    DateTime,
    Row,
    Table,
    Uuid,
    any_,
    bindparam,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifier.models import WebhookAttempt, WebhookDelivery, WebhookSubscription


def create_subscription(
    session: AsyncSession, *, fields: dict[str, Any], secret: str, now: datetime
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
    result = await session.execute(stmt)
    return cast(CursorResult[Any], result).rowcount > 0  # a DML statement's result is a CursorResult


@dataclass(frozen=True, slots=True)
class ActiveSubscription:
    """What matching an event and sending to a subscription need of it (`domain.matches`)."""

    id: uuid.UUID
    url: str
    endpoint: str
    event_types: list[str]
    services: list[str]
    teams: list[str]
    active: bool
    allow_internal: bool
    secret: str
    previous_secret: str | None
    previous_secret_expires_at: datetime | None


def _text_array(column: str) -> str:
    return f"ARRAY(SELECT jsonb_array_elements_text({column})) AS {column}"


_ACTIVE_SUBSCRIPTIONS = f"""
    SELECT id, url, endpoint, {_text_array("event_types")}, {_text_array("services")}, {_text_array("teams")},
           active, allow_internal, secret, previous_secret, previous_secret_expires_at
      FROM webhook_subscriptions WHERE active
"""  # nosec B608 - column names of this module


async def list_active_subscriptions(connection: asyncpg.Connection) -> list[ActiveSubscription]:
    """Every active subscription (the stream consumer loads them once per batch and filters in memory)."""
    return [ActiveSubscription(**row) for row in await connection.fetch(_ACTIVE_SUBSCRIPTIONS)]


# Columns every new pending row of an event has (deliveries and emails), with their types; `body` is the
# event's JSON text, stored as the row's payload.
_PENDING_COLUMNS = (
    ("id", "uuid"),
    ("event_id", "uuid"),
    ("event_type", "text"),
    ("body", "text"),
    ("next_attempt_at", "timestamptz"),
    ("retry_until", "timestamptz"),
    ("created_at", "timestamptz"),
)


def _insert_pending(
    table: str, own: tuple[tuple[str, str], ...], constraint: str, returning: str = ""
) -> tuple[str, tuple[str, ...]]:
    """An INSERT of new pending rows given as one array per column (the names returned, in parameter
    order): one statement whatever the number of rows, skipping rows whose unique key exists, so that with
    RETURNING it says which rows it wrote."""
    columns = _PENDING_COLUMNS + own
    names = tuple(name for name, _ in columns)
    targets = ", ".join("payload" if name == "body" else name for name in names)
    values = ", ".join("r.body::jsonb" if name == "body" else f"r.{name}" for name in names)
    arrays = ", ".join(f"${n}::{kind}[]" for n, (_, kind) in enumerate(columns, 1))
    sql = (
        f"INSERT INTO {table} ({targets}, status, attempts) SELECT {values}, 'pending', 0"  # nosec B608 - table, columns and constraint: this module's names
        f" FROM unnest({arrays}) AS r({', '.join(names)})"
        f" ON CONFLICT ON CONSTRAINT {constraint} DO NOTHING {returning}"
    )
    return sql, names


_NEW_DELIVERIES, _DELIVERY_COLUMNS = _insert_pending(
    "webhook_deliveries", (("subscription_id", "uuid"),), "uq_webhook_deliveries_event", "RETURNING id"
)
_NEW_EMAILS, _EMAIL_COLUMNS = _insert_pending(
    "email_notifications",
    (("recipient", "text"), ("recipient_name", "text")),
    "uq_email_notifications_event_recipient",
)


def _arrays(rows: list[dict[str, Any]], names: tuple[str, ...]) -> list[list[Any]]:
    return [[row[name] for row in rows] for name in names]


async def create_deliveries(connection: asyncpg.Connection, *, rows: list[dict[str, Any]]) -> set[uuid.UUID]:
    """Insert pending deliveries in one statement, skipping (subscription, event) pairs that exist;
    returns the ids of the rows it wrote."""
    if not rows:
        return set()
    return {row[0] for row in await connection.fetch(_NEW_DELIVERIES, *_arrays(rows, _DELIVERY_COLUMNS))}


async def create_emails(connection: asyncpg.Connection, *, rows: list[dict[str, Any]]) -> None:
    """Insert email notifications in one statement, skipping (event, recipient) pairs that exist."""
    if rows:
        await connection.execute(_NEW_EMAILS, *_arrays(rows, _EMAIL_COLUMNS))


# Oldest first; one statement whatever the number of saturated endpoints (an empty array excludes nothing).
_DUE_DELIVERIES = """
    SELECT d.id, s.endpoint
      FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id
     WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND s.endpoint <> ALL($2::text[])
     ORDER BY d.next_attempt_at
     LIMIT $3
"""
# Checked again on the row as it is when updated: a replica that leased it first wins. The payload comes
# back as JSON text, sent as is: no decode and re-encode.
_LEASE = """
    UPDATE webhook_deliveries d SET next_attempt_at = $3
      FROM webhook_subscriptions s
     WHERE d.id = ANY($1::uuid[]) AND d.status = 'pending' AND d.next_attempt_at <= $2
       AND s.id = d.subscription_id
    RETURNING d.id, d.event_id, d.event_type, d.subscription_id, d.payload::text AS body, s.url, s.endpoint,
              s.allow_internal, s.secret, s.previous_secret, s.previous_secret_expires_at
"""


async def list_due_deliveries(
    connection: asyncpg.Connection, *, now: datetime, limit: int, skip_endpoints: list[str]
) -> list[asyncpg.Record]:
    """(id, endpoint) of due pending deliveries, oldest first, none of the skipped endpoints; not locked."""
    return await connection.fetch(_DUE_DELIVERIES, now, skip_endpoints, limit)


async def lease_deliveries(
    connection: asyncpg.Connection, *, ids: list[uuid.UUID], now: datetime, until: datetime
) -> list[asyncpg.Record]:
    """Lease the deliveries that are still due until `until` (out of everyone's due set until the attempt
    must be over); returns those this call leased, each with what sending it needs from its subscription,
    the payload as JSON text (`body`). One statement: atomic without a transaction."""
    return await connection.fetch(_LEASE, ids, now, until)


def add_attempt(
    session: AsyncSession,
    *,
    delivery_id: uuid.UUID,
    at: datetime,
    status_code: int | None,
    latency_ms: float,
    error: str | None,
    response_excerpt: str | None,
) -> None:
    session.add(
        WebhookAttempt(
            delivery_id=delivery_id,
            attempted_at=at,
            status_code=status_code,
            latency_ms=latency_ms,
            error=error,
            response_excerpt=response_excerpt,
        )
    )


_D = cast(Table, WebhookDelivery.__table__)  # the ORM types a mapped class's table as any FromClause
_DELIVERY_STATES = (
    select(_D.c.id, _D.c.status, _D.c.attempts, _D.c.retry_until)
    .where(_D.c.id == any_(bindparam("ids", type_=ARRAY(Uuid))))
    .order_by(_D.c.id)
    .with_for_update()
)


async def lock_delivery_states(
    session: AsyncSession, *, delivery_ids: list[uuid.UUID]
) -> dict[uuid.UUID, Row[Any]]:
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


_RECORD_DELIVERED = """
    WITH o AS (
        SELECT * FROM unnest($1::uuid[], $2::int[], $3::float8[], $5::text[])
                   AS o(id, code, latency_ms, response)
    ),
    delivered AS (
        UPDATE webhook_deliveries d
           SET status = 'delivered', attempts = d.attempts + 1, last_status_code = o.code,
               last_error = NULL, delivered_at = $4
          FROM o
         WHERE d.id = o.id AND d.status = 'pending'
        RETURNING d.id
    ),
    logged AS (
        INSERT INTO webhook_attempts
               (delivery_id, attempted_at, status_code, latency_ms, error, response_excerpt)
        SELECT o.id, $4, o.code, o.latency_ms, NULL, o.response
          FROM o JOIN webhook_deliveries d ON d.id = o.id
    )
    SELECT o.id, CASE WHEN x.id IS NULL THEN d.status ELSE 'delivered' END AS status
      FROM o JOIN webhook_deliveries d ON d.id = o.id LEFT JOIN delivered x ON x.id = o.id
"""


async def record_delivered(
    connection: asyncpg.Connection,
    *,
    answers: list[tuple[uuid.UUID, int | None, float, str | None]],
    now: datetime,
) -> dict[uuid.UUID, str]:
    """Successful attempts (delivery id, status code, latency ms, response excerpt) in one statement,
    atomic without a transaction: each attempt is logged and its delivery, if still pending, marked
    delivered. Returns each delivery's status after it (`delivered`, or what another attempt had made it);
    deliveries gone meanwhile are missing."""
    ids, codes, latencies, responses = (list(column) for column in zip(*answers, strict=True))
    rows = await connection.fetch(_RECORD_DELIVERED, ids, codes, latencies, now, responses)
    return {row[0]: row[1] for row in rows}


async def update_deliveries(session: AsyncSession, *, rows: list[dict[str, Any]]) -> None:
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


@dataclass(frozen=True, slots=True)
class LeasedEmail:
    """A pending email as leased for one attempt: what composing, sending and recording it need."""

    id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    recipient: str
    recipient_name: str | None
    body: str  # the event's JSON text
    attempts: int
    retry_until: datetime
    created_at: datetime


# Oldest due first; rows another replica is leasing are skipped, not waited for.
_LEASE_EMAILS = """
    UPDATE email_notifications e SET next_attempt_at = $3
      FROM (SELECT id FROM email_notifications
             WHERE status = 'pending' AND next_attempt_at <= $1
             ORDER BY next_attempt_at LIMIT $2
             FOR UPDATE SKIP LOCKED) due
     WHERE e.id = due.id
    RETURNING e.id, e.event_id, e.event_type, e.recipient, e.recipient_name, e.payload::text AS body,
              e.attempts, e.retry_until, e.created_at
"""


async def lease_due_emails(
    connection: asyncpg.Connection, *, now: datetime, limit: int, until: datetime
) -> list[LeasedEmail]:
    """Due pending emails, oldest first, leased until `until` (their next attempt moved there) so that no
    other replica sends them meanwhile. One statement: atomic without a transaction."""
    return [LeasedEmail(**row) for row in await connection.fetch(_LEASE_EMAILS, now, limit, until)]


# Applied only to rows still pending and still leased by this attempt (`next_attempt_at` = its lease): a
# row whose lease ran out meanwhile belongs to whoever leased it next.
_RECORD_EMAILS = """
    UPDATE email_notifications e
       SET status = r.status, attempts = e.attempts + 1, last_error = r.error,
           next_attempt_at = coalesce(r.next_attempt_at, e.next_attempt_at), sent_at = r.sent_at
      FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[])
           AS r(id, status, error, next_attempt_at, sent_at)
     WHERE e.id = r.id AND e.status = 'pending' AND e.next_attempt_at = $6
    RETURNING e.id, e.event_id, e.status
"""


@dataclass(frozen=True, slots=True)
class EmailResult:
    """One attempt's outcome: `sent`, `skipped`, or a failure as `pending` (retried at `next_attempt_at`)
    or `dead` (the retry window is over), with its error."""

    id: uuid.UUID
    status: str
    error: str | None = None
    next_attempt_at: datetime | None = None


async def record_emails(
    connection: asyncpg.Connection, *, results: list[EmailResult], leased_until: datetime, now: datetime
) -> list[asyncpg.Record]:
    """Record a pass's attempts in one statement (each one more attempt); returns (id, event id, status)
    of the rows it changed."""
    columns = [
        [r.id for r in results],
        [r.status for r in results],
        [r.error for r in results],
        [r.next_attempt_at for r in results],
        [now if r.status == "sent" else None for r in results],
    ]
    return await connection.fetch(_RECORD_EMAILS, *columns, leased_until)
