"""Run a FastAPI app (uvicorn) and, optionally, a grpc.aio server in one event loop until SIGTERM."""

import asyncio
import contextlib
import gc
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol, TypeVar, runtime_checkable

import grpc
import uvicorn
from fastapi import FastAPI

from shared.http_protocol import OneWriteHttpToolsProtocol
from shared.logging import configure_logging
from shared.telemetry import configure_tracing

log = logging.getLogger(__name__)


def uvicorn_config(app: FastAPI, *, host: str, port: int) -> uvicorn.Config:
    """How every service (and every test server) runs uvicorn: no access log, the lifespan on, and
    responses of known length sent in one write."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        loop="uvloop",
        lifespan="on",
        http=OneWriteHttpToolsProtocol,
    )


# Allocations between collections of the youngest generation (CPython's default: 700, with which
# incident-management's youngest generation was collected 647 times in 45 s of benchmark load, 5 times with
# this).
_YOUNG_THRESHOLD = 10_000


def settle_heap() -> None:
    """Before serving: what start-up made (modules, the app, ORM metadata: over 100,000 objects) leaves
    the collector's sight, and the youngest generation is collected less often. Measured over the same
    45 s of benchmark load: incident-management's collections stopped its event loop for ~1 s in all (five
    full collections of 96-143 ms each), each replica's for ~0.7 s; with this, 39 ms and 4-12 ms."""
    gc.collect()
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(_YOUNG_THRESHOLD, middle, oldest)


async def serve(
    app: FastAPI,
    *,
    host: str,
    http_port: int,
    grpc_server: grpc.aio.Server | None = None,
    grpc_port: int | None = None,
) -> None:
    """Serve until uvicorn exits (it handles SIGINT/SIGTERM), then stop gRPC gracefully."""
    settle_heap()
    if grpc_server is not None:
        grpc_server.add_insecure_port(f"{host}:{grpc_port}")
        await grpc_server.start()
        log.info("grpc listening", extra={"fields": {"port": grpc_port}})
    try:
        await uvicorn.Server(uvicorn_config(app, host=host, port=http_port)).serve()
    finally:
        if grpc_server is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await grpc_server.stop(grace=5)


class ServedSettings(Protocol):
    """What `serve_runtime` reads of a service's settings."""

    service_name: str
    log_level: str
    otlp_endpoint: str
    trace_sample_ratio: float
    http_host: str
    http_port: int


@runtime_checkable
class GrpcServedSettings(ServedSettings, Protocol):
    """The settings of a service that also serves gRPC."""

    grpc_port: int


class Runtime(Protocol):
    """What a service's `build_runtime` makes: its clients and workers, closed after serving."""

    async def close(self) -> None: ...


SettingsT = TypeVar("SettingsT", bound=ServedSettings)
RuntimeT = TypeVar("RuntimeT", bound=Runtime)


async def serve_runtime(
    settings: SettingsT,
    build_runtime: Callable[[SettingsT], RuntimeT],
    create_app: Callable[[RuntimeT], FastAPI],
    create_grpc_server: Callable[[RuntimeT], Awaitable[grpc.aio.Server]] | None = None,
) -> None:
    """A service's `main`: logging and tracing from its settings, its runtime built, its app (and gRPC
    server, given `create_grpc_server`) served until SIGTERM, then the runtime closed."""
    configure_logging(settings.service_name, settings.log_level)
    configure_tracing(settings.service_name, settings.otlp_endpoint, settings.trace_sample_ratio)
    runtime = build_runtime(settings)
    try:
        app = create_app(runtime)
        grpc_server = await create_grpc_server(runtime) if create_grpc_server else None
        await serve(
            app,
            host=settings.http_host,
            http_port=settings.http_port,
            grpc_server=grpc_server,
            grpc_port=settings.grpc_port if isinstance(settings, GrpcServedSettings) else None,
        )
    finally:
        await runtime.close()


def run(main: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run a service's `main` on uvloop (uvicorn's `loop` option only applies when uvicorn makes the loop,
    and here the loop also carries gRPC and the workers)."""
    try:
        import uvloop
    except ImportError:  # not on Windows
        asyncio.run(main())
    else:
        uvloop.run(main())
