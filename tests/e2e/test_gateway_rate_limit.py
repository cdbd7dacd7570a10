"""The gateway's rate limit on ingestion: past it, Traefik answers 429 with Retry-After and nothing is
stored; within it, every alert is; other routes are not limited."""

import asyncio
import uuid

import httpx
import pytest

from tests.conftest import fresh_database
from tests.e2e.conftest import running_stack, stack_settings

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def limited(postgres_server_url, redis_url):
    """A stack whose gateway takes 5 alerts/s per client (burst 5)."""
    with fresh_database(postgres_server_url) as database_url:
        settings = stack_settings(
            "ratelimit", database_url, redis_url, rate_limit_average=5, rate_limit_burst=5
        )
        with running_stack(settings, database_url) as stack:
            yield stack


async def test_alerts_past_the_limit_get_429_with_retry_after_and_are_not_stored(limited):
    service = f"limited-{uuid.uuid4().hex[:8]}"
    async with httpx.AsyncClient(base_url=limited.gateway, timeout=10) as gateway:
        created = await gateway.post("/api/v1/services", json={"name": service})
        integration = await gateway.post(
            f"/api/v1/services/{created.json()['id']}/integrations", json={"name": "api", "type": "api"}
        )
        key = {"Authorization": f"Bearer {integration.json()['key']}"}

        def send(i: int):
            alert = {"severity": "critical", "summary": f"storm {i}", "fingerprint": f"f{i}"}
            return gateway.post("/api/v1/alerts", json=alert, headers=key)

        replies = await asyncio.gather(*(send(i) for i in range(30)))
        codes = [r.status_code for r in replies]
        accepted = codes.count(202)
        assert 1 <= accepted <= 10 and codes.count(429) == 30 - accepted, codes
        limited_replies = [r for r in replies if r.status_code == 429]
        assert all(int(r.headers["retry-after"]) >= 1 for r in limited_replies)
        stored = await limited.scalar("SELECT count(*) FROM alerts WHERE service = $1", service)
        assert stored == accepted

        listed = await asyncio.gather(*(gateway.get("/api/v1/incidents") for _ in range(20)))
        assert {r.status_code for r in listed} == {200}  # only ingestion is limited

        await asyncio.sleep(int(limited_replies[0].headers["retry-after"]))
        assert (await send(99)).status_code == 202
