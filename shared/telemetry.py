"""OpenTelemetry tracing: one W3C trace context per alert, from the gateway's POST through gRPC, the outbox
row and the stream message to the webhook POST; spans exported over OTLP when an endpoint is configured,
their URLs without integration keys. With tracing off the same context is carried (no spans), so the logs'
`trace_id` is the same shape and follows the alert all the same."""

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from random import getrandbits
from typing import Any

from fastapi import FastAPI
from fastapi.telemetry import TelemetryConfig
from opentelemetry import context, trace
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, TraceFlags

TRACEPARENT = "traceparent"
_TRACEPARENT_FORMAT = re.compile(r"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?\Z")
_enabled = False
_tracer = trace.get_tracer("oncall")  # a proxy: it uses the provider `configure_tracing` sets

# FastAPI's own OpenTelemetry support (0.165+), off: spans come from opentelemetry-instrumentation-fastapi
# when OTLP_ENDPOINT is set (`instrument_app`), and with it on every request would ask the global
# providers (an environment lookup each) whether it has work, for nothing, or trace a second time.
FASTAPI_NATIVE_TELEMETRY_OFF: TelemetryConfig = {
    "tracing": False,
    "metrics": False,
    "logs": False,
    "operation_spans": False,
}


def configure_tracing(service_name: str, otlp_endpoint: str, sample_ratio: float = 1.0) -> None:
    """Trace only when OTLP_ENDPOINT is set (e.g. Jaeger's 4317): spans nobody exports cost CPU on every
    request for nothing. New traces are sampled at `sample_ratio`; a continued one as its caller decided."""
    global _enabled
    _enabled = bool(otlp_endpoint)
    if not _enabled:
        return
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor

    provider = TracerProvider(
        resource=Resource.create({"service.name": service_name}),
        sampler=ParentBased(TraceIdRatioBased(sample_ratio)),
    )
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=otlp_endpoint, insecure=True)))
    trace.set_tracer_provider(provider)
    AsyncPGInstrumentor().instrument(tracer_provider=provider)  # type: ignore[no-untyped-call]
    RedisInstrumentor().instrument(tracer_provider=provider)


def tracing_enabled() -> bool:
    return _enabled


def format_traceparent(span_context: SpanContext) -> str:
    """The W3C `traceparent` of `span_context`; empty when it is not valid."""
    if not span_context.is_valid:
        return ""
    return f"00-{span_context.trace_id:032x}-{span_context.span_id:016x}-{span_context.trace_flags:02x}"


def current_traceparent() -> str:
    """The W3C `traceparent` of the current span (empty outside any trace)."""
    return format_traceparent(trace.get_current_span().get_span_context())


def parse_traceparent(value: str | bytes | None) -> SpanContext | None:
    """The remote span context a `traceparent` names, or None when it is missing or not valid."""
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    found = _TRACEPARENT_FORMAT.match(value) if value else None
    if found is None:
        return None
    version, trace_id, span_id, flags, rest = found.groups()
    if version == "ff" or (version == "00" and rest) or not int(trace_id, 16) or not int(span_id, 16):
        return None
    return SpanContext(
        int(trace_id, 16), int(span_id, 16), is_remote=True, trace_flags=TraceFlags(int(flags, 16) & 1)
    )


def _context_of(traceparent: str | bytes | None) -> context.Context:
    """A context whose current span is the one `traceparent` names, or a new root (not sampled) without
    one: what makes logs and outgoing calls carry a trace id when there are no spans."""
    span_context = parse_traceparent(traceparent) or SpanContext(
        getrandbits(128) or 1,  # nosec B311 - trace and span ids, not secrets
        getrandbits(64) or 1,  # nosec B311
        is_remote=False,
    )
    return trace.set_span_in_context(NonRecordingSpan(span_context))


def _parent_of(traceparent: str) -> context.Context:
    """Where a span continuing `traceparent` starts: under the span it names, else at a new root (sampled
    at the configured ratio)."""
    span_context = parse_traceparent(traceparent)
    if span_context is None:
        return context.Context()
    return trace.set_span_in_context(NonRecordingSpan(span_context), context.Context())


def adopt(traceparent: str | bytes | None) -> None:
    """Outside any span (tracing off, or a request not traced): make the caller's trace context, or a new
    one, current for the rest of this task (each request and each gRPC call runs in a task of its own)."""
    context.attach(_context_of(traceparent))


@contextmanager
def continued(
    traceparent: str, name: str, *, kind: SpanKind = SpanKind.INTERNAL, link: bool = False
) -> Iterator[trace.Span]:
    """A span `name`, current inside, continuing the trace `traceparent` names (its child; a new trace
    without one); `link`: linked to the span current before, e.g. the call that carried many alerts.
    Tracing off: that trace context current inside, and no span."""
    if not _enabled:
        token = context.attach(_context_of(traceparent))
        try:
            yield trace.get_current_span()
        finally:
            context.detach(token)
        return
    before = trace.get_current_span().get_span_context()
    links = [trace.Link(before)] if link and before.is_valid else None
    with _tracer.start_as_current_span(name, context=_parent_of(traceparent), kind=kind, links=links) as span:
        yield span


@contextmanager
def batch_spans(traceparents: Sequence[str], name: str, *, kind: SpanKind) -> Iterator[list[str]]:
    """One span per message of a batch (the outbox relay's, the stream consumer's), each continuing its
    message's trace; yields their traceparents. A span has one parent: the batch's own calls (SQL, Redis)
    are made under the first message's span. Tracing off: the messages' own contexts, the first current."""
    if not _enabled or not traceparents:
        with continued(traceparents[0] if traceparents else "", name):
            yield list(traceparents)
        return
    spans = [_tracer.start_span(name, context=_parent_of(t), kind=kind) for t in traceparents]
    try:
        with trace.use_span(spans[0]):
            yield [format_traceparent(span.get_span_context()) for span in spans]
    finally:
        for span in spans:
            span.end()


def instrument_app(app: FastAPI) -> None:
    if _enabled:
        trace_requests(app)


def trace_requests(app: FastAPI, tracer_provider: TracerProvider | None = None) -> None:
    """A span for each request to `app` but health checks (none for each body chunk sent or received), its
    URL attributes redacted."""
    FastAPIInstrumentor.instrument_app(
        app,
        excluded_urls="health",
        server_request_hook=redact_span_url,
        tracer_provider=tracer_provider,
        exclude_spans=["receive", "send"],
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
