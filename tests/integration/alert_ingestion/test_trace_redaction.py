"""A replica's request spans, recorded as they would be exported, carry no integration key: not the
heartbeat key in the path, nor a routing key in the query string."""

import httpx
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from services.alert_ingestion.config import IngestionSettings
from services.alert_ingestion.main import create_app
from shared.telemetry import trace_requests
from tests.integration.servers import dead_target, running_uvicorn

pytestmark = pytest.mark.integration


async def test_heartbeat_and_query_keys_are_not_in_the_recorded_spans():
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    # incident-management unreachable: the replica answers 503, and the request is traced all the same.
    app = create_app(IngestionSettings(incident_grpc_target=dead_target(), incident_timeout_seconds=1))
    trace_requests(app, tracer_provider=provider)
    async with running_uvicorn(app) as base, httpx.AsyncClient(base_url=base, timeout=10) as client:
        await client.post("/api/v1/heartbeats/hb-secret-path-key", params={"key": "secret-query-key"})
        await client.post("/v2/enqueue", params={"routing_key": "secret-routing-key"}, json={})
    spans = exporter.get_finished_spans()
    recorded = repr([(s.name, dict(s.attributes or {}), s.events) for s in spans])
    assert "secret-" not in recorded, recorded
    targets = {s.attributes.get("http.target") for s in spans if s.attributes.get("http.target")}
    assert targets == {"/api/v1/heartbeats/{key}", "/v2/enqueue"}
    assert any("key=REDACTED" in str(s.attributes.get("http.url")) for s in spans)
