"""A signed webhook receiver on 127.0.0.1, shared by the benchmark's webhook phase and the fault suite: it
verifies each delivery with the shipped function and notes what arrived when."""

import asyncio
import contextlib
import socket
import time

import aiohttp
import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from shared.webhook_signature import verify


class Receiver:
    """POST / → 204 for a valid signature (401 otherwise); records when each incident's triggered event
    arrived (the benchmark's latency) and the incident each event id is about (the fault suite's count)."""

    def __init__(self) -> None:
        self.secret = ""
        self.arrived: dict[str, float] = {}
        self.incident_of: dict[str, str] = {}  # event id -> incident id
        self.bad_signatures = 0
        self.app = Starlette(routes=[Route("/", self.receive, methods=["POST"])])

    async def receive(self, request: Request) -> Response:
        body = await request.body()
        if not verify(request.headers.get("x-oncall-signature", ""), body, [self.secret]):
            self.bad_signatures += 1
            return Response(status_code=401)
        event = orjson.loads(body)
        self.incident_of[request.headers["x-oncall-event-id"]] = event["data"]["id"]
        if event["type"] == "incident.triggered":
            self.arrived.setdefault(event["data"]["id"], time.perf_counter())
        return Response(status_code=204)


@contextlib.asynccontextmanager
async def running(receiver: Receiver):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(receiver.app, log_config=None, access_log=False))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:  # noqa: ASYNC110 - uvicorn offers a flag, not an event
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/"
    finally:
        server.should_exit = True
        await task


async def post_alert(client: aiohttp.ClientSession, body: dict, headers: dict) -> tuple[int, dict]:
    """The gateway's status for one alert and, for a 202, its answer; status 0 when no answer came (the
    client's timeout, a connection lost): counted, as the open loop counts it, so that one alert left
    unanswered is a phase's missed target (not every incident delivered), not the end of the run."""
    try:
        async with client.post("/api/v1/alerts", json=body, headers=headers) as reply:
            return reply.status, (await reply.json() if reply.status == 202 else {})
    except (aiohttp.ClientError, TimeoutError):
        return 0, {}
