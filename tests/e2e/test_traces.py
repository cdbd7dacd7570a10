"""One trace from an alert's POST at the gateway to its webhook delivery: the native stack exports its
spans over OTLP to a receiver run here, and the trace id of the alert's request is on the spans of every
hop (ingestion, incident-management, the database, the stream, the notifier, the webhook POST) and in
those services' log lines."""

import asyncio
import time
import uuid
from collections import defaultdict
from concurrent import futures
from dataclasses import dataclass

import aiohttp
import grpc
import orjson
import pytest
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

from scripts import faults, webhook_receiver
from tests.conftest import fresh_database
from tests.e2e.conftest import running_stack, stack_settings

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class Span:
    service: str
    name: str
    scope: str
    trace_id: str
    attributes: dict[str, str]


class Collector(trace_service_pb2_grpc.TraceServiceServicer):
    """An OTLP/gRPC trace receiver keeping every span it is sent."""

    def __init__(self) -> None:
        self.spans: list[Span] = []

    def Export(self, request, context):
        for resource_spans in request.resource_spans:
            resource = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    attributes = {
                        a.key: str(a.value.string_value or a.value.int_value) for a in span.attributes
                    }
                    self.spans.append(
                        Span(
                            resource["service.name"],
                            span.name,
                            scope_spans.scope.name,
                            span.trace_id.hex(),
                            attributes,
                        )
                    )
        return trace_service_pb2.ExportTraceServiceResponse()


@pytest.fixture(scope="module")
def collector():
    receiver = Collector()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(receiver, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield receiver, f"http://127.0.0.1:{port}"
    finally:
        server.stop(grace=None)


@pytest.fixture(scope="module")
def traced_stack(postgres_server_url, redis_url, collector):
    _, endpoint = collector
    with fresh_database(postgres_server_url) as url:
        base = stack_settings("traces", url, redis_url)
        env = {
            "OTLP_ENDPOINT": endpoint,
            "TRACE_SAMPLE_RATIO": "1.0",
            "OTEL_BSP_SCHEDULE_DELAY": "200",  # spans exported within 0.2 s rather than 5
            "LOG_LEVEL": "DEBUG",  # the per-alert lines of ingestion and incident-management
            **faults.SERVICE_ENV,  # webhooks to the receiver on 127.0.0.1 allowed
        }
        settings = base.model_copy(update={"service_env": base.service_env | env})
        with running_stack(settings, url) as running:
            yield running


async def send_alert_to_a_subscribed_webhook(settings) -> str:
    """An alert through the gateway to a new service whose incidents a webhook subscribes to; the
    answer's `x-trace-id`, once the webhook has received the incident."""
    receiver = webhook_receiver.Receiver()
    async with (
        webhook_receiver.running(receiver) as url,
        aiohttp.ClientSession(settings.gateway_url, timeout=aiohttp.ClientTimeout(total=10)) as client,
    ):
        await faults.subscribe_as_admin(settings, client, receiver, url)
        key = await faults.integration_key(client, f"traced-{uuid.uuid4().hex[:8]}")
        alert = {"severity": "critical", "summary": "disk full", "fingerprint": "traced-1"}
        async with client.post(
            "/api/v1/alerts", json=alert, headers={"Authorization": f"Bearer {key}"}
        ) as reply:
            assert reply.status == 202, await reply.text()
            trace_id, incident_id = reply.headers["x-trace-id"], (await reply.json())["incident_id"]
        deadline = time.monotonic() + 20
        while incident_id not in receiver.incident_of.values() and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.1)
        assert incident_id in receiver.incident_of.values(), "the webhook never received the incident"
    return trace_id


async def spans_of(collector: Collector, trace_id: str, wanted: set[str]) -> dict[str, list[Span]]:
    """The trace's spans by service, once every `wanted` service has sent some (or after 15 s)."""
    deadline = time.monotonic() + 15
    while True:
        found = defaultdict(list)
        for span in collector.spans:
            if span.trace_id == trace_id:
                found[span.service].append(span)
        if wanted <= set(found) and "webhook POST" in {s.name for s in found.get("notifier", [])}:
            return found
        if time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.2)


def log_lines(settings, service: str) -> list[dict]:
    lines = []
    for raw in (settings.log_dir / f"{service}.log").read_bytes().splitlines():
        try:
            lines.append(orjson.loads(raw))
        except orjson.JSONDecodeError:
            continue  # a line not of ours (a server's own output)
    return lines


async def test_one_trace_runs_from_the_alert_post_to_the_webhook_delivery(traced_stack, collector):
    receiver, _ = collector
    trace_id = await send_alert_to_a_subscribed_webhook(traced_stack.settings)
    assert len(trace_id) == 32 and int(trace_id, 16)

    found = await spans_of(receiver, trace_id, {"alert-ingestion", "incident-management", "notifier"})
    names = {service: {s.name for s in spans} for service, spans in found.items()}
    scopes = {service: {s.scope for s in spans} for service, spans in found.items()}
    assert "POST /api/v1/alerts" in names.get("alert-ingestion", set()), names
    ingestion_grpc = "/oncall.v1.IncidentService/IngestAlertGroup"
    assert ingestion_grpc in names["alert-ingestion"], names  # the client side
    assert {ingestion_grpc, "ingest alert"} <= names["incident-management"], names  # the server side
    assert "opentelemetry.instrumentation.asyncpg" in scopes["incident-management"], scopes  # the database
    assert any(n.endswith(" publish") for n in names["incident-management"]), names  # the relay
    assert "opentelemetry.instrumentation.redis" in scopes["incident-management"], scopes  # XADD
    assert any(n.endswith(" process") for n in names["notifier"]), names  # the stream consumer
    assert "opentelemetry.instrumentation.asyncpg" in scopes["notifier"], scopes
    posts = [s for s in found["notifier"] if s.name == "webhook POST"]
    assert posts and posts[0].attributes.get("http.response.status_code") == "204", posts

    for service in ("alert-ingestion-1", "alert-ingestion-2", "incident-management", "notifier"):
        lines = log_lines(traced_stack.settings, service)
        assert all(len(line.get("trace_id") or "x" * 32) == 32 for line in lines)
    logged = {
        service: {
            line["msg"]
            for line in log_lines(traced_stack.settings, service)
            if line.get("trace_id") == trace_id
        }
        for service in ("alert-ingestion-1", "alert-ingestion-2", "incident-management", "notifier")
    }
    assert "alert stored" in logged["alert-ingestion-1"] | logged["alert-ingestion-2"], logged
    assert "alert stored" in logged["incident-management"], logged
    assert "webhook attempt" in logged["notifier"], logged
