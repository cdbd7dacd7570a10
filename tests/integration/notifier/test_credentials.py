"""The notifier's credential check asks a real on-call over gRPC: API tokens made on on-call work on the
notifier's API, a revoked one stops within AUTH_CACHE_SECONDS, an unknown one is refused, and without an
answer from on-call the check says 503, never 401 or 500."""

import asyncio
import secrets
import time

import grpc
import pytest

from shared.auth import API_TOKEN_PREFIX
from shared.gen.oncall.v1 import oncall_pb2_grpc
from tests.integration.notifier.conftest import eventually
from tests.integration.oncall_fixtures import unique
from tests.integration.servers import channel_to, dead_target, serving_oncall

pytestmark = pytest.mark.integration

CACHE_SECONDS = 1.0
WEBHOOKS = "/api/v1/webhooks"


async def api_token(oncall, role: str = "viewer") -> dict:
    reply = await oncall.http.post("/api/v1/tokens", json={"name": unique("tok"), "role": role})
    assert reply.status_code == 201, reply.text
    return reply.json()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def last_used_at(oncall, token_id: str) -> str | None:
    listed = (await oncall.http.get("/api/v1/tokens")).json()
    return next(t["last_used_at"] for t in listed if t["id"] == token_id)


async def test_an_api_token_of_oncall_works_on_the_notifier_with_its_role_and_its_use_is_recorded(
    oncall, start_notifier
):
    notifier = await start_notifier(oncall_grpc_target=oncall.grpc_target)
    made = await api_token(oncall, role="viewer")
    assert await last_used_at(oncall, made["id"]) is None
    assert (await notifier.http.get(WEBHOOKS, headers=bearer(made["token"]))).status_code == 200
    refused = await notifier.http.post(
        WEBHOOKS, json={"url": "https://example.com/h"}, headers=bearer(made["token"])
    )
    assert refused.status_code == 403 and "admin" in refused.json()["detail"]
    assert await eventually(lambda: last_used_at(oncall, made["id"]), within=5)


async def test_a_revoked_token_is_refused_within_auth_cache_seconds(oncall, start_notifier):
    notifier = await start_notifier(oncall_grpc_target=oncall.grpc_target, auth_cache_seconds=CACHE_SECONDS)
    made = await api_token(oncall)
    assert (await notifier.http.get(WEBHOOKS, headers=bearer(made["token"]))).status_code == 200
    assert (await oncall.http.delete(f"/api/v1/tokens/{made['id']}")).status_code == 200
    revoked = time.monotonic()

    async def refused() -> bool:
        return (await notifier.http.get(WEBHOOKS, headers=bearer(made["token"]))).status_code == 401

    await eventually(refused, within=CACHE_SECONDS + 2)
    assert time.monotonic() - revoked <= CACHE_SECONDS + 0.5


async def test_an_unknown_token_gets_401(start_notifier):
    notifier = await start_notifier()
    reply = await notifier.http.get(WEBHOOKS, headers=bearer(API_TOKEN_PREFIX + secrets.token_urlsafe(32)))
    assert reply.status_code == 401 and reply.headers["www-authenticate"].startswith("Bearer")


async def test_without_oncall_every_credential_gets_503(start_notifier):
    notifier = await start_notifier(oncall_grpc_target=dead_target())
    token = await notifier.http.get(WEBHOOKS, headers=bearer(API_TOKEN_PREFIX + secrets.token_urlsafe(32)))
    assert token.status_code == 503 and token.headers["retry-after"], token.text
    access_token = await notifier.http.get(WEBHOOKS)  # the tests' admin's JWT: its user is looked up
    assert access_token.status_code == 503, access_token.text


class Switchable(oncall_pb2_grpc.OnCallServiceServicer):
    """A real gRPC on-call answering through the real one, counting token lookups, and down when told."""

    def __init__(self, upstream: oncall_pb2_grpc.OnCallServiceStub) -> None:
        self._upstream, self.lookups, self.down = upstream, 0, False

    async def GetApiToken(self, request, context):
        self.lookups += 1
        if self.down:
            await context.abort(grpc.StatusCode.UNAVAILABLE, "down for the test")
        return await self._upstream.GetApiToken(request)

    async def TouchApiToken(self, request, context):
        return await self._upstream.TouchApiToken(request)


async def test_a_checked_token_is_asked_once_per_cache_period_and_gets_503_once_oncall_is_gone(
    oncall, start_notifier
):
    made = await api_token(oncall)
    async with channel_to(oncall.grpc_target) as channel:
        proxy = Switchable(oncall_pb2_grpc.OnCallServiceStub(channel))
        async with serving_oncall(proxy) as target:
            notifier = await start_notifier(oncall_grpc_target=target, auth_cache_seconds=CACHE_SECONDS)
            for _ in range(5):
                assert (await notifier.http.get(WEBHOOKS, headers=bearer(made["token"]))).status_code == 200
            assert proxy.lookups == 1
            proxy.down = True
            await asyncio.sleep(CACHE_SECONDS)
            reply = await notifier.http.get(WEBHOOKS, headers=bearer(made["token"]))
            assert reply.status_code == 503, reply.text
