"""metrics-exporter: wiring of settings, database, Redis and the /metrics and /health routes.

Values that come from the database (open incidents, MTTA/MTTR, the outbox, escalations, deliveries) and
the event stream's pending entries are exported here, once, so replicas of the services do not multiply
them. A scrape while the database is down answers `oncall_exporter_up{backend="database"} 0`, not 500.
"""

from dataclasses import dataclass

from fastapi import FastAPI
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from services.metrics_exporter.collector import Exporter
from services.metrics_exporter.config import ExporterSettings
from shared.db import create_engine
from shared.health import database_check, redis_check
from shared.http import health_router, install_common
from shared.redis import create_redis
from shared.serve import run, serve_runtime
from shared.telemetry import FASTAPI_NATIVE_TELEMETRY_OFF


@dataclass
class Runtime:
    settings: ExporterSettings
    engine: AsyncEngine
    redis: Redis
    exporter: Exporter

    async def close(self) -> None:
        await self.redis.aclose()
        await self.engine.dispose()


def build_runtime(settings: ExporterSettings) -> Runtime:
    engine = create_engine(settings)
    redis = create_redis(settings.redis_url)
    return Runtime(settings, engine, redis, Exporter(engine, redis, settings))


def create_app(runtime: Runtime) -> FastAPI:
    app = FastAPI(title="metrics-exporter", version="1", telemetry=FASTAPI_NATIVE_TELEMETRY_OFF)
    app.state.extra_metrics = runtime.exporter.render
    install_common(app)
    checks = {"database": database_check(runtime.engine), "redis": redis_check(runtime.redis)}
    # Always ready: a scrape during an outage is answered (with oncall_exporter_up 0); /health says why.
    app.include_router(health_router(checks, ready=[]))
    return app


async def main() -> None:
    await serve_runtime(ExporterSettings(), build_runtime, create_app)


if __name__ == "__main__":
    run(main)
