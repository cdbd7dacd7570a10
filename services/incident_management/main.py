"""incident-management: wiring of settings, database, Redis, on-call client, REST, gRPC and workers."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import grpc
from fastapi import FastAPI
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from services.incident_management import analytics, analytics_api, api, catalog_api, retention
from services.incident_management.assignment import run_retry_worker
from services.incident_management.commands import IncidentCommands
from services.incident_management.config import IncidentSettings
from services.incident_management.escalation import EscalationSettings
from services.incident_management.escalation_worker import Escalator
from services.incident_management.grpc_server import IncidentServicer
from services.incident_management.heartbeat_monitor import run_heartbeat_monitor
from services.incident_management.oncall_client import OnCallClient
from services.incident_management.outbox_relay import OutboxRelay
from shared.aio import stop_tasks
from shared.db import DriverPool, create_engine, create_session_factory
from shared.gen.oncall.v1 import incident_pb2, incident_pb2_grpc
from shared.grpc import create_channel, create_server, mark_serving
from shared.health import database_check, grpc_check, redis_check
from shared.http import health_router, install_common
from shared.identities import database_authenticator
from shared.redis import create_redis
from shared.retention import RetentionStatus
from shared.serve import run, serve_runtime
from shared.telemetry import FASTAPI_NATIVE_TELEMETRY_OFF, instrument_app

log = logging.getLogger(__name__)
# Status changes hold a connection for four round trips (~1 ms when the machine is not starved): 100
# changes a second need one or two, and eight ride out a pause of the process without queueing behind it.
STATUS_CONNECTIONS = 8
SERVICE_NAME = incident_pb2.DESCRIPTOR.services_by_name["IncidentService"].full_name


@dataclass
class Runtime:
    settings: IncidentSettings
    engine: AsyncEngine
    redis: Redis
    oncall_channel: grpc.aio.Channel
    commands: IncidentCommands
    relay: OutboxRelay
    driver: DriverPool
    retention: RetentionStatus = field(default_factory=RetentionStatus)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def start_workers(self) -> None:
        """Outbox relay, assignment retries, heartbeats, escalation, the analytics sums' folding and the
        retention job run beside the servers."""
        self.tasks = [
            asyncio.create_task(self.relay.run(), name="outbox-relay"),
            asyncio.create_task(
                run_retry_worker(
                    self.driver,
                    self.commands.oncall,
                    self.commands.escalation,
                    interval=self.settings.assignment_retry_seconds,
                ),
                name="assignment-retry",
            ),
            asyncio.create_task(
                run_heartbeat_monitor(self.commands, interval=self.settings.heartbeat_check_seconds),
                name="heartbeat-monitor",
            ),
            asyncio.create_task(self.commands.escalator.run(), name="escalation"),
            asyncio.create_task(
                analytics.run_folding(self.commands.sessions, interval=self.settings.analytics_fold_seconds),
                name="analytics-folding",
            ),
            asyncio.create_task(
                retention.run_retention(
                    self.engine,
                    self.retention,
                    retention_days=self.settings.retention_days,
                    outbox_hours=self.settings.outbox_retention_hours,
                    batch=self.settings.retention_batch,
                    interval=self.settings.retention_interval_seconds,
                ),
                name="retention",
            ),
        ]

    async def close(self) -> None:
        """Cancel the workers and wait for them (at most 10 s: a worker that ignored its cancel must not
        hold the shutdown), then close the connections."""
        await stop_tasks(self.tasks, grace=10, log=log)
        self.tasks = []
        await self.oncall_channel.close()
        await self.redis.aclose()
        await self.driver.close()
        await self.engine.dispose()


def escalation_settings(settings: IncidentSettings) -> EscalationSettings:
    return EscalationSettings(
        default_delay_seconds=settings.escalation_timeout_seconds,
        ack_timeout_seconds=settings.acknowledgement_timeout_seconds,
        retry_seconds=settings.assignment_retry_seconds,
        poll_seconds=settings.escalation_poll_seconds,
    )


def build_runtime(settings: IncidentSettings) -> Runtime:
    engine = create_engine(settings)
    sessions = create_session_factory(engine)
    redis = create_redis(settings.redis_url)
    channel = create_channel(settings.oncall_grpc_target, internal_token=settings.internal_token)
    # The driver's own connections: one per ingest lane (its transaction, which holds it while on-call is
    # asked), one each for the relay, the escalation worker and the assignment retries, one for the
    # replicas' key lookups, and STATUS_CONNECTIONS for people's changes and declared incidents' reads
    driver = DriverPool(settings, size=settings.ingest_lanes + 4 + STATUS_CONNECTIONS)
    relay = OutboxRelay(
        driver,
        redis,
        stream=settings.events_stream,
        poll=settings.outbox_poll_seconds,
        channel=settings.events_channel,
    )
    oncall = OnCallClient(
        channel, timeout=settings.oncall_timeout_seconds, cache_seconds=settings.oncall_cache_seconds
    )
    escalator = Escalator(driver, oncall, relay, escalation_settings(settings))
    commands = IncidentCommands(
        sessions,
        oncall,
        relay,
        settings.correlation_window_seconds,
        escalator,
        driver,
        ingest_lanes=settings.ingest_lanes,
        inline_paging_seconds=settings.inline_paging_timeout_seconds,
    )
    return Runtime(settings, engine, redis, channel, commands, relay, driver)


def create_app(runtime: Runtime) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        runtime.start_workers()
        yield

    app = FastAPI(
        title="incident-management", version="1", telemetry=FASTAPI_NATIVE_TELEMETRY_OFF, lifespan=lifespan
    )
    app.state.commands = runtime.commands
    app.state.authenticator = database_authenticator(runtime.settings, runtime.engine)
    install_common(app)
    app.include_router(analytics_api.alias)  # before the incidents' /{incident_id}
    app.include_router(api.router)
    app.include_router(catalog_api.router)
    app.include_router(analytics_api.router)
    checks = {
        "database": database_check(runtime.engine),
        "redis": redis_check(runtime.redis),
        "oncall": grpc_check(runtime.oncall_channel),
    }
    # Without Redis events wait in the outbox; without on-call incidents wait for assignment:
    # only the database decides whether this process can take alerts.
    app.include_router(
        health_router(checks, ready=["database"], details={"retention": runtime.retention.details})
    )
    instrument_app(app)
    return app


async def create_grpc_server(runtime: Runtime) -> grpc.aio.Server:
    server, health = create_server(runtime.settings.internal_token)
    servicer = IncidentServicer(
        runtime.commands, require_integration_key=runtime.settings.require_integration_key
    )
    incident_pb2_grpc.add_IncidentServiceServicer_to_server(servicer, server)
    await mark_serving(health, [SERVICE_NAME])
    return server


async def main() -> None:
    await serve_runtime(IncidentSettings(), build_runtime, create_app, create_grpc_server)


if __name__ == "__main__":
    run(main)
