"""Moves outbox events to the Redis stream: woken right after commits, polling only as a safety net.

Each batch of events is also PUBLISHed, as one message, on the live pub/sub channel for dashboards;
pub/sub keeps nothing, so only
the stream (consumed by the notifier) carries the delivery guarantee. Each stream entry carries the trace
context of its relay's span, a child of the one its event was caused in (the outbox row's `traceparent`).
"""

import asyncio
import logging
import uuid
from collections.abc import Collection

import asyncpg
import orjson
from opentelemetry.trace import SpanKind
from redis.asyncio import Redis
from redis.exceptions import RedisError
from redis.typing import EncodableT, FieldT

from services.incident_management import repository as repo
from shared import events
from shared.aio import wait_event
from shared.db import DriverPool
from shared.events import STREAM_MAXLEN
from shared.metrics import INCIDENTS
from shared.telemetry import TRACEPARENT, batch_spans
from shared.timeutil import utcnow

log = logging.getLogger(__name__)

# While Redis is down, try again at most this often: waiting events flow within two seconds of its return.
MAX_RETRY_SECONDS = 2.0
RELAY_BATCH = 200


def count_opened(rows: list[asyncpg.Record]) -> None:
    """incidents_total by severity, from the relayed `incident.triggered` events: every path that opens an
    incident (alerts, heartbeats, the API) writes one. Counted as relayed, so a relay whose commit fails
    after the stream took the events counts them again with them (at least once, as they are delivered)."""
    for row in rows:
        if row["type"] == events.INCIDENT_TRIGGERED:
            INCIDENTS.labels(orjson.loads(row["body"])["data"]["severity"]).inc()


# How often, at most, live dashboards hear that incidents took new alerts (the console's bound is 2 s, and
# a console re-reads its page at most once a second). In a storm each announcement names every incident
# that took alerts.
ANNOUNCE_EVERY = 0.5


class OutboxRelay:
    def __init__(
        self,
        driver: DriverPool,
        redis: Redis,
        *,
        stream: str,
        poll: float,
        channel: str = "",
    ) -> None:
        """`driver`: the driver's connections, one of them sized for the relay (a pass holds it from the
        claim to the commit)."""
        self._driver, self._redis, self._stream, self._poll = driver, redis, stream, poll
        self._channel = channel
        self._wake = asyncio.Event()
        self._announcing: set[asyncio.Task[None]] = set()
        self._joined: set[uuid.UUID] = set()  # incidents that took an alert since the last announcement

    def wake(self) -> None:
        """Called after a commit that wrote events."""
        self._wake.set()

    def announce_alerts(self, incident_ids: Collection[uuid.UUID]) -> None:
        """Tell live dashboards, after a commit, that these incidents took a new alert. A correlated alert
        writes no outbox event (only counters and the timeline change), so this is on the pub/sub channel
        alone, best effort, and coalesced: one message per ANNOUNCE_EVERY seconds at most, each incident
        once. Sent per ingest batch instead, it took 5.8 % of incident-management's CPU in a storm of
        single alerts (py-spy, `make bench`), and each dashboard re-read the page as often."""
        if not self._channel or not incident_ids:
            return
        first = not self._joined
        self._joined.update(incident_ids)
        if first:
            task = asyncio.create_task(self._announce())
            self._announcing.add(task)
            task.add_done_callback(self._announcing.discard)

    async def _announce(self) -> None:
        await asyncio.sleep(ANNOUNCE_EVERY)
        incident_ids, self._joined = self._joined, set()
        added = ({"type": events.INCIDENT_ALERT_ADDED, "data": {"id": str(i)}} for i in incident_ids)
        try:
            await self._redis.publish(self._channel, events.live_message(map(orjson.dumps, added)))
        except (RedisError, OSError):
            pass  # freshness only: the incident's next change, or a reload, shows the alert

    async def relay_once(self, *, batch: int = RELAY_BATCH) -> int:
        """Publish one batch of unpublished events in id order; returns how many went out."""
        async with self._driver.connection() as connection, connection.transaction():
            rows = await repo.publish_outbox_batch(connection, limit=batch, now=utcnow())
            if not rows:
                return 0
            causes = [events.traceparent_in(row["body"]) for row in rows]
            with batch_spans(causes, f"{self._stream} publish", kind=SpanKind.PRODUCER) as traceparents:
                pipe = self._redis.pipeline(transaction=False)
                bodies = [row["body"].encode() for row in rows]
                for row, body, traceparent in zip(rows, bodies, traceparents, strict=True):
                    fields: dict[FieldT, EncodableT] = {
                        "id": str(row["event_id"]),
                        "type": row["type"],
                        "event": body,
                    }
                    # The consumer continues from this span (the event's own is where it was caused)
                    pipe.xadd(
                        self._stream,
                        fields | {TRACEPARENT: traceparent},
                        maxlen=STREAM_MAXLEN,
                        approximate=True,
                    )
                if self._channel:
                    pipe.publish(self._channel, events.live_message(bodies))
                await pipe.execute()  # fails → the transaction rolls back and the events stay unpublished
            count_opened(rows)
            return len(rows)

    async def run(self) -> None:
        """Forever: drain the outbox; if Redis is down, events wait in PostgreSQL and flow when it returns."""
        delay = self._poll
        while True:
            self._wake.clear()  # a wake during the drain below is kept for the next turn
            try:
                while await self.relay_once() == RELAY_BATCH:  # a short batch: the outbox is drained
                    pass
                delay = self._poll
            except (RedisError, OSError) as error:
                log.warning(
                    "outbox relay: redis unavailable, will retry", extra={"fields": {"error": str(error)}}
                )
                delay = min(delay * 2, MAX_RETRY_SECONDS)
            except Exception:
                log.exception("outbox relay pass failed")
                delay = min(delay * 2, MAX_RETRY_SECONDS)
            await wait_event(self._wake, delay)
