"""The issue's minimal prototype of the whole hop, measured in the same run as the platform.

Traefik (the same router middlewares as the alert routes) -> 2 HTTP replicas (FastAPI, the platform's
own pydantic alert body) -> one grpc.aio unary call -> asyncpg `INSERT ... RETURNING` and a Redis `XADD`,
and nothing else: no routing key, correlation, deduplication, timeline, outbox or paging. The issue wrote
its absolute targets for a machine where this did ~1,100 alerts/s; what it does here says what they are
worth on this machine (scripts/bench/targets.py). It is made as lean as the platform is (uvloop,
httptools, the services' uvicorn settings, FastAPI's native telemetry off, no pool reset), so it is a bar,
not a straw man. Its processes are in prototype_server.py; `prepare(settings)` gives them to the benchmark
stack's start, routed by its Traefik, and `serving(settings)` stops them after their phase.
"""

import contextlib
import json
from collections.abc import Iterator

from scripts.bench import prototype_server
from scripts.bench.prototype_server import PATH
from scripts.devstack import processes, runner
from scripts.devstack.ports import free_port
from scripts.devstack.settings import StackSettings
from scripts.devstack.traefik import INGESTION_MIDDLEWARES, write_atomic

STORE, REPLICAS = "prototype-store", ("prototype-replica-1", "prototype-replica-2")
NAMES = (STORE, *REPLICAS)
SERVICE = "bench-prototype"  # its Traefik router and service
_ROUTES = "bench-prototype.yml"


def routes(replica_urls: list[str]) -> dict:
    """Traefik's file provider merges this beside the stack's routes: the alert routes' middlewares."""
    return {
        "http": {
            "routers": {
                SERVICE: {
                    "entryPoints": ["web"],
                    "rule": f"PathPrefix(`{PATH}`)",
                    "service": SERVICE,
                    "middlewares": list(INGESTION_MIDDLEWARES),
                }
            },
            "services": {
                SERVICE: {
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
    env = {"DATABASE_URL": backends.driver_url, "REDIS_URL": backends.redis_url}
    store_port, ports = free_port(), [free_port() for _ in REPLICAS]
    store = processes.python_module(prototype_server.__name__, "store", str(store_port))
    specs = [processes.ProcessSpec(STORE, store, f"tcp://127.0.0.1:{store_port}", env)]
    for name, port in zip(REPLICAS, ports, strict=True):
        argv = processes.python_module(prototype_server.__name__, "replica", str(port), str(store_port))
        health = f"http://127.0.0.1:{port}/health"
        specs.append(processes.ProcessSpec(name, argv, health, gateway_service=SERVICE))
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
