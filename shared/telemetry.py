"""OpenTelemetry tracing: spans exported over OTLP when an endpoint is configured."""

from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

_enabled = False

# FastAPI's own OpenTelemetry support (0.165+), off: spans come from opentelemetry-instrumentation-fastapi
# when OTLP_ENDPOINT is set (`instrument_app`), and with it on every request would ask the global
# providers (an environment lookup each) whether it has work, for nothing, or trace a second time.
FASTAPI_NATIVE_TELEMETRY_OFF = {"tracing": False, "metrics": False, "logs": False, "operation_spans": False}


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
        FastAPIInstrumentor.instrument_app(app, excluded_urls="health")
