"""The issue's minimal prototype of the whole hop, measured in the same run as the platform.

Traefik (the same router middlewares as the alert routes) -> 2 HTTP replicas (FastAPI, the platform's
own pydantic alert body) -> one grpc.aio unary call -> asyncpg `INSERT ... RETURNING` and a Redis `XADD`,
and nothing else: no routing key, correlation, deduplication, timeline, outbox or paging. The issue wrote
its absolute targets for a machine where this did ~1,100 alerts/s; what it does here says what they are
worth on this machine (scripts/benchkit/targets.py). It is made as lean as the platform is (uvloop,
httptools, the services' uvicorn settings, no pool reset), so it is a bar, not a straw man.

`python -m scripts.benchkit.prototype store PORT` and `... replica PORT STORE_PORT` run its processes
(DATABASE_URL and REDIS_URL from the environment); `prepare(settings)` gives them to the benchmark stack's
start, routed by its Traefik, and `serving(settings)` stops them after their phase.
"""

import contextlib
import json
import os
import sys
from collections.abc import Iterator

import asyncpg
import grpc
from fastapi import FastAPI
from redis.asyncio import BlockingConnectionPool, Redis

from scripts.devstack import processes, runner
from scripts.devstack.ports import free_port
from scripts.devstack.settings import StackSettings
from scripts.devstack.traefik import write_atomic
from services.alert_ingestion.schemas import AlertIn
from shared.serve import run, serve, settle_heap

PATH = "/bench-prototype/alerts"
STORE, REPLICAS = "prototype-store", ("prototype-replica-1", "prototype-replica-2")
NAMES = (STORE, *REPLICAS)
_METHOD = "/bench.Prototype/Ingest"
_ROUTES = "bench-prototype.yml"
_SCHEMA = """
    CREATE TABLE IF NOT EXISTS bench_prototype_alerts (
        id bigserial PRIMARY KEY, fingerprint text NOT NULL, severity text NOT NULL, summary text NOT NULL,
        labels jsonb NOT NULL, received_at timestamptz NOT NULL DEFAULT now())
"""
_INSERT = """
    INSERT INTO bench_prototype_alerts (fingerprint, severity, summary, labels)
    VALUES ($1, $2, $3, $4::jsonb) RETURNING id
"""


async def _no_reset(connection: asyncpg.Connection) -> None:
    """Its statements leave no session state: asyncpg's reset on release would be a round trip each."""


async def serve_store(port: int) -> None:
    """The gRPC end: each call stores the alert (one statement) and publishes its id on a stream."""
    pool = await asyncpg.create_pool(os.environ["DATABASE_URL"], min_size=4, max_size=10, reset=_no_reset)
    redis = Redis(connection_pool=BlockingConnectionPool.from_url(os.environ["REDIS_URL"], max_connections=8))
    await pool.execute(_SCHEMA)

    async def ingest(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        alert = json.loads(request)
        labels = json.dumps(alert["labels"])
        alert_id = await pool.fetchval(
            _INSERT, alert["fingerprint"] or "", alert["severity"], alert["summary"], labels
        )
        await redis.xadd("bench:prototype", {"id": alert_id}, maxlen=100_000, approximate=True)
        return str(alert_id).encode()

    server = grpc.aio.server()
    handlers = {"Ingest": grpc.unary_unary_rpc_method_handler(ingest)}  # bytes in and out: no message classes
    server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler("bench.Prototype", handlers)])
    server.add_insecure_port(f"127.0.0.1:{port}")
    settle_heap()
    await server.start()
    await server.wait_for_termination()


def replica_app(store_port: int) -> FastAPI:
    app = FastAPI()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{store_port}")
    call = channel.unary_unary(_METHOD)

    @app.post(PATH, status_code=202)
    async def ingest(alert: AlertIn) -> dict[str, int]:
        return {"id": int(await call(alert.model_dump_json().encode(), timeout=10))}

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


def routes(replica_urls: list[str]) -> dict:
    """Traefik's file provider merges this beside the stack's routes: the alert routes' middlewares."""
    return {
        "http": {
            "routers": {
                "bench-prototype": {
                    "entryPoints": ["web"],
                    "rule": f"PathPrefix(`{PATH}`)",
                    "service": "bench-prototype",
                    "middlewares": ["ingestion-rate-limit", "ingestion-retry"],
                }
            },
            "services": {
                "bench-prototype": {
                    "loadBalancer": {
                        "servers": [{"url": url} for url in replica_urls],
                        "healthCheck": {"path": "/health", "interval": "1s", "timeout": "1s"},
                    }
                }
            },
        }
    }


def prepare(settings: StackSettings) -> list[processes.ProcessSpec]:
    """Its processes, for `runner.up` to start with the stack's (their interpreters start side by side),
    and its route written for Traefik to load when it starts."""
    backends = runner.backends_of(settings)
    env = {"DATABASE_URL": backends.database_url.replace("+asyncpg", ""), "REDIS_URL": backends.redis_url}
    store_port, ports = free_port(), [free_port() for _ in REPLICAS]
    store = processes.python_module(__name__, "store", str(store_port))
    specs = [processes.ProcessSpec(STORE, store, f"tcp://127.0.0.1:{store_port}", env)]
    for name, port in zip(REPLICAS, ports, strict=True):
        argv = processes.python_module(__name__, "replica", str(port), str(store_port))
        health = f"http://127.0.0.1:{port}/health"
        specs.append(processes.ProcessSpec(name, argv, health, gateway_service="bench-prototype"))
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    # JSON is YAML too, which Traefik's file provider reads
    write_atomic(settings.var_dir / "traefik" / "dynamic" / _ROUTES, json.dumps(routes(urls)))
    return specs


@contextlib.contextmanager
def serving(settings: StackSettings) -> Iterator[None]:
    """For its phase: then its route is removed and its processes stopped, so that they take nothing from
    the later phases."""
    try:
        yield
    finally:
        (settings.var_dir / "traefik" / "dynamic" / _ROUTES).unlink(missing_ok=True)
        processes.stop_all(list(NAMES), run_dir=settings.run_dir)


async def serve_replica(port: int, store_port: int) -> None:
    await serve(replica_app(store_port), host="127.0.0.1", http_port=port)  # its channel on this loop


def main(argv: list[str]) -> None:
    role, port, *rest = argv
    if role == "store":
        run(lambda: serve_store(int(port)))
    else:
        run(lambda: serve_replica(int(port), int(rest[0])))


if __name__ == "__main__":
    main(sys.argv[1:])
