"""OpenTelemetry tracing: spans exported over OTLP when an endpoint is configured, their URLs without
integration keys."""

import re
from typing import Any

from fastapi import FastAPI
from fastapi.telemetry import TelemetryConfig
from opentelemetry import trace
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

_enabled = False

# FastAPI's own OpenTelemetry support (0.165+), off: spans come from opentelemetry-instrumentation-fastapi
# when OTLP_ENDPOINT is set (`instrument_app`), and with it on every request would ask the global
# providers (an environment lookup each) whether it has work, for nothing, or trace a second time.
FASTAPI_NATIVE_TELEMETRY_OFF: TelemetryConfig = {
    "tracing": False,
    "metrics": False,
    "logs": False,
    "operation_spans": False,
}


def configure_tracing(service_name: str, otlp_endpoint: str) -> None:
    """Trace only when OTLP_ENDPOINT is set (e.g. Jaeger's 4317): spans nobody exports cost CPU on every
    request for nothing. Logs carry our own trace id either way."""
    global _enabled
    _enabled = bool(otlp_endpoint)
    if not _enabled:
        return
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=otlp_endpoint, insecure=True)))
    trace.set_tracer_provider(provider)


def tracing_enabled() -> bool:
    return _enabled


def instrument_app(app: FastAPI) -> None:
    if _enabled:
        trace_requests(app)


def trace_requests(app: FastAPI, tracer_provider: TracerProvider | None = None) -> None:
    """A span for each request to `app` but health checks, its URL attributes redacted."""
    FastAPIInstrumentor.instrument_app(
        app, excluded_urls="health", server_request_hook=redact_span_url, tracer_provider=tracer_provider
    )


# A heartbeat's key is its path (POST /api/v1/heartbeats/{key}); senders may put a routing key in the query
# (`?key=`, PagerDuty's `routing_key`). Whoever reads traces must not be able to send alerts with them.
_PATH_KEY = re.compile(r"(/api/v1/heartbeats/)[^/?#]+")
_QUERY_KEY = re.compile(
    r"(^|[?&])((?:integration_|routing_|api_)?key|(?:access_)?token)=[^&#]*", re.IGNORECASE
)
# Where the ASGI instrumentation puts the request's URL (old and stable semantic conventions).
URL_ATTRIBUTES = ("http.target", "http.url", "url.full", "url.path", "url.query")


def redact_url(url: str) -> str:
    """`url` (a full URL, a path or a query string) with a heartbeat's key as `{key}` and key or token
    query values as REDACTED."""
    return _QUERY_KEY.sub(r"\1\2=REDACTED", _PATH_KEY.sub(r"\1{key}", url))


def redact_span_url(span: trace.Span, scope: dict[str, Any]) -> None:
    """The instrumentation's server_request_hook: rewrites the URL attributes it has just set on `span`
    (span processors see them too late to change, or too early: they are set again after start)."""
    attributes = getattr(span, "attributes", None)
    if not span.is_recording() or not attributes:
        return
    for name in URL_ATTRIBUTES:
        value = attributes.get(name)
        if isinstance(value, str):
            span.set_attribute(name, redact_url(value))
