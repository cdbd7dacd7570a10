"""Run a FastAPI app (uvicorn) and, optionally, a grpc.aio server in one event loop until SIGTERM."""

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

import grpc
import uvicorn
from fastapi import FastAPI

log = logging.getLogger(__name__)


async def serve(
    app: FastAPI,
    *,
    host: str,
    http_port: int,
    grpc_server: grpc.aio.Server | None = None,
    grpc_port: int | None = None,
) -> None:
    """Serve until uvicorn exits (it handles SIGINT/SIGTERM), then stop gRPC gracefully."""
    if grpc_server is not None:
        grpc_server.add_insecure_port(f"{host}:{grpc_port}")
        await grpc_server.start()
        log.info("grpc listening", extra={"fields": {"port": grpc_port}})
    config = uvicorn.Config(
        app, host=host, port=http_port, log_config=None, access_log=False, loop="uvloop", lifespan="on"
    )
    try:
        await uvicorn.Server(config).serve()
    finally:
        if grpc_server is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await grpc_server.stop(grace=5)


def run(main: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run a service's `main` on uvloop (uvicorn's `loop` option only applies when uvicorn makes the loop,
    and here the loop also carries gRPC and the workers)."""
    try:
        import uvloop
    except ImportError:  # not on Windows
        asyncio.run(main())
    else:
        uvloop.run(main())
