"""The gateway's own refusals are the JSON error body every service answers, `{"detail": "..."}`:
unknown paths, a service with no instance up, and (tests/e2e/test_gateway_rate_limit.py) its rate limit."""

import asyncio

import httpx
import pytest

from tests.e2e.test_gateway_flow import alert, paging_key, unique

pytestmark = pytest.mark.e2e


def assert_json_error(reply: httpx.Response, status: int) -> None:
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"] == "application/json", reply.text
    assert isinstance(reply.json()["detail"], str) and reply.json()["detail"]


async def test_unknown_paths_get_a_json_404(gateway):
    for method, path in (("GET", "/"), ("GET", "/nothing/here"), ("POST", "/api/v2/alerts")):
        assert_json_error(await gateway.request(method, path, json={}), 404)
    # A service's own routes that no router sends on are not reached through the gateway.
    for path in ("/health", "/metrics", "/errors/503"):
        assert_json_error(await gateway.get(path), 404)


async def test_a_missing_resource_keeps_its_services_own_404(gateway):
    reply = await gateway.get("/api/v1/incidents/00000000-0000-0000-0000-000000000000")
    assert_json_error(reply, 404)
    assert reply.json()["detail"] != "not found: no API at this path"


async def test_alerts_with_every_replica_down_get_a_json_503_with_retry_after(gateway, stack):
    key = await paging_key(gateway, unique("all-down"))
    replicas = ["alert-ingestion-1", "alert-ingestion-2"]
    for name in replicas:
        stack.stop(name)
    try:
        for _ in range(50):  # until the health check has taken both out of the pool
            reply = await gateway.post("/api/v1/alerts", json=alert("all-down"), headers=key)
            assert reply.headers["content-type"] == "application/json", reply.text
            if reply.status_code == 503:
                break
            await asyncio.sleep(0.2)
        assert_json_error(reply, 503)
        assert reply.headers["retry-after"] == "1" and "no instance is up" in reply.json()["detail"]
    finally:
        for name in replicas:
            stack.start(name)
    assert (await gateway.post("/api/v1/alerts", json=alert("all-down"), headers=key)).status_code == 202
