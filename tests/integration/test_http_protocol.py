"""Responses through the services' uvicorn protocol on a real server: whole, in order, and in one write
when their length is known."""

import asyncio

import httpx
import pytest
from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse, StreamingResponse

from shared.http_protocol import OneWriteHttpToolsProtocol
from tests.integration.servers import running_uvicorn

pytestmark = pytest.mark.integration

WRITES: list[bytes] = []  # what reached the socket, write by write


class _Recorded:
    def __init__(self, transport) -> None:
        self._transport = transport

    def write(self, data: bytes) -> None:
        WRITES.append(bytes(data))
        self._transport.write(data)

    def __getattr__(self, name: str):
        return getattr(self._transport, name)


class RecordedProtocol(OneWriteHttpToolsProtocol):
    def connection_made(self, transport) -> None:
        super().connection_made(_Recorded(transport))


def make_app(release: asyncio.Event) -> FastAPI:
    app = FastAPI()

    @app.api_route("/json", methods=["GET", "HEAD"])
    async def json_body() -> JSONResponse:
        return JSONResponse({"ok": True, "padding": "x" * 100})

    @app.post("/echo")
    async def echo(body: dict) -> dict:
        return body

    @app.get("/empty", status_code=204)
    async def empty() -> Response:
        return Response(status_code=204)

    @app.get("/stream")
    async def stream() -> StreamingResponse:
        async def parts():
            await release.wait()
            yield b"first;"
            yield b"second"

        return StreamingResponse(parts(), media_type="text/plain")

    return app


@pytest.fixture
async def server(monkeypatch):
    release = asyncio.Event()
    monkeypatch.setattr("shared.serve.OneWriteHttpToolsProtocol", RecordedProtocol)
    WRITES.clear()
    async with running_uvicorn(make_app(release)) as base:
        yield base, release


async def test_a_response_of_known_length_leaves_in_one_write(server):
    base, _ = server
    async with httpx.AsyncClient(base_url=base) as client:
        reply = await client.get("/json")
    assert reply.status_code == 200 and reply.json()["ok"] is True
    [write] = WRITES
    assert write.startswith(b"HTTP/1.1 200 OK\r\n") and write.endswith(reply.content)


async def test_keep_alive_requests_get_whole_answers_in_order(server):
    base, _ = server
    limits = httpx.Limits(max_connections=1)
    async with httpx.AsyncClient(base_url=base, limits=limits) as client:
        echoed = [await client.post("/echo", json={"n": n}) for n in range(3)]
        head = await client.head("/json")
        empty = await client.get("/empty")
        after = await client.post("/echo", json={"n": "last"})
    assert [r.json() for r in echoed] == [{"n": 0}, {"n": 1}, {"n": 2}]
    # HEAD and 204 send no body bytes: their heads leave when the response ends, not with the next one
    assert head.status_code == 200 and head.content == b"" and int(head.headers["content-length"]) > 100
    assert empty.status_code == 204 and empty.content == b""
    assert after.json() == {"n": "last"}
    assert len(WRITES) == 6  # one per response


async def test_a_head_answer_on_a_closing_connection_is_sent_before_the_close(server):
    base, _ = server
    host, port = base.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(b"HEAD /json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    answer = await asyncio.wait_for(reader.read(), timeout=5)  # until the server closes
    writer.close()
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n") and answer.endswith(b"\r\n\r\n")
    assert b"content-length: " in answer


async def test_a_stream_head_is_not_held_back_until_its_first_chunk(server):
    base, release = server
    host, port = base.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=5)  # before any chunk exists
    assert b"transfer-encoding: chunked" in head
    release.set()
    rest = await asyncio.wait_for(reader.readuntil(b"0\r\n\r\n"), timeout=5)
    writer.close()
    assert b"first;" in rest and b"second" in rest
