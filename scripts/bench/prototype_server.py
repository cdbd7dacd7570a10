"""The processes of the minimal prototype (scripts/bench/prototype.py): its gRPC end, which stores
each alert with one `INSERT ... RETURNING` and publishes it with one `XADD`, and its HTTP replicas, which
parse the platform's pydantic alert body and make one grpc.aio unary call. Kept apart from the benchmark's
side so that they import no more than they use.

`python -m scripts.bench.prototype_server store PORT` and `... replica PORT STORE_PORT` (DATABASE_URL
and REDIS_URL from the environment).
"""

import json
import os
import sys

import asyncpg
import grpc
from fastapi import FastAPI
from redis.asyncio import BlockingConnectionPool, Redis

from services.alert_ingestion.schemas import AlertIn
from shared.serve import run, serve, settle_heap
from shared.telemetry import FASTAPI_NATIVE_TELEMETRY_OFF

PATH = "/bench-prototype/alerts"
_METHOD = "/bench.Prototype/Ingest"
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
    app = FastAPI(telemetry=FASTAPI_NATIVE_TELEMETRY_OFF)  # off in the services too (shared/telemetry.py)
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{store_port}")
    call = channel.unary_unary(_METHOD)

    @app.post(PATH, status_code=202)
    async def ingest(alert: AlertIn) -> dict[str, int]:
        return {"id": int(await call(alert.model_dump_json().encode(), timeout=10))}

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


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
