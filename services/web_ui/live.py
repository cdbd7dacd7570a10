"""Live updates for the pages: one Redis pub/sub subscription per process (the channel the outbox relay
PUBLISHes every incident event on), fanned out to each browser as Server-Sent Events. A short ring of
recent events lets a browser that reconnects with `Last-Event-ID` catch up on what it missed."""

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
QUEUE_SIZE = 1000  # a browser this far behind is dropped; it reconnects and catches up from the ring
KEEPALIVE_SECONDS = 15.0
RETRY_MS = 1000  # how soon EventSource reconnects after losing the stream
RESUBSCRIBE_SECONDS = 1.0


def summary(body: bytes) -> dict[str, Any] | None:
    """What a page needs of a relayed event (which incident changed, and how); None for anything else."""
    try:
        event = orjson.loads(body)
        data = event["data"]
        return {
            "type": event["type"],
            "incident_id": data["id"],
            "status": data.get("status"),
            "severity": data.get("severity"),
            "service": data.get("service"),
        }
    except (orjson.JSONDecodeError, KeyError, TypeError):
        return None


def frame(event_id: str, payload: dict[str, Any]) -> bytes:
    return b"id: " + event_id.encode() + b"\ndata: " + orjson.dumps(payload) + b"\n\n"


class _Listener:
    """One browser's queue; `dropped` once it fell too far behind."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[tuple[int, dict[str, Any]]] = asyncio.Queue(maxsize=QUEUE_SIZE)
        self.dropped = False


class LiveHub:
    """Subscribes once, numbers events in arrival order (ids `<boot>-<n>`: an id of another process, or
    of this one before it restarted, means "reload", since that numbering is not ours) and hands them to
    every listener."""

    def __init__(self, redis: Redis, channel: str) -> None:
        self._redis, self._channel = redis, channel
        self._boot = uuid.uuid4().hex[:8]
        self._seq = 0
        self._ring: deque[tuple[int, dict[str, Any]]] = deque(maxlen=RING_SIZE)
        self._listeners: set[_Listener] = set()
        self.connected = False

    def publish(self, payload: dict[str, Any]) -> None:
        """Number one event, keep it in the ring and hand it to every listener."""
        self._seq += 1
        self._ring.append((self._seq, payload))
        self._send(self._seq, payload)

    def _send(self, seq: int, payload: dict[str, Any]) -> None:
        for listener in list(self._listeners):
            try:
                listener.queue.put_nowait((seq, payload))
            except asyncio.QueueFull:
                listener.dropped = True
                self._listeners.discard(listener)

    def _status(self, connected: bool) -> None:
        """Tell every browser whether the feed works (not kept in the ring: a reconnect says it anew)."""
        if connected != self.connected:
            self.connected = connected
            self._send(self._seq, {"type": "live.up" if connected else "live.down"})

    async def run(self) -> None:
        """Forever: listen to the channel, resubscribing after Redis comes back."""
        while True:
            try:
                async with self._redis.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(self._channel)
                    self._status(True)
                    async for message in pubsub.listen():
                        found = summary(message["data"]) if message["type"] == "message" else None
                        if found is not None:
                            self.publish(found)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # Redis down or restarting: say so, try again
                log.warning("live feed: redis unavailable", extra={"fields": {"error": str(error)}})
            self._status(False)
            await asyncio.sleep(RESUBSCRIBE_SECONDS)

    def missed(self, last_event_id: str | None) -> list[tuple[int, dict[str, Any]]] | None:
        """Events after `last_event_id` still in the ring; None when what was missed cannot be told."""
        if not last_event_id:
            return []
        boot, _, number = last_event_id.partition("-")
        if boot != self._boot or not number.isdigit() or int(number) > self._seq:
            return None
        after = int(number)
        if self._ring and after < self._ring[0][0] - 1:
            return None  # some fell out of the ring
        return [(seq, payload) for seq, payload in self._ring if seq > after]

    async def stream(self, last_event_id: str | None) -> AsyncIterator[bytes]:
        """One browser's stream: the feed's state, what it missed (or "reload"), then live events and a
        comment now and then so that proxies keep it open."""
        listener = _Listener()
        self._listeners.add(listener)
        try:
            yield f"retry: {RETRY_MS}\n\n".encode()
            now = f"{self._boot}-{self._seq}"
            yield frame(now, {"type": "live.up" if self.connected else "live.down"})
            missed = self.missed(last_event_id)
            if missed is None:
                yield frame(now, {"type": "live.reload"})
            for seq, payload in missed or []:
                yield frame(f"{self._boot}-{seq}", payload)
            while not listener.dropped:
                try:
                    seq, payload = await asyncio.wait_for(listener.queue.get(), KEEPALIVE_SECONDS)
                except TimeoutError:
                    yield b": keepalive\n\n"
                    continue
                yield frame(f"{self._boot}-{seq}", payload)
        finally:
            self._listeners.discard(listener)
