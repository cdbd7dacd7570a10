"""Reads incident events from the Redis stream in a consumer group and turns each into delivery rows.

XACK only after the rows are committed, so an entry of a consumer that dies is still pending and is
reclaimed (XAUTOCLAIM) by another replica after CLAIM_IDLE_SECONDS. Handling is idempotent: the rows'
unique keys, (subscription, event) and (event, recipient), make a re-handled entry add nothing.

With a `dispatch` (this replica's webhook worker), a delivery for which the worker has a free slot is
written already leased to this replica and handed to the worker once committed: its first POST needs no
claim query and no wake-up. If this replica dies first, the lease runs out and any replica sends it.
"""

import asyncio
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol, cast

import orjson
from opentelemetry.trace import SpanKind
from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from services.notifier import domain
from services.notifier import repository as repo
from services.notifier.config import NotifierSettings
from services.notifier.repository import ActiveSubscription
from services.notifier.service_teams import Owners, ServiceTeams
from services.notifier.webhook_worker import Claimed
from shared.db import DriverPool
from shared.errors import Unavailable
from shared.telemetry import TRACEPARENT, batch_spans
from shared.timeutil import utcnow

log = logging.getLogger(__name__)
Entry = tuple[str, dict[bytes, bytes]]
# XREADGROUP's reply in RESP2 (redis types it for RESP3 too): per stream, its entries; None when none came.
_ReadReply = list[tuple[bytes, list[tuple[bytes, dict[bytes, bytes]]]]] | None


def default_consumer_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


def parse_entry(fields: dict[bytes, bytes]) -> dict[str, Any] | None:
    """The event envelope of a stream entry, or None when the entry is not one."""
    try:
        event = orjson.loads(fields[b"event"])
        uuid.UUID(event["id"])
    except (KeyError, TypeError, ValueError, orjson.JSONDecodeError):
        return None
    return (
        event
        if isinstance(event.get("data"), dict) and str(event.get("type", "")).startswith("incident.")
        else None
    )


class StreamConsumer:
    def __init__(
        self,
        driver: DriverPool,
        redis: Redis,
        settings: NotifierSettings,
        teams: ServiceTeams,
        *,
        on_written: Callable[[bool, bool], None],
        dispatch: "Dispatch | None" = None,
    ) -> None:
        """`driver`: the driver's connections, where each statement commits on its own (see `handle`);
        `teams`: who owns each service, for subscriptions filtered by team."""
        self._driver, self._redis, self._settings, self._on_written = driver, redis, settings, on_written
        self._teams = teams
        self._dispatch = dispatch
        self.name = settings.consumer_name or default_consumer_name()
        self._stream, self._group = settings.events_stream, settings.consumer_group
        self._next_reclaim = 0.0

    async def ensure_group(self) -> None:
        """Create the group if missing, starting at CONSUMER_GROUP_START (default: the whole stream)."""
        try:
            await self._redis.xgroup_create(
                self._stream, self._group, id=self._settings.consumer_group_start, mkstream=True
            )
        except ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise

    async def run(self) -> None:
        """Forever: own pending entries first, then reclaim stale ones now and then, then new ones."""
        delay, own_pending_done, group_ready = 0.2, False, False
        while True:
            try:
                if not group_ready:  # once, and again after an error (the stream may have been deleted)
                    await self.ensure_group()
                    group_ready = True
                if not own_pending_done:
                    while await self.read(pending=True):
                        pass
                    own_pending_done = True
                if time.monotonic() >= self._next_reclaim:
                    await self.reclaim()
                await self.read(pending=False)
                delay = 0.2
            except (RedisError, OSError, Unavailable) as error:  # Redis, or a peer asked for services' teams
                group_ready = False
                log.warning(
                    "stream consumer: unavailable, will retry", extra={"fields": {"error": str(error)}}
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)
            except Exception:
                group_ready = False
                log.exception("stream consumer pass failed")
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)

    async def read(self, *, pending: bool) -> int:
        """Handle one batch: this consumer's unacked entries (pending) or new ones; returns how many."""
        reply = cast(
            _ReadReply,
            await self._redis.xreadgroup(
                self._group,
                self.name,
                {self._stream: "0" if pending else ">"},
                count=self._settings.stream_batch,
                block=None if pending else self._settings.stream_block_ms,
            ),
        )
        entries = [(_text(i), f) for _, batch in reply or [] for i, f in batch if f]
        await self.handle(entries)
        return len(entries)

    async def reclaim(self) -> int:
        """Take over entries other (dead) consumers left unacked longer than CLAIM_IDLE_SECONDS."""
        self._next_reclaim = time.monotonic() + max(self._settings.claim_idle_seconds / 2, 0.5)
        start, total = "0-0", 0
        while True:
            reply = await self._redis.xautoclaim(
                self._stream,
                self._group,
                self.name,
                min_idle_time=int(self._settings.claim_idle_seconds * 1000),
                start_id=start,
                count=self._settings.stream_batch,
            )
            start, claimed = _text(reply[0]), [(_text(i), f) for i, f in reply[1] if f]
            if claimed:
                log.info("reclaimed stream entries", extra={"fields": {"count": len(claimed)}})
            await self.handle(claimed)
            total += len(claimed)
            if start == "0-0":
                await self._forget_idle_consumers()
                return total

    async def _forget_idle_consumers(self) -> None:
        """Drop group members with nothing pending that stopped reading long ago (replicas gone for good).

        Safe even for a live one: reading again re-creates it.
        """
        limit_ms = 10 * self._settings.claim_idle_seconds * 1000
        for info in await self._redis.xinfo_consumers(self._stream, self._group):
            name = _text(info["name"])
            if name != self.name and info["pending"] == 0 and info["idle"] > limit_ms:
                await self._redis.xgroup_delconsumer(self._stream, self._group, name)

    async def handle(self, entries: list[Entry]) -> None:
        """Write the rows of every entry, hand the ones written leased to the webhook worker, then
        acknowledge them all, each entry in a span continuing its trace. Each statement commits on its own
        (no transaction around them): should this stop halfway, the entries stay unacknowledged, and
        handling them again writes only what is missing (the rows' unique keys)."""
        if not entries:
            return
        parsed = [(parse_entry(f), f) for _, f in entries]
        events = [(e, f[b"event"]) for e, f in parsed if e is not None]
        if len(events) < len(entries):
            log.warning(
                "skipping malformed stream entries", extra={"fields": {"count": len(entries) - len(events)}}
            )
        causes = [_traceparent(f, e) for e, f in parsed if e is not None]
        with batch_spans(causes, f"{self._stream} process", kind=SpanKind.CONSUMER):
            left_due, emails = await self._write(events)
            await self._redis.xack(self._stream, self._group, *[entry_id for entry_id, _ in entries])
        self._on_written(left_due > 0, emails)  # wake only the workers that have rows to find

    async def _write(self, events: list[tuple[dict[str, Any], bytes]]) -> tuple[int, bool]:
        """The events' rows, written; returns how many deliveries were left for the worker to find, and
        whether any email was written."""
        batch, left_due = _Batch(utcnow()), 0
        try:
            async with self._driver.connection() as connection:
                if events:
                    subscriptions = await repo.list_active_subscriptions(connection)
                    owners = await self._teams.owners() if any(s.teams for s in subscriptions) else {}
                    for event, raw in events:
                        self._rows(event, raw, _matching(subscriptions, event, owners), batch)
                    written = await repo.create_deliveries(connection, rows=batch.deliveries)
                    handed, skipped = _split(batch.direct, written)
                    batch.direct = []  # every reserved slot is now either used or given back
                    self._give_back(skipped)
                    for delivery in handed:  # committed, leased to this replica (only a dispatch reserves)
                        cast(Dispatch, self._dispatch).start(delivery)
                    left_due = len(written) - len(handed)
                    await repo.create_emails(connection, rows=batch.emails)
        except BaseException:
            self._give_back(batch.direct)
            raise
        return left_due, bool(batch.emails)

    def _give_back(self, deliveries: list[Claimed]) -> None:
        for delivery in deliveries:  # reserved, so there is a dispatch
            cast(Dispatch, self._dispatch).unreserve(delivery.endpoint)

    def _rows(
        self, event: dict[str, Any], raw: bytes, matching: list[ActiveSubscription], batch: "_Batch"
    ) -> None:
        """The event's delivery rows (one per matching subscription) and email rows (one per recipient)."""
        now = batch.now
        # The outbox's JSON text of the event: stored, and sent as is (as the claim query returns it).
        common = _row_common(event, raw.decode(), now=now)
        webhook = common | {"retry_until": now + timedelta(seconds=self._settings.webhook_retry_seconds)}
        for subscription in matching:
            row = webhook | {"id": uuid.uuid4(), "subscription_id": subscription.id}
            if self._dispatch is not None and self._dispatch.reserve(subscription.endpoint):
                row["next_attempt_at"] = now + self._dispatch.lease
                batch.direct.append(_claimed(row, subscription))
            batch.deliveries.append(row)
        if self._settings.email_enabled:
            common = common | {"retry_until": now + timedelta(seconds=self._settings.email_retry_seconds)}
            batch.emails += [
                common | {"id": uuid.uuid4(), "recipient": r.email, "recipient_name": r.name}
                for r in domain.recipients(event["data"], event["type"])
            ]


class Dispatch(Protocol):
    """What the consumer needs of the webhook worker to hand deliveries over (`WebhookWorker`)."""

    lease: timedelta

    def reserve(self, endpoint: str) -> bool: ...
    def unreserve(self, endpoint: str) -> None: ...
    def start(self, delivery: Claimed) -> None: ...


@dataclass(slots=True)
class _Batch:
    """The rows one call of `handle` writes, and the deliveries it hands over (a reserved slot each)."""

    now: datetime
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    emails: list[dict[str, Any]] = field(default_factory=list)
    direct: list[Claimed] = field(default_factory=list)


def _claimed(row: dict[str, Any], subscription: ActiveSubscription) -> Claimed:
    return Claimed(
        id=row["id"],
        event_id=row["event_id"],
        event_type=row["event_type"],
        subscription_id=subscription.id,
        body=row["body"],
        url=subscription.url,
        endpoint=subscription.endpoint,
        allow_internal=subscription.allow_internal,
        secret=subscription.secret,
        previous_secret=subscription.previous_secret,
        previous_secret_expires_at=subscription.previous_secret_expires_at,
    )


def _split(deliveries: list[Claimed], written: set[uuid.UUID]) -> tuple[list[Claimed], list[Claimed]]:
    return [d for d in deliveries if d.id in written], [d for d in deliveries if d.id not in written]


def _matching(
    subscriptions: list[ActiveSubscription], event: dict[str, Any], owners: Owners
) -> list[ActiveSubscription]:
    """The subscriptions the event goes to (`owners`: the teams of each service, when one filters by team)."""
    event_type, service = event["type"], str(event["data"].get("service", ""))
    teams = owners.get(service, frozenset())
    return [
        s for s in subscriptions if domain.matches(s, event_type=event_type, service=service, teams=teams)
    ]


def _row_common(event: dict[str, Any], body: str, *, now: datetime) -> dict[str, Any]:
    """Columns every row of an event has; `body`: the event as JSON text."""
    return {
        "event_id": uuid.UUID(event["id"]),
        "event_type": event["type"],
        "body": body,
        "next_attempt_at": now,
        "created_at": now,
    }


def _traceparent(fields: dict[bytes, bytes], event: dict[str, Any]) -> str:
    """The trace an entry continues: its relay's span, else (an entry from before) its event's cause."""
    relayed = fields.get(TRACEPARENT.encode())
    return relayed.decode("latin-1") if relayed else str(event.get("traceparent") or "")


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
