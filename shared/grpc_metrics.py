"""gRPC calls counted and timed on both sides (go-grpc-prometheus's names): shared.grpc adds these
interceptors to every server and channel."""

from __future__ import annotations  # grpc.RpcMethodHandler is generic only in its stubs

import time
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from prometheus_client import Counter, Histogram

from shared.metrics import LATENCY_BUCKETS

_LABELS = ["grpc_service", "grpc_method"]
SERVER_HANDLED = Counter(
    "grpc_server_handled_total", "gRPC calls answered by this server, by status", [*_LABELS, "grpc_code"]
)
SERVER_SECONDS = Histogram(
    "grpc_server_handling_seconds", "Time to answer a gRPC call", _LABELS, buckets=LATENCY_BUCKETS
)
CLIENT_HANDLED = Counter(
    "grpc_client_handled_total", "gRPC calls made by this process, by status", [*_LABELS, "grpc_code"]
)
CLIENT_SECONDS = Histogram(
    "grpc_client_handling_seconds", "Time until a gRPC call's answer", _LABELS, buckets=LATENCY_BUCKETS
)


def _split(method: str | bytes) -> tuple[str, str]:
    """`/oncall.v1.IncidentService/IngestAlert` → (`oncall.v1.IncidentService`, `IngestAlert`)."""
    text = method.decode() if isinstance(method, bytes) else method
    service, _, name = text.lstrip("/").rpartition("/")
    return service, name


def _record(handled: Counter, seconds: Histogram, method: tuple[str, str], code: Any, started: float) -> None:
    name = code.name if isinstance(code, grpc.StatusCode) else "OK"
    handled.labels(*method, name).inc()
    seconds.labels(*method).observe(time.perf_counter() - started)


class ServerMetricsInterceptor(grpc.aio.ServerInterceptor):
    """Counts and times every unary call by method and status (refusals of the credential check too, when
    placed before it)."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[Any, Any] | None]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        handler = await continuation(details)
        if handler is None or handler.unary_unary is None:
            return handler
        inner, method = handler.unary_unary, _split(details.method)

        async def timed(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
            started = time.perf_counter()
            code: Any = grpc.StatusCode.UNKNOWN  # an error that escaped every handler
            try:
                reply = await inner(request, context)  # type: ignore[arg-type]  # stubs know sync contexts only
                code = context.code() or grpc.StatusCode.OK
                return reply
            except grpc.aio.AbortError:
                code = context.code()
                raise
            finally:
                _record(SERVER_HANDLED, SERVER_SECONDS, method, code, started)

        return grpc.unary_unary_rpc_method_handler(
            timed,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )


class ClientMetricsInterceptor(grpc.aio.UnaryUnaryClientInterceptor):
    """Counts and times every call of a channel by method and status (all unary: the services make no
    other)."""

    async def intercept_unary_unary(
        self, continuation: Callable[..., Any], details: grpc.aio.ClientCallDetails, request: Any
    ) -> Any:
        started = time.perf_counter()
        method = _split(details.method)
        call = await continuation(details, request)
        code: Any = grpc.StatusCode.UNKNOWN
        try:
            await call  # the answer, or AioRpcError; the caller's own await then reads the finished call
            code = grpc.StatusCode.OK
        except grpc.aio.AioRpcError as error:
            code = error.code()
        finally:
            _record(CLIENT_HANDLED, CLIENT_SECONDS, method, code, started)
        return call
