"""Reads incident events from the Redis stream in a consumer group and turns each into delivery rows.

XACK only after the rows are committed, so an entry of a consumer that dies is still pending and is
reclaimed (XAUTOCLAIM) by another replica after CLAIM_IDLE_SECONDS. Handling is idempotent: the rows'
unique keys, (subscription, event) and (event, recipient), make a re-handled entry add nothing.
"""

import asyncio
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import orjson
from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.notifier import domain
from services.notifier import repository as repo
from services.notifier.config import NotifierSettings
from shared.models import WebhookSubscription
from shared.timeutil import utcnow

log = logging.getLogger(__name__)
Entry = tuple[str, dict[bytes, bytes]]


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
        sessions: async_sessionmaker[AsyncSession],
        redis: Redis,
        settings: NotifierSettings,
        *,
        on_written: Callable[[bool, bool], None],
    ) -> None:
        self._sessions, self._redis, self._settings, self._on_written = sessions, redis, settings, on_written
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
        delay, own_pending_done = 0.2, False
        while True:
            try:
                await self.ensure_group()
                if not own_pending_done:
                    while await self.read(pending=True):
                        pass
                    own_pending_done = True
                if time.monotonic() >= self._next_reclaim:
                    await self.reclaim()
                await self.read(pending=False)
                delay = 0.2
            except (RedisError, OSError) as error:
                log.warning(
                    "stream consumer: redis unavailable, will retry", extra={"fields": {"error": str(error)}}
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)
            except Exception:
                log.exception("stream consumer pass failed")
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)

    async def read(self, *, pending: bool) -> int:
        """Handle one batch: this consumer's unacked entries (pending) or new ones; returns how many."""
        reply = await self._redis.xreadgroup(
            self._group,
            self.name,
            {self._stream: "0" if pending else ">"},
            count=self._settings.stream_batch,
            block=None if pending else self._settings.stream_block_ms,
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
        """Write the rows of every entry in one transaction, then acknowledge them all."""
        if not entries:
            return
        events = [e for e in (parse_entry(fields) for _, fields in entries) if e is not None]
        if len(events) < len(entries):
            log.warning(
                "skipping malformed stream entries", extra={"fields": {"count": len(entries) - len(events)}}
            )
        now = utcnow()
        deliveries: list[dict[str, Any]] = []
        emails: list[dict[str, Any]] = []
        async with self._sessions.begin() as session:
            if events:
                targets = _Targets(session, await repo.list_active_subscriptions(session))
                for event in events:
                    self._rows(event, await targets.matching(event), now=now, into=(deliveries, emails))
                await repo.create_deliveries(session, rows=deliveries)
                await repo.create_emails(session, rows=emails)
        await self._redis.xack(self._stream, self._group, *[entry_id for entry_id, _ in entries])
        self._on_written(bool(deliveries), bool(emails))  # wake only the workers that have new rows

    def _rows(
        self,
        event: dict[str, Any],
        matching: list[WebhookSubscription],
        *,
        now: datetime,
        into: tuple[list[dict[str, Any]], list[dict[str, Any]]],
    ) -> None:
        """The event's delivery rows (one per matching subscription) and email rows (one per recipient)."""
        deliveries, emails = into
        common = _row_common(event, now=now)
        webhook_until = now + timedelta(seconds=self._settings.webhook_retry_seconds)
        deliveries += [
            common | {"id": uuid.uuid4(), "subscription_id": s.id, "retry_until": webhook_until}
            for s in matching
        ]
        if self._settings.email_enabled:
            common = common | {"retry_until": now + timedelta(seconds=self._settings.email_retry_seconds)}
            emails += [
                common | {"id": uuid.uuid4(), "recipient": r.email, "recipient_name": r.name}
                for r in domain.recipients(event["data"])
            ]


class _Targets:
    """The subscriptions an event goes to, from one load of the active ones per batch of entries."""

    def __init__(self, session: AsyncSession, subscriptions: Sequence[WebhookSubscription]) -> None:
        self._session, self._subscriptions = session, subscriptions
        self._teams: dict[str, set[str]] = {}

    async def matching(self, event: dict[str, Any]) -> list[WebhookSubscription]:
        event_type, service = event["type"], str(event["data"].get("service", ""))
        teams: set[str] = set()
        if any(s.teams for s in self._subscriptions):
            if service not in self._teams:
                self._teams[service] = await repo.list_team_names_of_service(self._session, service=service)
            teams = self._teams[service]
        return [
            s
            for s in self._subscriptions
            if domain.matches(s, event_type=event_type, service=service, teams=teams)
        ]


def _row_common(event: dict[str, Any], *, now: datetime) -> dict[str, Any]:
    return {
        "event_id": uuid.UUID(event["id"]),
        "event_type": event["type"],
        "payload": event,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
