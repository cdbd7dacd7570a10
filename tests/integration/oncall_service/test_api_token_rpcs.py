"""GetApiToken and TouchApiToken over a real gRPC server: what other services' credential checks ask."""

from datetime import timedelta

import grpc
import pytest

from shared.auth import api_token_hash
from shared.gen.oncall.v1 import oncall_pb2
from shared.timeutil import parse_rfc3339, rfc3339, utcnow
from tests.integration.oncall_fixtures import unique

pytestmark = pytest.mark.integration


async def _token(oncall, **fields) -> dict:
    reply = await oncall.http.post("/api/v1/tokens", json={"name": unique("tok"), "role": "viewer"} | fields)
    assert reply.status_code == 201, reply.text
    return reply.json()


async def _get(oncall, made: dict) -> oncall_pb2.ApiToken:
    request = oncall_pb2.GetApiTokenRequest(token_hash=api_token_hash(made["token"]))
    return (await oncall.grpc.GetApiToken(request)).token


async def test_a_token_is_found_by_its_hash_and_its_revocation_shows(oncall):
    expires = rfc3339(utcnow() + timedelta(days=1))
    made = await _token(oncall, role="responder", expires_at=expires)
    found = await _get(oncall, made)
    assert (found.id, found.name, found.role) == (made["id"], made["name"], "responder")
    assert parse_rfc3339(found.expires_at) == parse_rfc3339(expires)
    assert found.revoked_at == "" and found.last_used_at == ""
    assert (await oncall.http.delete(f"/api/v1/tokens/{made['id']}")).status_code == 200
    assert (await _get(oncall, made)).revoked_at != ""


async def test_an_unknown_hash_is_not_found(oncall):
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await oncall.grpc.GetApiToken(oncall_pb2.GetApiTokenRequest(token_hash=api_token_hash("ocp_nope")))
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND


async def test_a_use_is_recorded_at_most_once_a_minute(oncall):
    made = await _token(oncall)
    first = utcnow().replace(microsecond=0)

    async def touch(at) -> str:
        await oncall.grpc.TouchApiToken(oncall_pb2.TouchApiTokenRequest(token_id=made["id"], at=rfc3339(at)))
        return (await _get(oncall, made)).last_used_at

    assert parse_rfc3339(await touch(first)) == first
    assert parse_rfc3339(await touch(first + timedelta(seconds=59))) == first
    assert parse_rfc3339(await touch(first + timedelta(seconds=61))) == first + timedelta(seconds=61)


@pytest.mark.parametrize(
    ("token_id", "at"), [("not-a-uuid", "2026-01-01T00:00:00Z"), (None, ""), (None, "x")]
)
async def test_a_touch_without_a_token_id_or_an_instant_is_invalid(oncall, token_id, at):
    token_id = token_id or (await _token(oncall))["id"]
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await oncall.grpc.TouchApiToken(oncall_pb2.TouchApiTokenRequest(token_id=token_id, at=at))
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
