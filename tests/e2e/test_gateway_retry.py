"""The gateway re-sends an alert whose connection to a replica failed before any response (a replica
closing a kept-alive connection as the request arrives, or dying mid-request): Traefik, with the
project's configuration, in front of a backend that drops the first POST of each path unanswered. Other
routes are not re-sent: their POSTs are not all safe to repeat."""

import asyncio
import contextlib
from asyncio.subprocess import DEVNULL
from pathlib import Path

import httpx
import pytest

from scripts.devstack import runner, traefik
from scripts.devstack.ports import free_port_values
from scripts.devstack.settings import StackSettings
from shared.http import MAX_BODY_BYTES

pytestmark = pytest.mark.e2e


class DropsFirstPost:
    """An HTTP/1.1 server that reads each request whole, closes the connection without answering the
    first POST to each path, and answers everything else 202 (GET: 200)."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, bytes]] = []
        self._server: asyncio.Server | None = None

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        self._server.close()
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            while True:
                request_line, *headers = (await reader.readuntil(b"\r\n\r\n")).decode().split("\r\n")
                method, path, _ = request_line.split(" ", 2)
                sizes = [int(h.split(":", 1)[1]) for h in headers if h.lower().startswith("content-length:")]
                body = await reader.readexactly(sizes[0] if sizes else 0)
                if method == "POST":
                    first = all(seen != path for seen, _ in self.posts)
                    self.posts.append((path, body))
                    if first:
                        break  # read, never answered: the connection just closes
                status, reply = ("202 Accepted", b"{}") if method == "POST" else ("200 OK", b"{}")
                head = f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(reply)}"
                writer.write(f"{head}\r\n\r\n".encode() + reply)
                await writer.drain()
        writer.close()


@pytest.fixture
async def gateway(tmp_path: Path):
    backend = DropsFirstPost()
    port = await backend.start()
    ports = free_port_values(replicas=1) | {"ingestion_base_port": port, "incident_http_port": port}
    settings = StackSettings(_env_file=None, var_dir=tmp_path, ingestion_replicas=1, **ports)
    config = traefik.write_native(settings)
    process = await asyncio.create_subprocess_exec(
        runner.traefik_binary(), f"--configFile={config}", stdout=DEVNULL, stderr=DEVNULL
    )
    try:
        async with httpx.AsyncClient(base_url=settings.gateway_url, timeout=10) as client:
            for _ in range(200):  # until Traefik has read its routes
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get("/api/v1/alerts")).status_code == 200:
                        break
                await asyncio.sleep(0.05)
            else:
                pytest.fail("Traefik did not route to the backend")
            yield client, backend
    finally:
        process.terminate()  # by its PID
        await asyncio.wait_for(process.wait(), timeout=10)
        await backend.close()


async def test_an_alert_whose_connection_fails_before_a_response_is_resent(gateway):
    client, backend = gateway
    alert = {"service": "checkout", "severity": "critical", "summary": "disk full", "fingerprint": "fp-1"}
    reply = await client.post("/api/v1/alerts", json=alert)
    assert reply.status_code == 202, reply.text
    sent = [body for path, body in backend.posts if path == "/api/v1/alerts"]
    # The same alert, sent again: its fingerprint makes it a duplicate of the first.
    assert len(sent) == 2 and sent[0] == sent[1]


async def test_a_large_alert_is_resent_whole_and_a_larger_one_refused_at_the_gateway(gateway):
    client, backend = gateway
    large = {"service": "checkout", "summary": "x" * 200_000, "fingerprint": "fp-large"}
    reply = await client.post("/api/v1/alerts", json=large)
    assert reply.status_code == 202, reply.text
    sent = [body for path, body in backend.posts if path == "/api/v1/alerts"]
    assert len(sent) == 2 and sent[0] == sent[1] and len(sent[0]) > 200_000
    too_large = await client.post("/api/v1/alerts/batch", content=b"x" * (MAX_BODY_BYTES + 1))
    assert too_large.status_code == 413
    assert all(path != "/api/v1/alerts/batch" for path, _ in backend.posts)  # nothing reached a replica


async def test_other_routes_are_not_resent(gateway):
    client, backend = gateway
    reply = await client.post("/api/v1/incidents/some-id/acknowledge", json={"actor": "alice"})
    assert reply.status_code == 502
    assert [path for path, _ in backend.posts] == ["/api/v1/incidents/some-id/acknowledge"]
