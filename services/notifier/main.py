"""notifier: wiring of settings, database, Redis, on-call client, webhook API (REST and gRPC) and the four
workers."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import grpc
from fastapi import FastAPI
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from services.notifier import api, retention
from services.notifier.commands import NotifierCommands
from services.notifier.config import NotifierSettings
from services.notifier.email_worker import EmailWorker
from services.notifier.grpc_server import NotifierServicer
from services.notifier.oncall_client import OnCallClient
from services.notifier.service_teams import ServiceTeams
from services.notifier.smtp import SmtpMailer
from services.notifier.stream_consumer import StreamConsumer
from services.notifier.webhook_http import WebhookClients, open_clients
from services.notifier.webhook_worker import WebhookWorker
from shared.access import authenticator
from shared.aio import stop_tasks
from shared.db import DriverPool, create_engine, create_session_factory
from shared.gen.oncall.v1 import notifier_pb2, notifier_pb2_grpc
from shared.grpc import create_channel, create_server, mark_serving
from shared.health import database_check, grpc_check, redis_check
from shared.http import health_router, install_common
from shared.redis import create_redis
from shared.retention import RetentionStatus
from shared.serve import run, serve_runtime
from shared.telemetry import FASTAPI_NATIVE_TELEMETRY_OFF, instrument_app

log = logging.getLogger(__name__)
SERVICE_NAME = notifier_pb2.DESCRIPTOR.services_by_name["NotifierService"].full_name


@dataclass
class Runtime:
    settings: NotifierSettings
    engine: AsyncEngine
    driver: DriverPool
    redis: Redis
    webhook_clients: WebhookClients
    oncall_channel: grpc.aio.Channel
    incident_channel: grpc.aio.Channel
    oncall: OnCallClient
    commands: NotifierCommands
    consumer: StreamConsumer
    webhooks: WebhookWorker
    emails: EmailWorker
    retention: RetentionStatus = field(default_factory=RetentionStatus)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def start_workers(self) -> None:
        """Stream consumer, webhook deliveries, emails and the retention job run beside the API."""
        self.tasks = [
            asyncio.create_task(self.consumer.run(), name="stream-consumer"),
            asyncio.create_task(self.webhooks.run(), name="webhook-deliveries"),
            asyncio.create_task(self.emails.run(), name="emails"),
            asyncio.create_task(
                retention.run_retention(
                    self.engine,
                    self.retention,
                    delivery_days=self.settings.delivery_retention_days,
                    email_days=self.settings.email_retention_days,
                    batch=self.settings.retention_batch,
                    interval=self.settings.retention_interval_seconds,
                ),
                name="retention",
            ),
        ]

    async def stop_workers(self) -> None:
        """Cancel the workers (in-flight attempts included) and wait for them to end (at most 10 s: one that
        ignored its cancel is logged and left behind)."""
        await stop_tasks(self.tasks, grace=10, log=log)
        self.tasks = []

    async def close(self) -> None:
        await self.stop_workers()
        await self.emails.aclose()
        await self.webhook_clients.close()
        await self.oncall_channel.close()
        await self.incident_channel.close()
        await self.redis.aclose()
        await self.driver.close()
        await self.engine.dispose()


def build_runtime(settings: NotifierSettings) -> Runtime:
    engine = create_engine(settings)
    sessions = create_session_factory(engine)
    redis = create_redis(settings.redis_url)
    webhook_clients = open_clients(settings)
    channel = create_channel(settings.oncall_grpc_target, internal_token=settings.internal_token)
    incident_channel = create_channel(settings.incident_grpc_target, internal_token=settings.internal_token)
    # The driver's own connections, for the hot statements: the stream consumer's, the claim, the two
    # lanes recording delivered attempts, and the email worker's lease and record
    driver = DriverPool(settings, size=5)
    webhooks = WebhookWorker(sessions, driver, webhook_clients, settings)
    oncall = OnCallClient(
        channel, timeout=settings.oncall_timeout_seconds, cache_seconds=settings.oncall_cache_seconds
    )
    emails = EmailWorker(driver, oncall, settings, mailer=SmtpMailer(settings))

    def wake(deliveries: bool, mail: bool) -> None:
        if deliveries:
            webhooks.wake()
        if mail:
            emails.wake()

    teams = ServiceTeams(
        incident_channel,
        channel,
        timeout=settings.oncall_timeout_seconds,
        cache_seconds=settings.oncall_cache_seconds,
    )
    consumer = StreamConsumer(driver, redis, settings, teams, on_written=wake, dispatch=webhooks)
    commands = NotifierCommands(sessions, settings, webhooks.wake)
    return Runtime(
        settings,
        engine,
        driver,
        redis,
        webhook_clients,
        channel,
        incident_channel,
        oncall,
        commands,
        consumer,
        webhooks,
        emails,
    )


def create_app(runtime: Runtime) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        runtime.start_workers()
        yield
        await runtime.stop_workers()

    app = FastAPI(title="notifier", version="1", telemetry=FASTAPI_NATIVE_TELEMETRY_OFF, lifespan=lifespan)
    app.state.commands = runtime.commands
    app.state.authenticator = authenticator(runtime.settings, runtime.oncall.directory)
    install_common(app)
    app.include_router(api.router)
    checks = {
        "database": database_check(runtime.engine),
        "redis": redis_check(runtime.redis),
        "oncall": grpc_check(runtime.oncall_channel),
    }
    # Without Redis no new events arrive; without on-call emails wait and the API answers 503 itself to
    # credentials it has not checked within AUTH_CACHE_SECONDS: readiness needs only the database.
    app.include_router(
        health_router(checks, ready=["database"], details={"retention": runtime.retention.details})
    )
    instrument_app(app)
    return app


async def create_grpc_server(runtime: Runtime) -> grpc.aio.Server:
    server, health = create_server(runtime.settings.internal_token)
    notifier_pb2_grpc.add_NotifierServiceServicer_to_server(NotifierServicer(runtime.commands), server)
    await mark_serving(health, [SERVICE_NAME])
    return server


async def main() -> None:
    await serve_runtime(NotifierSettings(), build_runtime, create_app, create_grpc_server)


if __name__ == "__main__":
    run(main)
