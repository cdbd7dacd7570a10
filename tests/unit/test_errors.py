"""One mapping of domain errors to gRPC and back: a throttle's refusal keeps its wait across the call."""

import grpc
from grpc.aio import AioRpcError, Metadata

from shared.errors import NotFound, TooManyRequests, Unavailable, from_grpc


def _failure(code: grpc.StatusCode, trailers: tuple = ()) -> AioRpcError:
    return AioRpcError(code, Metadata(), Metadata(*trailers), details="the reason")


def test_resource_exhausted_with_retry_after_is_too_many_requests_with_the_wait():
    error = from_grpc(_failure(grpc.StatusCode.RESOURCE_EXHAUSTED, (("retry-after", "42"),)))
    assert isinstance(error, TooManyRequests) and error.retry_after == 42 and error.http_status == 429
    assert error.message == "the reason"


def test_resource_exhausted_without_a_wait_is_not_a_throttle():
    # e.g. a message over the size limit: nothing to retry after
    assert isinstance(from_grpc(_failure(grpc.StatusCode.RESOURCE_EXHAUSTED)), Unavailable)
    assert isinstance(
        from_grpc(_failure(grpc.StatusCode.RESOURCE_EXHAUSTED, (("retry-after", "x"),))), Unavailable
    )


def test_other_codes_keep_their_errors():
    assert isinstance(from_grpc(_failure(grpc.StatusCode.NOT_FOUND)), NotFound)
    assert TooManyRequests("slow down", retry_after=3).grpc_code == grpc.StatusCode.RESOURCE_EXHAUSTED
