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
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import orjson
from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.notifier import domain
from services.notifier import repository as repo
from services.notifier.config import NotifierSettings
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
        on_written: Callable[[], None],
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
        async with self._sessions.begin() as session:
            for event in events:
                await self._write_rows(session, event, now=now)
        await self._redis.xack(self._stream, self._group, *[entry_id for entry_id, _ in entries])
        self._on_written()

    async def _write_rows(self, session: AsyncSession, event: dict[str, Any], *, now: datetime) -> None:
        data, event_type = event["data"], event["type"]
        subscriptions = await repo.list_active_subscriptions(session, event_type=event_type)
        teams: set[str] = set()
        if any(s.teams for s in subscriptions):
            teams = await repo.list_team_names_of_service(session, service=str(data.get("service", "")))
        matching = [
            s
            for s in subscriptions
            if domain.matches(s, event_type=event_type, service=data.get("service", ""), teams=teams)
        ]
        common = _row_common(event, now=now)
        webhook_until = now + timedelta(seconds=self._settings.webhook_retry_seconds)
        await repo.create_deliveries(
            session,
            rows=[
                common | {"id": uuid.uuid4(), "subscription_id": s.id, "retry_until": webhook_until}
                for s in matching
            ],
        )
        if self._settings.email_enabled:
            email_until = now + timedelta(seconds=self._settings.email_retry_seconds)
            await repo.create_emails(
                session,
                rows=[
                    common
                    | {
                        "id": uuid.uuid4(),
                        "recipient": r.email,
                        "recipient_name": r.name,
                        "retry_until": email_until,
                    }
                    for r in domain.recipients(data)
                ],
            )


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
