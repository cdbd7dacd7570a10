"""gRPC server factory (error mapping, trace ids, health service, OTel) and client channels."""

import json
import logging
import math
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from opentelemetry.instrumentation.grpc import aio_client_interceptors, aio_server_interceptor

from shared import audit
from shared.errors import RETRY_AFTER_KEY, DomainError, TooManyRequests
from shared.logging import TRACE_HEADER, new_trace_id, trace_id_var
from shared.telemetry import tracing_enabled

log = logging.getLogger(__name__)

_CHANNEL_OPTIONS = [
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.keepalive_timeout_ms", 10_000),
    ("grpc.max_receive_message_length", 16 * 1024 * 1024),
    ("grpc.enable_retries", 1),
    # Reconnect within a second of a restarted peer coming back (the default backoff grows to 120 s,
    # which would keep answering 503 long after the peer is up again).
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 1_000),
    # A call that finds the peer unreachable (restarting, or a connection not re-established yet) is
    # retried by gRPC itself for about 1.5 s. UNAVAILABLE means the server did not run the handler, and
    # our handlers are idempotent anyway (ingestion deduplicates by fingerprint).
    (
        "grpc.service_config",
        json.dumps(
            {
                "methodConfig": [
                    {
                        "name": [{}],
                        "retryPolicy": {
                            "maxAttempts": 5,
                            "initialBackoff": "0.1s",
                            "maxBackoff": "1s",
                            "backoffMultiplier": 2,
                            "retryableStatusCodes": ["UNAVAILABLE"],
                        },
                    }
                ]
            }
        ),
    ),
]


def unexpected(error: Exception, what: str) -> tuple[grpc.StatusCode, str]:
    """The status and message answering an error no handler expected, logged once: UNAVAILABLE when the
    database cannot be reached (the channels' retry policy and senders retry it), else INTERNAL."""
    from shared.db import database_unavailable  # only services with a database get here with one

    unavailable = database_unavailable(error)
    if unavailable is not None:
        log.warning("%s: %s", what, unavailable.message, exc_info=True)
        return unavailable.grpc_code, unavailable.message
    log.exception("unhandled error in %s", what)
    return grpc.StatusCode.INTERNAL, "internal error"


class ErrorInterceptor(grpc.aio.ServerInterceptor):
    """Adopt the caller's trace id; map DomainError to its status code; log anything else once."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(details)
        if handler is None or handler.unary_unary is None:
            return handler
        metadata = dict(details.invocation_metadata or ())
        inner = handler.unary_unary
        action = details.method.rsplit("/", 1)[-1]

        async def wrapped(request: Any, context: grpc.aio.ServicerContext) -> Any:
            new_trace_id(metadata.get(TRACE_HEADER))
            audit.acting_from_metadata(metadata, action=action)
            try:
                return await inner(request, context)
            except TooManyRequests as error:
                wait = ((RETRY_AFTER_KEY, str(math.ceil(error.retry_after))),)
                await context.abort(error.grpc_code, error.message, trailing_metadata=wait)
            except DomainError as error:
                await context.abort(error.grpc_code, error.message)
            except grpc.aio.AbortError:
                raise
            except Exception as error:
                await context.abort(*unexpected(error, details.method))

        return grpc.unary_unary_rpc_method_handler(
            wrapped,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )


def create_server() -> tuple[grpc.aio.Server, health.aio.HealthServicer]:
    """A grpc.aio server with our interceptors and the standard health service registered."""
    traced = [aio_server_interceptor()] if tracing_enabled() else []
    server = grpc.aio.server(interceptors=[*traced, ErrorInterceptor()])
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    return server, health_servicer


async def mark_serving(health_servicer: health.aio.HealthServicer, service_names: list[str]) -> None:
    for name in ["", *service_names]:
        await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)


def create_channel(target: str) -> grpc.aio.Channel:
    """One long-lived channel per target; share it for every call."""
    interceptors = aio_client_interceptors() if tracing_enabled() else None
    return grpc.aio.insecure_channel(target, options=_CHANNEL_OPTIONS, interceptors=interceptors)


def call_metadata() -> tuple[tuple[str, str], ...]:
    """Metadata forwarding the current trace id to the callee."""
    trace_id = trace_id_var.get()
    return ((TRACE_HEADER, trace_id),) if trace_id else ()
