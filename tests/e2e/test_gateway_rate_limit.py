"""Rate limits through the gateway. On ingestion, Traefik's: past it, 429 with Retry-After and nothing is
stored; within it, every alert is; other routes are not limited. On password POSTs (the dashboard's login
form, the API's token route), on-call's failures per client address, which it learns from the gateway's
X-Forwarded-For: one client past it does not lock out another, and a forged header changes nothing."""

import asyncio
import uuid

import httpx
import pytest

from tests.conftest import fresh_database
from tests.e2e.conftest import running_stack, sign_in_as_admin, stack_settings

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def limited(postgres_server_url, redis_url):
    """A stack whose gateway takes 5 alerts/s per client (burst 5), whose on-call refuses a client address
    after 3 failed logins."""
    with fresh_database(postgres_server_url) as database_url:
        settings = stack_settings(
            "ratelimit",
            database_url,
            redis_url,
            rate_limit_average=5,
            rate_limit_burst=5,
        )
        settings.service_env["LOGIN_MAX_ADDRESS_FAILURES"] = "3"
        with running_stack(settings, database_url) as stack:
            yield stack


async def test_alerts_past_the_limit_get_429_with_retry_after_and_are_not_stored(limited):
    service = f"limited-{uuid.uuid4().hex[:8]}"
    async with httpx.AsyncClient(base_url=limited.gateway, timeout=10) as gateway:
        await sign_in_as_admin(gateway, limited.settings)
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
        # In the shape of every other error, not Traefik's plain text.
        assert {r.headers["content-type"] for r in limited_replies} == {"application/json"}
        assert {r.json()["detail"] for r in limited_replies} == {"too many requests: retry after a second"}
        stored = await limited.scalar("SELECT count(*) FROM alerts WHERE service = $1", service)
        assert stored == accepted

        listed = await asyncio.gather(*(gateway.get("/api/v1/incidents") for _ in range(20)))
        assert {r.status_code for r in listed} == {200}  # only ingestion is limited

        await asyncio.sleep(int(limited_replies[0].headers["retry-after"]))
        assert (await send(99)).status_code == 202


def from_address(stack, address: str) -> httpx.AsyncClient:
    """A client of the gateway connecting from `address` (any of 127.0.0.0/8 reaches 127.0.0.1)."""
    transport = httpx.AsyncHTTPTransport(local_address=address)
    return httpx.AsyncClient(base_url=stack.gateway, transport=transport, timeout=10)


async def test_failed_logins_past_the_limit_get_429_for_that_client_address_only(limited):
    def guess(client: httpx.AsyncClient):
        # A new email each time (on-call's count per email stays below its limit), and a forged
        # X-Forwarded-For that the gateway must replace with the connection's address.
        form = {"email": f"guess-{uuid.uuid4().hex[:8]}@example.com", "password": "not a password at all"}
        forged = {"X-Forwarded-For": f"198.51.100.{len(form['email']) % 200}"}
        return client.post("/ui/login", data=form, headers=forged)

    async with from_address(limited, "127.0.0.2") as guesser, from_address(limited, "127.0.0.3") as other:
        codes = [(await guess(guesser)).status_code for _ in range(5)]
        assert codes == [401, 401, 401, 429, 429]  # 3 failures, then refused before any hash work
        refused = await guess(guesser)
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 60
        # The dashboard's own page, with its form and on-call's reason.
        assert (
            "Too many failed logins from this address" in refused.text and 'name="password"' in refused.text
        )
        assert (await other.get("/ui/login")).status_code == 200  # the form itself is not limited
        assert (await guess(other)).status_code == 401  # another client address has its own allowance


async def test_token_posts_past_the_limit_get_the_json_429(limited):
    async with from_address(limited, "127.0.0.4") as client:
        replies = [
            await client.post("/api/v1/auth/token", json={"email": f"t{i}@example.com", "password": "x" * 12})
            for i in range(4)
        ]
    assert [r.status_code for r in replies] == [401, 401, 401, 429]
    refused = replies[-1]
    assert refused.headers["content-type"] == "application/json" and int(refused.headers["retry-after"]) >= 60
    assert refused.json()["detail"].startswith("too many failed logins from this address")
