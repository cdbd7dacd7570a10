"""Delivers due webhook deliveries: claims them (lease), POSTs signed, records each attempt.

Several replicas can run this: a claimed row is leased (its next attempt pushed past the attempt's
timeout) when it is claimed, so no other replica sends it meanwhile; if this replica dies mid-attempt,
the lease runs out and another one retries (at-least-once; receivers dedup by event id).
Per-endpoint (host:port) limits keep a slow endpoint from taking every slot; the timeout bounds each attempt.

A first attempt usually skips the claim: the stream consumer reserves a slot (`reserve`), writes the row
already leased to this replica, and hands it over once committed (`start`). Only rows it could not hand
over (no free slot), retries, and rows whose lease ran out go through the claim query.
"""

import asyncio
import logging
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from opentelemetry import trace
from opentelemetry.trace import SpanKind, StatusCode
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.notifier import domain, url_guard
from services.notifier import repository as repo
from services.notifier.config import NotifierSettings
from services.notifier.webhook_http import USER_AGENT, WebhookClients, failure_text, read_excerpt
from shared.aio import wait_event
from shared.db import DriverPool
from shared.events import traceparent_in
from shared.group_commit import GroupCommit
from shared.metrics import NOTIFICATIONS_SENT, WEBHOOK_DELIVERY
from shared.telemetry import continued, redact_url
from shared.timeutil import utcnow
from shared.webhook_signature import SIGNATURE_HEADER, signature_header

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Outcome:
    """An attempt's answer: `response` is the start of its body (None: empty, or no answer)."""

    status_code: int | None
    latency_ms: float
    error: str | None
    response: str | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class EndpointSlots:
    """In-flight attempts per endpoint (host:port), capped, so one slow endpoint cannot hold every slot."""

    def __init__(self, per_endpoint: int) -> None:
        self._limit, self._busy = per_endpoint, Counter[str]()

    def __bool__(self) -> bool:
        """Whether any slot is taken."""
        return bool(self._busy)

    def saturated(self) -> list[str]:
        return [endpoint for endpoint, n in self._busy.items() if n >= self._limit]

    def try_take(self, endpoint: str) -> bool:
        if self._busy[endpoint] >= self._limit:
            return False
        self._busy[endpoint] += 1
        return True

    def release(self, endpoint: str) -> None:
        self._busy[endpoint] -= 1
        if self._busy[endpoint] <= 0:
            del self._busy[endpoint]


def request_headers(delivery: "Claimed", signing: list[str], body: bytes, t: int) -> dict[str, str]:
    """Content type, signature (one v1 per valid secret), event id and type."""
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: signature_header(signing, body, t),
        "X-OnCall-Event-Id": str(delivery.event_id),
        "X-OnCall-Event-Type": delivery.event_type,
        "X-OnCall-Delivery-Id": str(delivery.id),
    }


@dataclass(frozen=True, slots=True)
class Claimed:
    """A delivery leased to this replica, with what sending it needs from its subscription (the columns the
    claim query returns): handed over by the stream consumer, or claimed by the query. `body` is the event
    as JSON text, sent as is."""

    id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    subscription_id: uuid.UUID
    body: str
    url: str
    endpoint: str
    allow_internal: bool
    secret: str
    previous_secret: str | None
    previous_secret_expires_at: datetime | None


class WebhookWorker:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        driver: DriverPool,
        clients: WebhookClients,
        settings: NotifierSettings,
    ) -> None:
        """`driver`: the driver's connections, for the statements that need no transaction around them (the
        claim, the record of successful attempts): each is atomic on its own. `sessions`: for failed
        attempts, recorded with their rows locked."""
        self._sessions, self._driver = sessions, driver
        self._clients, self._settings = clients, settings
        self._slots = EndpointSlots(settings.webhook_per_endpoint_concurrency)
        self._inflight: set[asyncio.Task[None]] = set()
        self._reserved = 0  # slots the stream consumer holds for rows it is writing
        self._waiting = True  # due rows may be left that no slot was free for
        self.lease = timedelta(
            seconds=settings.webhook_timeout_seconds + settings.webhook_lease_margin_seconds
        )
        self._wake = asyncio.Event()
        self._records = GroupCommit(self._record_group, lanes=2, max_group=256)

    def wake(self) -> None:
        """New or redelivered rows were committed that were not handed over."""
        self._waiting = True
        self._wake.set()

    def _slot_freed(self) -> None:
        """Look for due rows again only if the last look may have left some for want of a slot: after
        every attempt it would be a query that finds nothing, as most rows are handed over."""
        if self._waiting:
            self._wake.set()

    @property
    def idle(self) -> bool:
        """No attempt in flight and no slot held for one."""
        return not self._inflight and not self._reserved and not self._slots

    def reserve(self, endpoint: str) -> bool:
        """Hold a slot for a row about to be written leased to this replica; False when none is free."""
        if len(self._inflight) + self._reserved >= self._settings.webhook_concurrency:
            return False
        if not self._slots.try_take(endpoint):
            return False
        self._reserved += 1
        return True

    def unreserve(self, endpoint: str) -> None:
        """Give back a reserved slot whose row was not written (a rollback, or the delivery existed)."""
        self._reserved -= 1
        self._slots.release(endpoint)
        self._slot_freed()

    def start(self, delivery: Claimed) -> None:
        """Send a committed, leased delivery whose slot was reserved."""
        self._reserved -= 1
        self._launch(delivery)

    def _launch(self, delivery: Claimed) -> None:
        task = asyncio.create_task(self._attempt(delivery), name=f"webhook-{delivery.id}")
        self._inflight.add(task)
        task.add_done_callback(self._done)

    async def run(self) -> None:
        """Forever: start due deliveries while slots are free; sleep until woken or the poll interval."""
        try:
            while True:
                self._wake.clear()
                try:
                    started = await self.dispatch_once()
                except Exception:
                    log.exception("webhook dispatch failed")
                    started = 0
                if started:
                    continue
                await wait_event(self._wake, self._settings.delivery_poll_seconds)
        finally:
            for task in self._inflight:
                task.cancel()

    async def dispatch_once(self) -> int:
        """Claim up to the free slots' worth of due deliveries and start them; returns how many started."""
        free = self._settings.webhook_concurrency - len(self._inflight) - self._reserved
        if free <= 0:
            self._waiting = True
            return 0
        now, saturated = utcnow(), self._slots.saturated()
        async with self._driver.connection() as connection:
            due = await repo.list_due_deliveries(connection, now=now, limit=free, skip_endpoints=saturated)
            picked = [row for row in due if self._slots.try_take(row["endpoint"])]
            # Rows of a saturated endpoint were not looked at; a full page may have more behind it.
            self._waiting = bool(saturated) or len(due) >= free or len(picked) < len(due)
            taken: list[Claimed] = []
            try:
                if picked:
                    ids = [row["id"] for row in picked]
                    leased = await repo.lease_deliveries(connection, ids=ids, now=now, until=now + self.lease)
                    taken = [Claimed(**row) for row in leased]
            finally:
                won = {delivery.id for delivery in taken}
                for row in picked:
                    if row["id"] not in won:  # another replica leased it first, or leasing failed
                        self._slots.release(row["endpoint"])
        for delivery in taken:
            self._launch(delivery)
        return len(taken)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._inflight.discard(task)
        self._slot_freed()

    async def _attempt(self, delivery: Claimed) -> None:
        """POST, record and log one attempt in a span of its event's trace."""
        with continued(traceparent_in(delivery.body), "webhook POST", kind=SpanKind.CLIENT) as span:
            try:
                try:
                    outcome = await self.post(delivery)
                finally:
                    # The endpoint's slot is free once its answer is in: recording the attempt (the row
                    # stays leased until then) must not keep the next delivery to that endpoint waiting.
                    self._slots.release(delivery.endpoint)
                    self._slot_freed()
                _describe(span, delivery, outcome)
                result = await self.record(delivery, outcome)
                if result is not None:  # else deleted with its subscription meanwhile
                    _log_attempt(delivery, outcome, result)
            except Exception:
                log.exception("webhook attempt failed", extra={"fields": {"delivery_id": str(delivery.id)}})

    async def post(self, delivery: Claimed) -> Outcome:
        """One signed POST of the event (a claimed row: the delivery with its subscription's URL and
        secrets); never raises for the endpoint's failures."""
        body = delivery.body.encode()
        signing = domain.signing_secrets(delivery, utcnow())
        headers = request_headers(delivery, signing, body, int(time.time()))
        allow = delivery.allow_internal and self._settings.webhook_allow_internal_targets
        client = self._clients.for_target(allow_internal=allow)
        started, response = time.perf_counter(), None
        try:
            if not allow:  # a name is checked by the guarded client's resolver, as it connects
                url_guard.check_literal(delivery.url, platform_ports=self._settings.webhook_platform_ports)
            async with (
                asyncio.timeout(self._settings.webhook_timeout_seconds),
                # No redirects: one could point anywhere, internal services included.
                client.post(delivery.url, data=body, headers=headers, allow_redirects=False) as reply,
            ):
                # A short answer is read whole, so its connection is reused; a long one is cut short.
                response = await read_excerpt(reply.content)
            code = reply.status
            error = None if 200 <= code < 300 else f"HTTP {code}"
        except url_guard.Refused as refused:
            code, error = None, str(refused)
        except TimeoutError:
            code, error = None, f"no answer within {self._settings.webhook_timeout_seconds:g}s"
        except aiohttp.ClientError as failure:
            code, error = None, failure_text(failure)
        return Outcome(code, round((time.perf_counter() - started) * 1000, 1), error, response)

    async def record(self, claimed: Claimed, outcome: Outcome) -> str | None:
        """Mark delivered, schedule the retry, or dead-letter once the window is over; returns the
        delivery's status, None when it is gone. Attempts that finish while another is being recorded
        share the next transaction."""
        return await self._records.submit((claimed, outcome))

    async def _record_group(self, attempts: list[tuple[Claimed, Outcome]]) -> list[str | None | Exception]:
        """Successes in one statement without a transaction (the common case: nothing to compute from the
        row); failures, whose retry is scheduled from the row's attempts and window, with the rows locked."""
        now = utcnow()
        delivered = [(claimed, outcome) for claimed, outcome in attempts if outcome.ok]
        failed = [(claimed, outcome) for claimed, outcome in attempts if not outcome.ok]
        results: dict[uuid.UUID, str] = {}
        if delivered:
            try:
                results = await self._record_delivered(delivered, now)
            except Exception:  # e.g. a delivery deleted between snapshot and insert: the locked path copes
                log.warning("recording delivered attempts in one statement failed", exc_info=True)
                failed += delivered
        if failed:
            results |= await self._record_locked(failed, now)
        return [results.get(claimed.id) for claimed, _ in attempts]

    async def _record_delivered(
        self, delivered: list[tuple[Claimed, Outcome]], now: datetime
    ) -> dict[uuid.UUID, str]:
        """Each delivery's status (delivered), by id, for those still there."""
        answers = [
            (claimed.id, outcome.status_code, outcome.latency_ms, outcome.response)
            for claimed, outcome in delivered
        ]
        async with self._driver.connection() as connection:
            return await repo.record_delivered(connection, answers=answers, now=now)

    async def _record_locked(
        self, attempts: list[tuple[Claimed, Outcome]], now: datetime
    ) -> dict[uuid.UUID, str]:
        """Each delivery's status after this attempt, by id, for those still there."""
        updates: list[dict[str, Any]] = []
        recorded: dict[uuid.UUID, str] = {}
        async with self._sessions.begin() as session:
            states = await repo.lock_delivery_states(session, delivery_ids=[c.id for c, _ in attempts])
            for claimed, outcome in attempts:
                locked = states.get(claimed.id)
                if locked is None:
                    continue  # the subscription was deleted meanwhile
                repo.add_attempt(
                    session,
                    delivery_id=claimed.id,
                    at=now,
                    status_code=outcome.status_code,
                    latency_ms=outcome.latency_ms,
                    error=outcome.error,
                    response_excerpt=outcome.response,
                )
                state = _State(locked.status, locked.attempts, locked.retry_until)
                if state.status == "pending":
                    _apply(state, outcome, now=now, settings=self._settings)
                    updates.append({"b_id": claimed.id, **state.changes()})
                recorded[claimed.id] = state.status
            await repo.update_deliveries(session, rows=updates)
        return recorded


def _describe(span: trace.Span, delivery: Claimed, outcome: Outcome) -> None:
    """The attempt's URL (without key or token values) and answer on its span."""
    if span.is_recording():
        span.set_attribute("url.full", redact_url(delivery.url))
        if outcome.status_code is not None:
            span.set_attribute("http.response.status_code", outcome.status_code)
        if not outcome.ok:
            span.set_status(StatusCode.ERROR, outcome.error)


def _log_attempt(claimed: Claimed, outcome: Outcome, result: str) -> None:
    fields = {
        "delivery_id": str(claimed.id),
        "subscription_id": str(claimed.subscription_id),
        "event_id": str(claimed.event_id),
        "status_code": outcome.status_code,
        "latency_ms": outcome.latency_ms,
        "result": result,
    }
    log.info("webhook attempt", extra={"fields": fields})
    NOTIFICATIONS_SENT.labels("webhook", domain.notification_outcome(result)).inc()
    WEBHOOK_DELIVERY.observe(outcome.latency_ms / 1000)


@dataclass(slots=True)
class _State:
    """The columns of a delivery an attempt's outcome changes; the row itself (payload) is not loaded."""

    status: str
    attempts: int
    retry_until: datetime
    next_attempt_at: datetime | None = None
    last_status_code: int | None = None
    last_error: str | None = None
    delivered_at: datetime | None = None

    def changes(self) -> dict[str, Any]:
        """Every column an attempt may change, as `b_<column>` (next_attempt_at None: unchanged)."""
        names = ("status", "attempts", "next_attempt_at", "last_status_code", "last_error", "delivered_at")
        return {f"b_{n}": getattr(self, n) for n in names}


def _apply(delivery: _State, outcome: Outcome, *, now: datetime, settings: NotifierSettings) -> None:
    delivery.attempts += 1
    delivery.last_status_code, delivery.last_error = outcome.status_code, outcome.error
    if outcome.ok:
        delivery.status, delivery.delivered_at = "delivered", now
        return
    domain.schedule_retry(
        delivery,
        now=now,
        base=settings.webhook_backoff_base_seconds,
        cap=settings.webhook_backoff_max_seconds,
    )
