"""`health`: every component of the native stack, PostgreSQL, Redis and Traefik included, each with the
reason when it is not healthy."""

import asyncio
from dataclasses import dataclass

import asyncpg
import httpx
import redis

from scripts.devstack import processes, runner
from scripts.devstack.processes import ProcessSpec
from scripts.devstack.settings import StackSettings
from shared.config import libpq_url

TIMEOUT = 3.0


@dataclass(frozen=True)
class Health:
    name: str
    reason: str  # "" when healthy

    @property
    def healthy(self) -> bool:
        return not self.reason


def check_all(settings: StackSettings) -> list[Health]:
    """PostgreSQL, Redis, then each process of the stack (services, SMTP sink, Traefik, Prometheus)."""
    backends = runner.backends_of(settings)
    rows = [
        Health("postgres", asyncio.run(_postgres(backends.database_url))),
        Health("redis", _redis(backends.redis_url)),
    ]
    for spec in runner.service_specs(settings, backends):
        rows.append(Health(spec.name, _process(settings, spec)))
    return rows


async def _postgres(url: str) -> str:
    try:
        connection = await asyncpg.connect(libpq_url(url), timeout=TIMEOUT)
    except (OSError, asyncpg.PostgresError, TimeoutError) as error:
        return f"cannot connect: {error}"
    try:
        await connection.fetchval("SELECT 1", timeout=TIMEOUT)
    finally:
        await connection.close()
    return ""


def _redis(url: str) -> str:
    client = redis.Redis.from_url(url, socket_timeout=TIMEOUT, socket_connect_timeout=TIMEOUT)
    try:
        client.ping()
    except redis.RedisError as error:
        return f"no answer to PING: {error}"
    finally:
        client.close()
    return ""


def _process(settings: StackSettings, spec: ProcessSpec) -> str:
    if processes.running_pid(settings.run_dir, spec.name) is None:
        return f"not running (log: {settings.log_dir / (spec.name + '.log')})"
    if spec.health_url.startswith("tcp://"):
        return "" if processes.healthy(spec.health_url) else f"refuses connections at {spec.health_url}"
    try:
        reply = httpx.get(spec.health_url, timeout=TIMEOUT)
    except httpx.HTTPError as error:
        return f"no answer at {spec.health_url}: {error!r}"
    if reply.status_code == 200:
        return ""
    return f"{spec.health_url} answered {reply.status_code}: {reply.text[:300]}"


def report(rows: list[Health]) -> str:
    """One line per component: healthy, or the reason it is not."""
    return "\n".join(
        f"  {row.name:22} {'healthy' if row.healthy else 'NOT HEALTHY: ' + row.reason}" for row in rows
    )
