"""One call to another service over gRPC, as every client makes it: the trace context forwarded, one deadline
for the whole call, an idempotent call retried while the peer is unavailable, and a failure turned into
the domain error of its status code (shared.errors)."""

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import grpc

from shared.errors import DomainError, Unavailable, from_grpc
from shared.telemetry import TRACEPARENT, current_traceparent, tracing_enabled

Reply = TypeVar("Reply")
# A stub's method. The generated stubs are untyped (grpcio-tools writes no `_grpc.pyi`), so a caller
# names the reply's type where it keeps the answer.
Method = Callable[..., Awaitable[Reply]]
Metadata = tuple[tuple[str, str], ...]

# A peer restarting, or a connection not re-established yet, is waited out for about 1.5 s (channels
# reconnect within a second, shared.grpc): up to 5 attempts, backoff 0.1 s doubling to 1 s, full jitter.
MAX_ATTEMPTS = 5
FIRST_BACKOFF = 0.1
MAX_BACKOFF = 1.0


def call_metadata() -> Metadata:
    """Metadata forwarding the current trace context to the callee when tracing is off (on, the
    OpenTelemetry client interceptor forwards its own span's)."""
    if tracing_enabled():
        return ()
    traceparent = current_traceparent()
    return ((TRACEPARENT, traceparent),) if traceparent else ()


def retry_delay(
    code: grpc.StatusCode, *, attempt: int, idempotent: bool, left: float, rng: random.Random | None = None
) -> float | None:
    """Seconds to wait before trying again after failed attempt number `attempt` (1-based), or None to give
    up: only UNAVAILABLE (the peer did not run the call) of an idempotent call is retried, at most
    MAX_ATTEMPTS in all, and only when the wait leaves some of the `left` seconds of the deadline."""
    if not idempotent or code != grpc.StatusCode.UNAVAILABLE or attempt >= MAX_ATTEMPTS:
        return None
    wait = (rng or random).uniform(0, min(MAX_BACKOFF, FIRST_BACKOFF * 2 ** (attempt - 1)))
    return wait if wait < left else None


async def call(
    method: Method[Reply],
    request: object,
    *,
    deadline: float,
    idempotent: bool = False,
    metadata: Metadata = (),
) -> Reply:
    """`method(request)` within `deadline` seconds in all; retried while UNAVAILABLE if `idempotent`
    (reads, and writes that are safe to repeat); a failure raised as its domain error."""
    give_up = time.monotonic() + deadline
    attempt = 0
    while True:
        attempt += 1
        left = give_up - time.monotonic()
        try:
            return await method(request, timeout=max(left, 0.001), metadata=call_metadata() + metadata)
        except grpc.aio.AioRpcError as error:
            wait = retry_delay(
                error.code(), attempt=attempt, idempotent=idempotent, left=give_up - time.monotonic()
            )
            if wait is None:
                raise from_grpc(error) from error
        await asyncio.sleep(wait)


def peer_unavailable(peer: str, error: DomainError) -> Unavailable:
    """A peer's failure its caller cannot act on, as Unavailable naming the peer: a worker retries it later
    rather than giving up (the peer down, a wrong internal credential, a peer's internal error)."""
    if isinstance(error, Unavailable):
        return Unavailable(f"{peer} unavailable ({error.message})")
    return Unavailable(f"{peer} unavailable ({type(error).__name__}: {error.message})")
