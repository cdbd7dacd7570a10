"""oncall: wiring of settings, database, REST and gRPC."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import grpc
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from services.oncall_service import api, api_access, api_schedules
from services.oncall_service.commands import AccessTokens, OnCallCommands
from services.oncall_service.config import OnCallSettings
from services.oncall_service.grpc_server import OnCallServicer
from services.oncall_service.throttle import LoginThrottle
from shared.db import create_autocommit_factory, create_engine, create_session_factory
from shared.gen.oncall.v1 import oncall_pb2, oncall_pb2_grpc
from shared.grpc import create_server, mark_serving
from shared.health import database_check
from shared.http import health_router, install_common
from shared.identities import database_authenticator
from shared.serve import run, serve_runtime
from shared.telemetry import FASTAPI_NATIVE_TELEMETRY_OFF, instrument_app

log = logging.getLogger(__name__)
SERVICE_NAME = oncall_pb2.DESCRIPTOR.services_by_name["OnCallService"].full_name


@dataclass
class Runtime:
    settings: OnCallSettings
    engine: AsyncEngine
    commands: OnCallCommands

    async def close(self) -> None:
        await self.engine.dispose()


def build_runtime(settings: OnCallSettings) -> Runtime:
    engine = create_engine(settings)
    throttle = LoginThrottle(
        max_failures=settings.login_max_failures,
        max_address_failures=settings.login_max_address_failures,
        window_seconds=settings.login_window_seconds,
    )
    access = AccessTokens(settings.auth_jwt_secret.get_secret_value(), settings.auth_token_minutes * 60)
    commands = OnCallCommands(
        create_session_factory(engine), throttle, create_autocommit_factory(engine), access
    )
    return Runtime(settings, engine, commands)


async def ensure_first_admin(runtime: Runtime) -> None:
    """ADMIN_EMAIL / ADMIN_PASSWORD become the first admin when there is none yet."""
    settings = runtime.settings
    if not settings.admin_email or settings.admin_password is None:
        return
    made = await runtime.commands.ensure_first_admin(
        email=settings.admin_email, password=settings.admin_password.get_secret_value()
    )
    if made is not None:
        log.warning("first admin created", extra={"fields": {"email": made.email}})


def create_app(runtime: Runtime) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await ensure_first_admin(runtime)
        yield

    app = FastAPI(title="oncall", version="1", telemetry=FASTAPI_NATIVE_TELEMETRY_OFF, lifespan=lifespan)
    app.state.commands = runtime.commands
    app.state.authenticator = database_authenticator(runtime.settings, runtime.engine)
    install_common(app)
    app.include_router(api.router)
    app.include_router(api_schedules.router)
    app.include_router(api_schedules.overrides_router)
    app.include_router(api_access.login_router)
    app.include_router(api_access.admin_router)
    app.include_router(health_router({"database": database_check(runtime.engine)}, ready=["database"]))
    instrument_app(app)
    return app


async def create_grpc_server(runtime: Runtime) -> grpc.aio.Server:
    server, health = create_server(runtime.settings.internal_token)
    oncall_pb2_grpc.add_OnCallServiceServicer_to_server(OnCallServicer(runtime.commands), server)
    await mark_serving(health, [SERVICE_NAME])
    return server


async def main() -> None:
    await serve_runtime(OnCallSettings(), build_runtime, create_app, create_grpc_server)


if __name__ == "__main__":
    run(main)
