"""Metrics of the running native stack: every /metrics passes promtool, known alerts move the counters by
known amounts, and a real Prometheus evaluates every expression of the dashboards and alert rules."""

import asyncio
import contextlib
import json
import time
import uuid

import httpx
import pytest
import yaml

from scripts.devstack import processes, prometheus
from scripts.devstack.ports import free_port
from scripts.devstack.processes import ProcessSpec
from scripts.devstack.settings import ROOT
from tests.e2e.test_gateway_flow import alert, paging_key
from tests.prometheus import binary, promtool, samples, value

pytestmark = pytest.mark.e2e

SERVICES = ("alert-ingestion", "incident-management", "oncall", "notifier", "web-ui", "metrics-exporter")
# Expressions whose series exist only after what this test does not cause: a passed escalation deadline,
# and notifications (no webhook subscribed, nobody on call to email; tests/integration/notifier counts
# them). For them no error is enough.
EVENT_ONLY = ("escalations_total", "notifications_sent_total", "webhook_delivery_seconds")
# Each alert rule's condition is empty while the platform is healthy: the series it watches must exist.
RULE_SERIES = {
    "IngestionReplicaDown": 'up{job="alert-ingestion"}',
    "ServiceDown": 'up{job="incident-management"}',
    "HighServerErrorRate": "http_requests_total",
    "OutboxLagging": "outbox_lag_seconds",
    "EscalationBacklog": "escalation_lag_seconds",
    "EventStreamBacklog": "event_stream_pending_entries",
    "WebhookDeadLetters": 'webhook_deliveries{status="dead"}',
    "ExporterCannotRead": "oncall_exporter_up",
}


def targets(stack, job: str) -> list[str]:
    return prometheus.native_jobs(stack.settings)[job]


async def scrape(client: httpx.AsyncClient, target: str) -> dict:
    reply = await client.get(f"http://{target}/metrics")
    assert reply.status_code == 200, reply.text
    return samples(reply.text)


async def summed(client: httpx.AsyncClient, stack, job: str, name: str, **labels: str) -> float:
    """`name{labels}` summed over the job's instances (0 where an instance has none yet)."""
    total = 0.0
    for target in targets(stack, job):
        with contextlib.suppress(KeyError):
            total += value(await scrape(client, target), name, **labels)
    return total


async def test_every_service_metrics_pass_promtool_check_metrics(stack):
    async with httpx.AsyncClient(timeout=10) as client:
        for job in SERVICES:
            for target in targets(stack, job):
                text = (await client.get(f"http://{target}/metrics")).text
                checked = promtool("check", "metrics", stdin=text)
                assert checked.returncode == 0, f"{job} {target}: {checked.stdout}{checked.stderr}"
                assert "http_requests_total" in text


async def test_gateway_does_not_serve_metrics(stack):
    async with httpx.AsyncClient(base_url=stack.gateway, timeout=10) as client:
        assert (await client.get("/metrics")).status_code == 404


async def _send_known_alerts(gateway, service: str) -> list[str]:
    """3 critical alerts (created, correlated, duplicate) one by one and 2 warnings in a batch (created,
    correlated); returns the two incidents' ids."""
    key = await paging_key(gateway, service)
    ids = []
    for fingerprint in ("fp-1", "fp-2", "fp-1"):
        reply = await gateway.post(
            "/api/v1/alerts", json=alert(service, fingerprint=fingerprint), headers=key
        )
        assert reply.status_code == 202, reply.text
        ids.append(reply.json()["incident_id"])
    batch = [alert(service, severity="warning", fingerprint=f"w-{n}") for n in range(2)]
    reply = await gateway.post("/api/v1/alerts/batch", json={"alerts": batch}, headers=key)
    assert reply.status_code == 202, reply.text
    return [ids[0], reply.json()["results"][0]["incident_id"]]


async def _eventually(check, within: float = 15.0):
    """`check()` until it passes (the relay and the exporter's cache are a few seconds behind)."""
    deadline = time.monotonic() + within
    while True:
        try:
            return await check()
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)


async def test_known_alerts_move_the_counters_by_known_amounts(stack, gateway):
    counted = {
        ("alert-ingestion", "alerts_received_total", (("severity", "critical"), ("source", "api"))): 3,
        ("alert-ingestion", "alerts_received_total", (("severity", "warning"), ("source", "batch"))): 2,
        (
            "alert-ingestion",
            "http_requests_total",
            (("method", "POST"), ("route", "/api/v1/alerts"), ("status", "202")),
        ): 3,
        (
            "alert-ingestion",
            "http_request_duration_seconds_count",
            (("method", "POST"), ("route", "/api/v1/alerts/batch")),
        ): 1,
        ("incident-management", "alerts_correlated_total", (("result", "created"),)): 2,
        ("incident-management", "alerts_correlated_total", (("result", "correlated"),)): 2,
        ("incident-management", "alerts_correlated_total", (("result", "duplicate"),)): 1,
        ("incident-management", "incidents_total", (("severity", "critical"),)): 1,
        ("incident-management", "incidents_total", (("severity", "warning"),)): 1,
        ("metrics-exporter", "incident_mtta_seconds_count", ()): 1,
        ("metrics-exporter", "incident_mttr_seconds_count", ()): 1,
    }
    async with httpx.AsyncClient(timeout=10) as client:

        async def read() -> dict:
            return {key: await summed(client, stack, key[0], key[1], **dict(key[2])) for key in counted}

        before = await _eventually(read)  # the exporter answers from its last reading
        await asyncio.sleep(stack_cache_seconds())
        critical, _ = await _send_known_alerts(gateway, f"metrics-{uuid.uuid4().hex[:8]}")
        assert (await gateway.post(f"/api/v1/incidents/{critical}/acknowledge")).status_code == 200
        assert (await gateway.post(f"/api/v1/incidents/{critical}/resolve")).status_code == 200

        async def moved() -> None:
            after = await read()
            assert {key: after[key] - before[key] for key in counted} == counted

        await _eventually(moved)
        calls = await summed(
            client,
            stack,
            "alert-ingestion",
            "grpc_client_handled_total",
            grpc_service="oncall.v1.IncidentService",
            grpc_method="IngestAlertGroup",
            grpc_code="OK",
        )
        assert calls >= 1


def stack_cache_seconds() -> float:
    """The exporter's SCRAPE_CACHE_SECONDS in the test stack (its default)."""
    from services.metrics_exporter.config import ExporterSettings

    return ExporterSettings.model_fields["scrape_cache_seconds"].default


def dashboard_expressions() -> list[tuple[str, str]]:
    found = []
    for path in sorted((ROOT / "config" / "grafana" / "dashboards").glob("*.json")):
        for panel in json.loads(path.read_text())["panels"]:
            found += [(f"{path.stem}: {panel['title']}", target["expr"]) for target in panel["targets"]]
    return found


def rules() -> list[dict]:
    found = []
    for path in sorted(prometheus.RULES.glob("*.yml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            found += group["rules"]
    return found


@contextlib.contextmanager
def running_prometheus(stack, home):
    """The real Prometheus (Debian's), scraping the stack every second with its alert rules."""
    config = home / "prometheus.yml"
    jobs = prometheus.native_jobs(stack.settings)
    config.write_text(prometheus.render(jobs, rules_dir=str(prometheus.RULES), scrape_interval="1s"))
    port = free_port()
    spec = ProcessSpec(
        name="prometheus",
        argv=[
            binary("prometheus"),
            f"--config.file={config}",
            f"--storage.tsdb.path={home / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        health_url=f"http://127.0.0.1:{port}/-/ready",
    )
    dirs = {"run_dir": home, "log_dir": home}
    try:
        processes.start(spec, cwd=ROOT, **dirs)
        processes.wait_healthy(spec, timeout=30, **dirs)
        yield f"http://127.0.0.1:{port}"
    finally:
        processes.stop("prometheus", run_dir=home)


async def query(client: httpx.AsyncClient, expr: str) -> list:
    reply = await client.get("/api/v1/query", params={"query": expr})
    body = reply.json()
    assert reply.status_code == 200 and body["status"] == "success", f"{expr}: {body}"
    return body["data"]["result"]


async def test_prometheus_evaluates_every_dashboard_and_rule_expression(stack, gateway, tmp_path):
    with running_prometheus(stack, tmp_path) as url:
        async with httpx.AsyncClient(base_url=url, timeout=10) as client:
            expected = sum(len(t) for t in prometheus.native_jobs(stack.settings).values())

            async def all_up() -> None:
                assert len(await query(client, "up == 1")) == expected

            await _eventually(all_up, within=30)
            critical, _ = await _send_known_alerts(gateway, f"promql-{uuid.uuid4().hex[:8]}")
            assert (await gateway.post(f"/api/v1/incidents/{critical}/acknowledge")).status_code == 200
            assert (await gateway.post(f"/api/v1/incidents/{critical}/resolve")).status_code == 200
            for title, expr in dashboard_expressions():
                if any(name in expr for name in EVENT_ONLY):
                    await query(client, expr)
                    continue

                async def has_data(expr=expr, title=title) -> None:
                    assert await query(client, expr), f"{title}: no data for {expr}"

                await _eventually(has_data, within=20)
            assert {rule["alert"] for rule in rules()} == set(RULE_SERIES), "name the series of each new rule"
            for rule in rules():
                await query(client, rule["expr"])
                assert await query(client, RULE_SERIES[rule["alert"]]), rule["alert"]
