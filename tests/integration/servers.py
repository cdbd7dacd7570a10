"""Start real servers in-process for integration tests: uvicorn on a free port, grpc.aio on port 0."""

import asyncio
import contextlib
import socket

import uvicorn

from shared.serve import uvicorn_config

_DEAD = []


def dead_target() -> str:
    """A 127.0.0.1 address where nothing will ever listen: the port is bound, never listened on, and held
    for the whole session, so no server started later (on port 0) can be given it. Connecting is refused."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    _DEAD.append(sock)
    return f"127.0.0.1:{sock.getsockname()[1]}"


@contextlib.asynccontextmanager
async def running_uvicorn(app):
    """Serve `app` on 127.0.0.1 (lifespan included) and yield its base URL."""
    sock = socket.socket()  # bound here and handed over, so no other server can take the port meanwhile
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn_config(app, host="127.0.0.1", port=port))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
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
