"""Notifier fixtures: real SMTP (aiosmtpd) and HTTP receivers on 127.0.0.1, notifier runtimes, events."""

import asyncio
import contextlib
import email
import time
import uuid
from dataclasses import dataclass, field
from email.message import Message

import httpx
import orjson
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from scripts.devstack.ports import free_port
from services.incident_management import repository as incident_repo
from services.notifier.config import NotifierSettings
from services.notifier.main import build_runtime, create_app, create_grpc_server
from shared.events import make_event
from shared.gen.oncall.v1 import notifier_pb2_grpc
from shared.timeutil import parse_rfc3339
from shared.webhook_signature import SIGNATURE_HEADER, verify
from tests.integration.incident_fixtures import alert, incidents, start_incident_stack  # noqa: F401
from tests.integration.oncall_fixtures import OnCallStack, oncall, start_oncall_stack  # noqa: F401
from tests.integration.servers import dead_target, running_uvicorn, serve_runtime

# --- SMTP ---------------------------------------------------------------------------------------


class MailBox:
    """aiosmtpd handler keeping every message received."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        message = email.message_from_bytes(envelope.content)
        message["X-Envelope-To"] = ",".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if address in m["X-Envelope-To"]]


@pytest.fixture
def serve_mail():
    """Factory: an SMTP server (aiosmtpd) on a free port with `box` (a `MailBox` by default) handling its
    mail; returns the box, its `port` set. Every one stops after the test."""
    controllers: list[Controller] = []

    def start(box: MailBox | None = None) -> MailBox:
        box = box or MailBox()
        controller = Controller(box, hostname="127.0.0.1", port=free_port())
        controller.start()
        controllers.append(controller)
        box.port = controller.port  # type: ignore[attr-defined]
        return box

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def smtp(serve_mail) -> MailBox:
    return serve_mail()


# --- HTTP receivers --------------------------------------------------------------------------------


@dataclass
class Received:
    event_id: str
    event_type: str
    event: dict
    signature: str
    verified: bool
    delivery_id: str = ""  # X-OnCall-Delivery-Id: the delivery's id in the notifier's API
    at: float = field(default_factory=time.time)

    @property
    def latency(self) -> float:
        """Seconds from the event's time to its arrival here."""
        return self.at - parse_rfc3339(self.event["time"]).timestamp()


async def _endless_body():
    """A body that goes on for 30 s (64 KiB every 10 ms) unless the client stops reading first."""
    chunk = b"x" * 65536
    for _ in range(3000):
        yield chunk
        await asyncio.sleep(0.01)


@dataclass
class Receiver:
    """An HTTP endpoint that verifies signatures with the shipped function and records each request.
    It answers `answer` as its body (204 when empty), or a body that does not end (`endless`)."""

    url: str = ""
    secrets: list[str] = field(default_factory=list)
    fail_first: int = 0
    delay: float = 0.0
    redirect_to: str = ""
    answer: bytes = b""
    endless: bool = False
    requests: list[Received] = field(default_factory=list)

    async def handle(self, request: Request) -> Response:
        body = await request.body()
        if self.delay:
            await asyncio.sleep(self.delay)
        header = request.headers.get(SIGNATURE_HEADER, "")
        event = orjson.loads(body)
        self.requests.append(
            Received(
                request.headers["X-OnCall-Event-Id"],
                request.headers["X-OnCall-Event-Type"],
                event,
                header,
                verify(header, body, self.secrets),
                request.headers.get("X-OnCall-Delivery-Id", ""),
            )
        )
        if not self.requests[-1].verified:
            return Response(status_code=401)
        if len(self.requests) <= self.fail_first:
            return Response(self.answer, status_code=500)
        if self.redirect_to:
            return Response(status_code=307, headers={"Location": self.redirect_to})
        if self.endless:
            return StreamingResponse(_endless_body(), media_type="text/plain")
        return Response(self.answer, status_code=200 if self.answer else 204)

    @property
    def event_ids(self) -> set[str]:
        return {r.event_id for r in self.requests}

    def requests_for(self, incident_ids: list[str]) -> list:
        """Requests about these incidents only (a test may subscribe one receiver to several scenarios)."""
        return [r for r in self.requests if r.event["data"]["id"] in incident_ids]

    def event_ids_for(self, incident_ids: list[str]) -> set[str]:
        return {r.event_id for r in self.requests_for(incident_ids)}

    def types_of(self, incident_id: str) -> set[str]:
        return {r.event_type for r in self.requests if r.event["data"]["id"] == incident_id}


@pytest.fixture
async def start_receiver():
    """Factory: an HTTP receiver on 127.0.0.1 (stopped after the test)."""
    async with contextlib.AsyncExitStack() as stack:

        async def start(**options) -> Receiver:
            receiver = Receiver(**options)
            app = Starlette(routes=[Route("/hook", receiver.handle, methods=["POST"])])
            base = await stack.enter_async_context(running_uvicorn(app))
            receiver.url = f"{base}/hook"
            return receiver

        yield start


@pytest.fixture
async def black_hole():
    """A TCP endpoint that accepts requests and never answers."""
    held: list[asyncio.StreamWriter] = []

    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)
        with contextlib.suppress(Exception):
            while await reader.read(65536):
                pass

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/hook"
    finally:
        for writer in held:
            writer.close()
        server.close()


# --- notifier ---------------------------------------------------------------------------------------


@dataclass
class Notifier:
    http: httpx.AsyncClient
    runtime: object
    settings: NotifierSettings
    grpc: notifier_pb2_grpc.NotifierServiceStub
    grpc_target: str

    async def subscribe(self, receiver: Receiver | None = None, *, url: str = "", **fields) -> dict:
        """A webhook to the receiver (allowed although on 127.0.0.1); the receiver learns its secret."""
        body = {"url": url or receiver.url, "allow_internal": True} | fields
        reply = await self.http.post("/api/v1/webhooks", json=body)
        assert reply.status_code == 201, reply.text
        created = reply.json()
        if receiver is not None:
            receiver.secrets.append(created["secret"])
        return created

    async def deliveries(self, webhook_id: str) -> list[dict]:
        reply = await self.http.get(f"/api/v1/webhooks/{webhook_id}/deliveries", params={"limit": 500})
        assert reply.status_code == 200, reply.text
        return reply.json()["deliveries"]


def notifier_settings(database_url: str, redis_url: str, **overrides) -> NotifierSettings:
    # ONCALL_TIMEOUT_SECONDS keeps its 2 s default: every API request's credential check asks on-call, whose
    # answers took up to 0.6 s on a loaded machine (0.5 s here made subscriptions fail with 503).
    values = {
        "database_url": database_url,
        "redis_url": redis_url,
        "events_stream": "test:events",
        # The teams of services are asked only for subscriptions filtered by team: tests with one name
        # their incident-management; the others have nothing to ask.
        "incident_grpc_target": dead_target(),
        "smtp_port": free_port(),
        "stream_block_ms": 100,
        "claim_idle_seconds": 1.0,
        "webhook_timeout_seconds": 1.0,
        "webhook_lease_margin_seconds": 1.0,
        "webhook_backoff_base_seconds": 0.05,
        "webhook_backoff_max_seconds": 0.3,
        "webhook_allow_internal_targets": True,
        "delivery_poll_seconds": 0.1,
        "smtp_timeout_seconds": 2.0,
        # Tests seed rows decades back: the notifier's own retention pass must leave them.
        "delivery_retention_days": 36500.0,
        "email_retention_days": 36500.0,
    }
    return NotifierSettings(_env_file=None, **(values | overrides))


@pytest.fixture
async def start_notifier(database_url, redis_url, start_oncall_stack):  # noqa: F811 (the imported fixture)
    """Factory: a notifier (API, gRPC server and workers) with setting overrides; everything stops after the
    test. Unless `oncall_grpc_target` says otherwise, it asks a real on-call (started once per test) for
    credentials."""
    started: list[OnCallStack] = []
    async with contextlib.AsyncExitStack() as stack:

        async def start(**overrides) -> Notifier:
            if "oncall_grpc_target" not in overrides:
                if not started:
                    started.append(await start_oncall_stack())
                overrides["oncall_grpc_target"] = started[0].grpc_target
            settings = notifier_settings(database_url, overrides.pop("redis_url", redis_url), **overrides)
            runtime = build_runtime(settings)
            served = await serve_runtime(stack, runtime, create_app, create_grpc_server)
            stub = notifier_pb2_grpc.NotifierServiceStub(served.channel)
            return Notifier(served.http, runtime, settings, stub, served.target)

        yield start


def unique_stream() -> str:
    return f"test:notifier:{uuid.uuid4().hex[:10]}"


async def trigger(stack, count: int = 1) -> list[str]:
    """Open `count` incidents on distinct services; returns their ids."""
    return [
        (await stack.grpc.IngestAlert(alert(f"svc-{uuid.uuid4().hex[:8]}"))).incident_id for _ in range(count)
    ]


# --- events and waiting -------------------------------------------------------------------------


async def emit_event(stack, incident_id: str, event_type: str) -> str:
    """Write an event of any `incident.*` type to the outbox, as a use case would, and wake the relay."""
    detail = (await stack.http.get(f"/api/v1/incidents/{incident_id}")).json()
    data = {k: v for k, v in detail.items() if k not in ("alerts", "timeline")}
    event = make_event(event_type, data)
    async with stack.runtime.commands.sessions.begin() as session:
        incident_repo.create_outbox_event(session, event=event)
    stack.runtime.relay.wake()
    return event["id"]


async def created_event_ids(stack, incident_ids: list[str]) -> set[str]:
    """Events the outbox holds for these incidents: what subscribers must receive."""
    async with stack.runtime.engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT event_id FROM outbox_events WHERE payload->'data'->>'id' = ANY(:ids)"),
            {"ids": incident_ids},
        )
        return {str(row[0]) for row in rows}


async def eventually(check, *, within: float = 15.0, interval: float = 0.05):
    """Wait until `check()` (sync or async) is truthy; return its value or fail with the last one."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {within}s (last value {value!r})")
        await asyncio.sleep(interval)


@pytest.fixture
async def pair(start_incident_stack, start_notifier):  # noqa: F811 (the imported fixture)
    """incident-management and a notifier sharing a fresh stream (internal targets allowed by setting)."""
    stream = unique_stream()
    stack = await start_incident_stack(events_stream=stream)
    return stack, await start_notifier(events_stream=stream)
