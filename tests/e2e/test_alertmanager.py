"""A real Prometheus Alertmanager pages the platform through Traefik with an integration key."""

import asyncio
import os
import shutil
import subprocess
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from scripts.devstack.ports import free_port
from shared.embedded import stop_pid
from tests.e2e.test_gateway_flow import unique

pytestmark = pytest.mark.e2e

BINARY = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")

CONFIG = """\
route:
  receiver: oncall
  group_by: [alertname]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 2s
receivers:
  - name: oncall
    webhook_configs:
      - url: {url}
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: {key}
"""


@pytest.fixture
def alertmanager_binary():
    if BINARY is None:
        if os.environ.get("REQUIRE_ALERTMANAGER"):
            pytest.fail(
                "prometheus-alertmanager is not installed (apt-get install -y prometheus-alertmanager)"
            )
        pytest.skip("prometheus-alertmanager is not installed")
    return BINARY


class Alertmanager:
    def __init__(self, binary: str, home: Path, receiver_url: str, key: str) -> None:
        home.mkdir(parents=True, exist_ok=True)
        (home / "alertmanager.yml").write_text(CONFIG.format(url=receiver_url, key=key))
        self.url = f"http://127.0.0.1:{free_port()}"
        self.log = open(home / "alertmanager.log", "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [
                binary,
                f"--config.file={home / 'alertmanager.yml'}",
                f"--storage.path={home / 'data'}",
                f"--web.listen-address={self.url.removeprefix('http://')}",
                "--cluster.listen-address=",
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/-/ready", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise TimeoutError("alertmanager did not become ready")

    async def post_alerts(self, alerts: list[dict]) -> None:
        async with httpx.AsyncClient() as client:
            reply = await client.post(f"{self.url}/api/v2/alerts", json=alerts)
            assert reply.status_code == 200, reply.text

    def stop(self) -> None:
        stop_pid(self.process.pid)
        self.process.wait()
        self.log.close()


async def create_integration(gateway, kind: str) -> tuple[str, str]:
    """A service with an integration of `kind`; returns (service name, key)."""
    name = unique("am-svc")
    service = await gateway.post("/api/v1/services", json={"name": name, "auto_resolve": True})
    assert service.status_code == 201, service.text
    integration = await gateway.post(
        f"/api/v1/services/{service.json()['id']}/integrations",
        json={"name": kind, "type": kind, "config": {}},
    )
    assert integration.status_code == 201, integration.text
    return name, integration.json()["key"]


async def wait_for(check, within: float = 20.0, interval: float = 0.2):
    """Poll `check` until it returns something truthy or `within` seconds pass; return its last result."""
    deadline = time.monotonic() + within
    while True:
        result = await check()
        if result or time.monotonic() > deadline:
            return result
        await asyncio.sleep(interval)


def am_alert(alertname: str, instance: str, *, ends_at: datetime | None = None) -> dict:
    alert = {
        "labels": {"alertname": alertname, "instance": instance, "severity": "critical", "job": "api"},
        "annotations": {"summary": f"{alertname} on {instance}"},
        "generatorURL": "http://prometheus.example/graph",
        "startsAt": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
    }
    if ends_at is not None:
        alert["endsAt"] = ends_at.isoformat()
    return alert


async def test_alertmanager_group_becomes_one_incident_deduplicated_then_auto_resolved(
    gateway, stack, alertmanager_binary, tmp_path
):
    service, key = await create_integration(gateway, "alertmanager")
    receiver = f"{stack.gateway}/api/v1/integrations/alertmanager"
    manager = Alertmanager(alertmanager_binary, tmp_path / "am", receiver, key)
    try:
        manager.wait_ready()
        alertname = f"HighLatency{uuid.uuid4().hex[:6]}"
        await manager.post_alerts([am_alert(alertname, "api-1"), am_alert(alertname, "api-2")])

        async def incidents() -> list[dict]:
            reply = await gateway.get("/api/v1/incidents", params={"service": service})
            return reply.json()["incidents"]

        async def grouped() -> list[dict]:
            found = await incidents()
            return found if found and found[0]["alert_count"] == 2 else []

        found = await wait_for(grouped)
        assert len(found) == 1, await incidents()
        incident_id = found[0]["id"]

        async def deduplicated():
            detail = (await gateway.get(f"/api/v1/incidents/{incident_id}")).json()
            return detail if sum(a["duplicate_count"] for a in detail["alerts"]) > 0 else None

        detail = await wait_for(deduplicated)  # repeat_interval re-sends the group: counted, not re-created
        assert detail is not None, "Alertmanager's re-send was not recorded as duplicates"
        assert detail["alert_count"] == 2 and len(await incidents()) == 1

        now = datetime.now(UTC)
        await manager.post_alerts(
            [am_alert(alertname, "api-1", ends_at=now), am_alert(alertname, "api-2", ends_at=now)]
        )

        async def resolved():
            detail = (await gateway.get(f"/api/v1/incidents/{incident_id}")).json()
            return detail if detail["status"] == "resolved" else None

        detail = await wait_for(resolved)
        assert detail is not None, "incident was not auto-resolved when Alertmanager resolved its alerts"
        assert any("resolved by source" in entry["message"] for entry in detail["timeline"])
        assert len(await incidents()) == 1
    finally:
        manager.stop()
