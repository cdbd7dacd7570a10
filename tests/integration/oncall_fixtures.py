"""The on-call service running for real: uvicorn + grpc.aio on PostgreSQL, with helpers to seed it."""

import contextlib
import uuid
from dataclasses import dataclass

import grpc
import httpx
import pytest

from services.oncall_service.config import OnCallSettings
from services.oncall_service.main import Runtime, build_runtime, create_app, create_grpc_server
from shared.gen.oncall.v1 import oncall_pb2_grpc
from tests.integration.servers import serve_runtime, wait_ready


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@dataclass
class OnCallStack:
    http: httpx.AsyncClient
    grpc: oncall_pb2_grpc.OnCallServiceStub
    channel: grpc.aio.Channel
    grpc_target: str
    runtime: Runtime

    async def _post(self, path: str, body: dict) -> dict:
        reply = await self.http.post(path, json=body)
        assert reply.status_code == 201, reply.text
        return reply.json()

    async def user(self, name: str = "Alice", **fields) -> dict:
        """A new user with a unique email."""
        return await self._post(
            "/api/v1/users", {"name": name, "email": f"{unique('u')}@example.com"} | fields
        )

    async def team(self, *services: str) -> dict:
        return await self._post("/api/v1/teams", {"name": unique("team"), "services": list(services)})

    async def rotation(self, team_id: str, member_ids: list[str], **fields) -> dict:
        """A Monday 09:00 Europe/Paris rotation starting 2026-01-05 unless fields say otherwise."""
        body = {
            "team_id": team_id,
            "name": unique("rota"),
            "time_zone": "Europe/Paris",
            "handoff_weekday": 0,
            "handoff_time": "09:00",
            "start_date": "2026-01-05",
            "member_ids": member_ids,
        }
        return await self._post("/api/v1/rotations", body | fields)


async def _start(stack: contextlib.AsyncExitStack, settings: OnCallSettings) -> OnCallStack:
    runtime = build_runtime(settings)
    served = await serve_runtime(stack, runtime, create_app, create_grpc_server)
    await wait_ready(served)  # the services asking it have sub-second deadlines
    stub = oncall_pb2_grpc.OnCallServiceStub(served.channel)
    return OnCallStack(served.http, stub, served.channel, served.target, runtime)


@pytest.fixture
async def start_oncall_stack(database_url):
    """Factory: start on-call with setting overrides on the session database; servers stop after the test."""
    async with contextlib.AsyncExitStack() as stack:

        async def start(**overrides) -> OnCallStack:
            return await _start(stack, OnCallSettings(database_url=database_url, **overrides))

        yield start


@pytest.fixture
async def oncall(database_url) -> OnCallStack:
    """On-call on the session database; servers stop after the test."""
    async with contextlib.AsyncExitStack() as stack:
        yield await _start(stack, OnCallSettings(database_url=database_url))
