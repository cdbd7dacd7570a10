"""Alert → signed webhook latency: a local receiver verifies each delivery with the shipped function and
notes when each incident's `incident.triggered` event arrived; alerts leave on an open-loop schedule."""

import asyncio
import contextlib
import random
import socket
import time
import uuid

import httpx
import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from scripts.benchkit.openloop import percentile
from shared.webhook_signature import verify


class Receiver:
    """POST / → 204 for a valid signature (401 otherwise); records arrival of each triggered event."""

    def __init__(self) -> None:
        self.secret = ""
        self.arrived: dict[str, float] = {}
        self.bad_signatures = 0
        self.app = Starlette(routes=[Route("/", self.receive, methods=["POST"])])

    async def receive(self, request: Request) -> Response:
        body = await request.body()
        if not verify(request.headers.get("x-oncall-signature", ""), body, [self.secret]):
            self.bad_signatures += 1
            return Response(status_code=401)
        event = orjson.loads(body)
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


async def fresh_keys(client: httpx.AsyncClient, count: int) -> list[str]:
    """Keys of `count` new services: every (service, severity) pair used below opens a new incident."""
    keys = []
    stamp = uuid.uuid4().hex[:6]
    for i in range(count):
        service = (await client.post("/api/v1/services", json={"name": f"wh-{stamp}-{i}"})).raise_for_status()
        reply = await client.post(
            f"/api/v1/services/{service.json()['id']}/integrations", json={"name": "api", "type": "api"}
        )
        keys.append(reply.raise_for_status().json()["key"])
    return keys


async def measure(gateway: str, *, rate: float, seconds: float) -> dict:
    """p50/p99 ms from an alert's scheduled send to its incident's signed webhook arriving."""
    receiver = Receiver()
    total = int(rate * seconds)
    async with running(receiver) as url, httpx.AsyncClient(base_url=gateway, timeout=10) as client:
        keys = await fresh_keys(client, (total + 3) // 4)
        created = await client.post(
            "/api/v1/webhooks",
            json={"url": url, "event_types": ["incident.triggered"], "allow_internal": True},
        )
        receiver.secret = created.raise_for_status().json()["secret"]
        sent: dict[str, float] = {}

        async def one(i: int, scheduled: float) -> None:
            body = {"severity": ("critical", "high", "warning", "info")[i % 4], "summary": f"wh {i}"}
            reply = await client.post(
                "/api/v1/alerts", json=body, headers={"Authorization": f"Bearer {keys[i // 4]}"}
            )
            if reply.status_code == 202 and reply.json()["result"] == "created":
                sent[reply.json()["incident_id"]] = scheduled

        start = time.perf_counter() + 0.05
        tasks = []
        for i in range(total):
            scheduled = start + i / rate
            await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
            tasks.append(asyncio.create_task(one(i, scheduled)))
        await asyncio.gather(*tasks)
        deadline = time.perf_counter() + 10
        while len(receiver.arrived.keys() & sent.keys()) < len(sent) and time.perf_counter() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        await client.delete(f"/api/v1/webhooks/{created.json()['id']}")
    latencies = [(receiver.arrived[i] - t) * 1000 for i, t in sent.items() if i in receiver.arrived]
    random.shuffle(latencies)
    return {
        "rate": rate,
        "incidents": len(sent),
        "delivered": len(latencies),
        "bad_signatures": receiver.bad_signatures,
        "latency_ms": {f"p{p}": round(percentile(latencies, p), 1) for p in (50, 90, 99)},
    }
