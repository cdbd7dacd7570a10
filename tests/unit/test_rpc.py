"""Every client's call to another service: which failures are retried, how long it waits, what is raised."""

import random

import grpc
import pytest
from grpc.aio import AioRpcError, Metadata

from shared.errors import InvalidInput, NotFound, PermissionDenied, Unavailable
from shared.rpc import MAX_ATTEMPTS, MAX_BACKOFF, call, call_metadata, peer_unavailable, retry_delay
from shared.telemetry import TRACEPARENT, continued

UNAVAILABLE = grpc.StatusCode.UNAVAILABLE


def test_only_unavailable_of_an_idempotent_call_is_retried():
    assert retry_delay(UNAVAILABLE, attempt=1, idempotent=True, left=10) is not None
    assert retry_delay(UNAVAILABLE, attempt=1, idempotent=False, left=10) is None
    for code in (grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INTERNAL):
        assert retry_delay(code, attempt=1, idempotent=True, left=10) is None


def test_backoff_doubles_up_to_its_cap_with_full_jitter_and_stops_after_the_last_attempt():
    always_top = type("Top", (), {"uniform": staticmethod(lambda low, high: high)})()
    waits = [
        retry_delay(UNAVAILABLE, attempt=n, idempotent=True, left=100, rng=always_top)
        for n in range(1, MAX_ATTEMPTS + 1)
    ]
    assert waits == [0.1, 0.2, 0.4, 0.8, None]
    assert retry_delay(UNAVAILABLE, attempt=4, idempotent=True, left=100, rng=always_top) <= MAX_BACKOFF
    rng = random.Random(7)
    jittered = [retry_delay(UNAVAILABLE, attempt=3, idempotent=True, left=100, rng=rng) for _ in range(50)]
    assert all(0 <= wait <= 0.4 for wait in jittered) and len(set(jittered)) > 1


def test_no_retry_whose_wait_would_outlast_the_deadline():
    always_top = type("Top", (), {"uniform": staticmethod(lambda low, high: high)})()
    assert retry_delay(UNAVAILABLE, attempt=3, idempotent=True, left=0.39, rng=always_top) is None
    assert retry_delay(UNAVAILABLE, attempt=3, idempotent=True, left=0.41, rng=always_top) == 0.4


def test_the_current_trace_context_travels_with_the_call():
    traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    with continued(traceparent, "caller"):
        assert call_metadata() == ((TRACEPARENT, traceparent),)
    assert call_metadata() == ()


class Flaky:
    """A stub method failing with `codes` in turn, then answering "ok"; records each call's timeout."""

    def __init__(self, *codes: grpc.StatusCode) -> None:
        self.codes, self.timeouts, self.metadata = list(codes), [], []

    async def __call__(self, request, *, timeout, metadata):  # noqa: ASYNC109 (a gRPC stub's signature)
        self.timeouts.append(timeout)
        self.metadata.append(metadata)
        if self.codes:
            raise AioRpcError(self.codes.pop(0), Metadata(), Metadata(), details="down")
        return "ok"


async def test_an_idempotent_call_is_retried_while_unavailable_within_one_deadline():
    method = Flaky(UNAVAILABLE, UNAVAILABLE)
    assert await call(method, object(), deadline=5, idempotent=True, metadata=(("k", "v"),)) == "ok"
    assert len(method.timeouts) == 3 and method.timeouts == sorted(method.timeouts, reverse=True)
    assert all(timeout <= 5 for timeout in method.timeouts)
    assert all(("k", "v") in metadata for metadata in method.metadata)


async def test_a_write_is_not_retried_and_failures_become_domain_errors():
    with pytest.raises(Unavailable):
        await call(Flaky(UNAVAILABLE), object(), deadline=5)
    with pytest.raises(NotFound):
        await call(Flaky(grpc.StatusCode.NOT_FOUND), object(), deadline=5, idempotent=True)
    with pytest.raises(InvalidInput):
        await call(Flaky(grpc.StatusCode.INVALID_ARGUMENT), object(), deadline=5, idempotent=True)


def test_a_refusal_a_worker_cannot_act_on_is_unavailable_to_it():
    down = peer_unavailable("on-call", Unavailable("upstream unavailable: failed to connect"))
    assert (
        isinstance(down, Unavailable)
        and down.message == "on-call unavailable (upstream unavailable: failed to connect)"
    )
    refused = peer_unavailable("on-call", PermissionDenied("wrong internal credential"))
    assert isinstance(refused, Unavailable) and "wrong internal credential" in refused.message
