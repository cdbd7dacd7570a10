"""Start real servers in-process for integration tests: uvicorn on a free port, grpc.aio on port 0."""

import asyncio
import contextlib
import socket
from dataclasses import dataclass

import grpc
import httpx
import uvicorn
from pydantic import SecretStr

from shared.config import BaseServiceSettings
from shared.gen.oncall.v1 import oncall_pb2_grpc
from shared.grpc import create_channel
from shared.serve import uvicorn_config
from tests.conftest import bearer_headers

_DEAD = []


def internal_token() -> SecretStr:
    """The internal credential every server and settings object of the tests has (tests/conftest.py)."""
    return BaseServiceSettings(_env_file=None).internal_token


def channel_to(target: str) -> grpc.aio.Channel:
    """A channel to a test's gRPC server, carrying the internal credential as the services' channels do."""
    return create_channel(target, internal_token=internal_token())


def dead_target() -> str:
    """A 127.0.0.1 address where nothing will ever listen: the port is bound, never listened on, and held
    for the whole session, so no server started later (on port 0) can be given it. Connecting is refused."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    _DEAD.append(sock)
    return f"127.0.0.1:{sock.getsockname()[1]}"


@contextlib.asynccontextmanager
async def running_uvicorn(app, *, sock: socket.socket | None = None):
    """Serve `app` on `sock`, by default a free port of 127.0.0.1 (lifespan included); yield its base URL."""
    if sock is None:
        sock = socket.socket()  # bound here and handed over, so no other server can take the port meanwhile
        sock.bind(("127.0.0.1", 0))
    host, port = sock.getsockname()[:2]
    config = uvicorn_config(app, host=host, port=port)
    # A receiver told to hold its answer must not hold the test's teardown too (it waited 30 s).
    config.timeout_graceful_shutdown = 1
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        await task


@contextlib.asynccontextmanager
async def running_grpc(server):
    """Start a grpc.aio server on a free port and yield its target."""
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        await server.stop(grace=1)


@contextlib.asynccontextmanager
async def serving_oncall(servicer):
    """`servicer` (an OnCallServiceServicer: a slow, counting or older on-call in front of the real one) as
    an on-call gRPC server on a free port; yields its target."""
    server = grpc.aio.server()
    oncall_pb2_grpc.add_OnCallServiceServicer_to_server(servicer, server)
    async with running_grpc(server) as target:
        yield target


@dataclass
class Served:
    """A service's runtime served for a test: its REST base URL and client, its gRPC target and channel."""

    base: str
    http: httpx.AsyncClient
    target: str
    channel: grpc.aio.Channel


async def serve_runtime(stack: contextlib.AsyncExitStack, runtime, create_app, create_grpc_server) -> Served:
    """Serve `runtime` over HTTP and gRPC until `stack` closes, then close the runtime too."""
    stack.push_async_callback(runtime.close)
    base = await stack.enter_async_context(running_uvicorn(create_app(runtime)))
    target = await stack.enter_async_context(running_grpc(await create_grpc_server(runtime)))
    channel = create_channel(target, internal_token=runtime.settings.internal_token)
    stack.push_async_callback(channel.close)
    http = await stack.enter_async_context(
        httpx.AsyncClient(base_url=base, timeout=10, headers=bearer_headers())
    )
    return Served(base, http, target, channel)


async def wait_ready(served: Served, *, within: float = 10.0) -> None:
    """Until `/health/ready` answers 200, as the native stack waits for each service before starting the
    next: its checks open the first pooled connection to the database, so the first call is not a cold
    one (connecting to a test's fresh database took up to 0.3 s on a loaded machine)."""
    give_up = asyncio.get_running_loop().time() + within
    while (reply := await served.http.get("/health/ready")).status_code != 200:
        if asyncio.get_running_loop().time() > give_up:
            raise AssertionError(f"{served.base} not ready within {within} s: {reply.text}")
        await asyncio.sleep(0.05)
