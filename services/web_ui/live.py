"""Live updates for the pages: one Redis pub/sub subscription per process (the channel the outbox relay
PUBLISHes every incident event on, a batch per message), fanned out to each browser as Server-Sent
Events. A short ring of recent events lets a browser that reconnects with `Last-Event-ID` catch up on
what it missed.

Each event is framed once, and the frames that arrive within FLUSH_SECONDS go to every browser as one
chunk: one write per browser per flush instead of one per event, and no timer per wait. At 200 browsers
and 50 changes a second (`make bench-live`) that took the process from 0.18 cores, falling seconds behind,
to 0.02."""

import asyncio
import logging
import uuid
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

import orjson
from redis.asyncio import Redis

log = logging.getLogger(__name__)

RING_SIZE = 1000  # about 10 s of the 100 changes a second the dashboard is sized for
QUEUE_SIZE = 1000  # events a browser may be behind; further behind it is dropped, reconnects, catches up
FLUSH_SECONDS = 0.05  # how long an event may wait for others to share its write
KEEPALIVE_SECONDS = 15.0
KEEPALIVE = b": keepalive\n\n"
RETRY_MS = 1000  # how soon EventSource reconnects after losing the stream
RESUBSCRIBE_SECONDS = 1.0


def summaries(message: bytes) -> list[dict[str, Any]]:
    """What a page needs of each event of a channel message (a JSON array of relayed events: which
    incident changed, and how); anything else is skipped."""
    try:
        relayed = orjson.loads(message)
    except orjson.JSONDecodeError:
        return []
    found = []
    for event in relayed if isinstance(relayed, list) else ():
        try:
            data = event["data"]
            found.append(
                {
                    "type": event["type"],
                    "incident_id": data["id"],
                    "status": data.get("status"),
                    "severity": data.get("severity"),
                    "service": data.get("service"),
                }
            )
        except (KeyError, TypeError, AttributeError):
            continue
    return found


def frame(event_id: str, payload: dict[str, Any]) -> bytes:
    return b"id: " + event_id.encode() + b"\ndata: " + orjson.dumps(payload) + b"\n\n"


class _Listener:
    """One browser's chunks not yet written (each shared by every browser); `dropped` once it fell
    QUEUE_SIZE events behind."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.behind = 0
        self.wake = asyncio.Event()
        self.dropped = False


class LiveHub:
    """Subscribes once, numbers events in arrival order (ids `<boot>-<n>`: an id of another process, or
    of this one before it restarted, means "reload", since that numbering is not ours) and hands them to
    every listener."""

    def __init__(self, redis: Redis, channel: str) -> None:
        self._redis, self._channel = redis, channel
        self._boot = uuid.uuid4().hex[:8]
        self._seq = 0
        self._ring: deque[tuple[int, bytes]] = deque(maxlen=RING_SIZE)
        self._listeners: set[_Listener] = set()
        self._pending: list[bytes] = []
        self._flushing: asyncio.TimerHandle | None = None
        self.connected = False

    def publish(self, payload: dict[str, Any]) -> None:
        """Number one event, keep its frame in the ring and have it sent within FLUSH_SECONDS."""
        self._seq += 1
        framed = frame(f"{self._boot}-{self._seq}", payload)
        self._ring.append((self._seq, framed))
        if self._listeners:
            self._pending.append(framed)
            if self._flushing is None:
                self._flushing = asyncio.get_running_loop().call_later(FLUSH_SECONDS, self._flush)

    def _flush(self) -> None:
        """Send what is pending to every listener, as one chunk."""
        if self._flushing is not None:
            self._flushing.cancel()
            self._flushing = None
        if self._pending:
            pending, self._pending = self._pending, []
            self._send(b"".join(pending), len(pending))

    def _send(self, chunk: bytes, events: int) -> None:
        for listener in list(self._listeners):
            if listener.behind + events > QUEUE_SIZE:
                listener.dropped = True
                self._listeners.discard(listener)
            else:
                listener.chunks.append(chunk)
                listener.behind += events
            listener.wake.set()

    def _status(self, connected: bool) -> None:
        """Tell every browser whether the feed works (not kept in the ring: a reconnect says it anew)."""
        if connected != self.connected:
            self.connected = connected
            self._flush()
            self._send(self._state(), 1)

    def _state(self) -> bytes:
        return frame(f"{self._boot}-{self._seq}", {"type": "live.up" if self.connected else "live.down"})

    async def run(self) -> None:
        """Forever: listen to the channel, resubscribing after Redis comes back; meanwhile keep the
        browsers' streams open through proxies with a comment now and then."""
        beating = asyncio.create_task(self._beat())
        try:
            await self._listen()
        finally:
            beating.cancel()

    async def _listen(self) -> None:
        while True:
            try:
                async with self._redis.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(self._channel)
                    self._status(True)
                    async for message in pubsub.listen():
                        if message["type"] == "message":
                            for found in summaries(message["data"]):
                                self.publish(found)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # Redis down or restarting: say so, try again
                log.warning("live feed: redis unavailable", extra={"fields": {"error": str(error)}})
            self._status(False)
            await asyncio.sleep(RESUBSCRIBE_SECONDS)

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(KEEPALIVE_SECONDS)
            self._send(KEEPALIVE, 0)

    def missed(self, last_event_id: str | None) -> list[tuple[int, bytes]] | None:
        """Frames of the events after `last_event_id` still in the ring; None when what was missed cannot
        be told."""
        if not last_event_id:
            return []
        boot, _, number = last_event_id.partition("-")
        if boot != self._boot or not number.isdigit() or int(number) > self._seq:
            return None
        after = int(number)
        if self._ring and after < self._ring[0][0] - 1:
            return None  # some fell out of the ring
        return [(seq, framed) for seq, framed in self._ring if seq > after]

    async def stream(self, last_event_id: str | None) -> AsyncIterator[bytes]:
        """One browser's stream: the feed's state and what it missed (or "reload") in one chunk, then the
        live events as they are flushed."""
        self._flush()  # what others are about to get is in the ring: this browser's catch-up has it
        listener = _Listener()
        self._listeners.add(listener)
        try:
            missed = self.missed(last_event_id)
            first = [f"retry: {RETRY_MS}\n\n".encode(), self._state()]
            if missed is None:
                first.append(frame(f"{self._boot}-{self._seq}", {"type": "live.reload"}))
            yield b"".join(first + [framed for _, framed in missed or []])
            while not listener.dropped:
                if not listener.chunks:
                    listener.wake.clear()
                    await listener.wake.wait()
                    continue
                chunks, listener.chunks, listener.behind = listener.chunks, [], 0
                yield chunks[0] if len(chunks) == 1 else b"".join(chunks)
        finally:
            self._listeners.discard(listener)
