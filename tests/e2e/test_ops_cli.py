"""The operators' CLI (`python -m scripts.ops`) against one native stack of this module: status, health
with a component stopped, test alerts, webhooks, analytics, logs, live scaling under a stream of alerts,
and the seven-step full demo, twice."""

import asyncio
import re
import subprocess
import sys

import httpx
import pytest

from scripts.devstack.ports import free_port_run
from scripts.devstack.settings import ROOT
from scripts.ops import cli
from tests.conftest import fresh_database
from tests.e2e.conftest import admin_token, running_stack, stack_settings
from tests.e2e.test_gateway_flow import alert, paging_key
from tests.prometheus import samples, value

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def ops_stack(postgres_server_url, redis_url):
    """Two replicas, with a free port for a third (`scale 3`)."""
    with fresh_database(postgres_server_url) as url:
        settings = stack_settings("ops", url, redis_url, ingestion_base_port=free_port_run(3))
        with running_stack(settings, url) as running:
            yield running


def run_cli(capsys, stack, *argv: str) -> tuple[int, str]:
    code = cli.main(list(argv), settings=stack.settings)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_every_command_is_in_the_help():
    shown = subprocess.run(
        [sys.executable, "-m", "scripts.ops", "--help"], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert shown.returncode == 0, shown.stderr
    missing = [name for name in cli.command_names() if f"\n    {name} " not in shown.stdout]
    assert missing == []


def test_status_and_health_name_a_stopped_component(capsys, ops_stack):
    code, out = run_cli(capsys, ops_stack, "status")
    assert code == 0 and "alert-ingestion-2" in out and "traefik" in out
    code, out = run_cli(capsys, ops_stack, "health")
    assert code == 0 and "all healthy" in out
    assert re.search(r"postgres\s+healthy", out) and re.search(r"redis\s+healthy", out)
    ops_stack.stop("notifier")
    try:
        code, out = run_cli(capsys, ops_stack, "health")
    finally:
        ops_stack.start("notifier")
    assert code == 1
    assert re.search(r"notifier\s+NOT HEALTHY: not running", out) and "not healthy: notifier" in out


def test_test_alert_and_test_batch_store_alerts(capsys, ops_stack):
    code, out = run_cli(capsys, ops_stack, "test-alert")
    assert code == 0 and re.search(r"accepted in \d+ ms: created", out), out
    code, out = run_cli(capsys, ops_stack, "test-batch", "700")
    assert code == 0 and "700 of 700 alerts stored" in out, out


def test_webhook_add_then_webhooks_lists_it(capsys, ops_stack):
    code, out = run_cli(capsys, ops_stack, "webhook-add", "http://127.0.0.1:9/oncall", "--allow-internal")
    assert code == 0 and re.search(r"secret \S{20,}", out), out
    code, out = run_cli(capsys, ops_stack, "webhooks")
    assert code == 0 and "http://127.0.0.1:9/oncall" in out and "added with the ops CLI" in out


def test_analytics_counts_the_test_alerts_incidents(capsys, ops_stack):
    run_cli(capsys, ops_stack, "test-alert")
    code, out = run_cli(capsys, ops_stack, "analytics")
    assert code == 0
    assert re.search(r"ops-smoke-test\s+[1-9]\d* incidents", out), out


def test_logs_of_one_service_and_of_all(capsys, ops_stack):
    code, out = run_cli(capsys, ops_stack, "logs", "alert-ingestion", "-n", "5")
    assert code == 0 and "alert-ingestion-1 |" in out and "alert-ingestion-2 |" in out
    assert "oncall |" not in out
    code, out = run_cli(capsys, ops_stack, "logs")
    assert (
        code == 0
        and re.search(r"^oncall +\| ", out, flags=re.M)
        and re.search(r"^traefik +\| ", out, flags=re.M)
    )
    code, out = run_cli(capsys, ops_stack, "logs", "no-such-service")
    assert code == 2 and "no log for no-such-service" in out


async def _stream(gateway: str, key: dict, stop: asyncio.Event, replies: list) -> None:
    """20 alerts a second through Traefik until `stop`."""
    async with httpx.AsyncClient(base_url=gateway, timeout=30) as client:
        index = 0
        while not stop.is_set():
            body = alert("ops-scaling", fingerprint=f"scale-{index}")
            replies.append(asyncio.create_task(client.post("/api/v1/alerts", json=body, headers=key)))
            index += 1
            await asyncio.sleep(0.05)
        await asyncio.gather(*replies, return_exceptions=True)


def _served(stack, replica: int) -> float:
    port = stack.settings.ingestion_base_port + replica - 1
    scrape = samples(httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text)
    labels = {"method": "POST", "route": "/api/v1/alerts", "status": "202"}
    try:
        return value(scrape, "http_requests_total", **labels)
    except KeyError:
        return 0.0


async def test_scale_up_and_down_under_a_stream_of_alerts_fails_no_request(capsys, ops_stack):
    headers = {"Authorization": f"Bearer {admin_token(ops_stack.settings)}"}
    async with httpx.AsyncClient(base_url=ops_stack.gateway, headers=headers) as admin:
        key = await paging_key(admin, "ops-scaling")
    stop, replies = asyncio.Event(), []
    streaming = asyncio.create_task(_stream(ops_stack.gateway, key, stop, replies))
    await asyncio.sleep(1)
    code = await asyncio.to_thread(cli.main, ["scale"], ops_stack.settings)
    assert code == 0
    await asyncio.sleep(2)
    served = [await asyncio.to_thread(_served, ops_stack, replica) for replica in (1, 2, 3)]
    code = await asyncio.to_thread(cli.main, ["scale-down"], ops_stack.settings)
    assert code == 0
    await asyncio.sleep(1)
    stop.set()
    await streaming
    out = capsys.readouterr().out
    failed = [r.result() if r.exception() is None else r.exception() for r in replies]
    failed = [r for r in failed if not isinstance(r, httpx.Response) or r.status_code != 202]
    assert failed == [], failed[:5]
    assert all(count > 0 for count in served), served  # every replica served some
    assert "started alert-ingestion-3" in out and "took alert-ingestion-3 out of Traefik's pool" in out
    assert len(replies) > 60
    code, out = run_cli(capsys, ops_stack, "status")
    assert "alert-ingestion-1" in out and "alert-ingestion-2" not in out  # one replica left


def test_full_demo_runs_its_seven_steps_twice(capsys, ops_stack):
    for _ in range(2):
        code, out = run_cli(capsys, ops_stack, "full-demo")
        assert code == 0, out
        assert len(re.findall(r"^  \d  .+ ok ", out, flags=re.M)) == 7, out
        assert "signature verified" in out and "MTTA" in out and "auto-resolved" in out
        assert "now assigned to Demo Bob" in out
