"""web-ui: wiring of settings, the gRPC channels to incident-management, on-call and the notifier (one each,
made at start-up) and the dashboard's pages. It owns no tables and opens no database."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

import grpc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from redis.asyncio import Redis

from services.web_ui import (
    analytics_pages,
    api,
    config_pages,
    incident_pages,
    live_api,
    oncall_pages,
    policy_pages,
    schedule_pages,
    user_pages,
    webhook_pages,
)
from services.web_ui.config import WebUISettings
from services.web_ui.console_client import ConsoleClient
from services.web_ui.incident_client import IncidentClient
from services.web_ui.live import LiveHub
from services.web_ui.oncall_client import OnCallClient
from services.web_ui.server_timing import ServerTimingMiddleware
from services.web_ui.session import LoginRequired, login_redirect
from services.web_ui.views import STATIC, render
from services.web_ui.webhook_client import WebhookClient
from shared.access import authenticator
from shared.errors import DomainError
from shared.grpc import create_channel
from shared.health import grpc_check
from shared.http import describe_validation_errors, health_router, install_common
from shared.redis import create_redis
from shared.serve import run, serve_runtime
from shared.telemetry import FASTAPI_NATIVE_TELEMETRY_OFF, instrument_app

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: WebUISettings
    incident_channel: grpc.aio.Channel
    oncall_channel: grpc.aio.Channel
    notifier_channel: grpc.aio.Channel
    incidents: IncidentClient
    oncall: OnCallClient
    redis: Redis
    live: LiveHub

    async def close(self) -> None:
        await self.incident_channel.close()
        await self.oncall_channel.close()
        await self.notifier_channel.close()
        await self.redis.aclose()


def build_runtime(settings: WebUISettings) -> Runtime:
    incident_channel = create_channel(settings.incident_grpc_target, internal_token=settings.internal_token)
    oncall_channel = create_channel(settings.oncall_grpc_target, internal_token=settings.internal_token)
    notifier_channel = create_channel(settings.notifier_grpc_target, internal_token=settings.internal_token)
    timeout = settings.grpc_timeout_seconds
    # Pub/sub holds a connection of its own for as long as it listens; the pool needs no more.
    redis = create_redis(settings.redis_url, max_connections=4)
    return Runtime(
        settings,
        incident_channel,
        oncall_channel,
        notifier_channel,
        IncidentClient(incident_channel, timeout=timeout),
        OnCallClient(oncall_channel, timeout=timeout),
        redis,
        LiveHub(redis, settings.events_channel),
    )


@contextlib.asynccontextmanager
async def _listening(hub: LiveHub) -> AsyncIterator[None]:
    """The live feed's subscription runs while the app serves."""
    task = asyncio.create_task(hub.run(), name="live-feed")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def _error_page(status: int, message: str, request: Request) -> Response:
    back = (
        "/ui/incidents/" + request.path_params["incident_id"]
        if "incident_id" in request.path_params
        else "/ui/"
    )
    return render("error.html", status, heading=message, error=None, back=back)


def install_pages_errors(app: FastAPI) -> None:
    """Failures as readable pages instead of JSON: no session → the login form, a service's refusal or
    absence (its gRPC status, mapped by shared.errors) → its message and status, bad input → 422 naming
    the field."""

    @app.exception_handler(LoginRequired)
    async def login_required(_: Request, error: LoginRequired) -> Response:
        return login_redirect(error)

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, error: DomainError) -> Response:
        if error.http_status >= 500:
            log.warning("a service failed", extra={"fields": {"detail": error.message}})
        return _error_page(error.http_status, error.message, request)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> Response:
        return _error_page(422, f"Invalid input: {describe_validation_errors(list(error.errors()))}", request)


def create_app(runtime: Runtime) -> FastAPI:
    app = FastAPI(
        title="web-ui",
        version="1",
        telemetry=FASTAPI_NATIVE_TELEMETRY_OFF,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lambda _: _listening(runtime.live),
    )
    app.state.settings = runtime.settings
    app.state.live = runtime.live
    app.state.incidents = runtime.incidents
    app.state.oncall = runtime.oncall
    # The dashboard's forms carry their CSRF token in a field (services.web_ui.session checks it).
    app.state.authenticator = authenticator(runtime.settings, runtime.oncall.directory, csrf_header=False)
    install_common(app)
    install_pages_errors(app)
    app.add_middleware(ServerTimingMiddleware)
    app.state.console = ConsoleClient(
        runtime.incident_channel, runtime.oncall_channel, timeout=runtime.settings.grpc_timeout_seconds
    )
    app.include_router(api.router)
    app.include_router(incident_pages.router)
    app.include_router(live_api.router)
    app.include_router(oncall_pages.router)
    app.state.webhooks = WebhookClient(
        runtime.notifier_channel, timeout=runtime.settings.grpc_timeout_seconds
    )
    app.include_router(config_pages.router)
    app.include_router(webhook_pages.router)
    app.include_router(policy_pages.router)
    app.include_router(schedule_pages.router)
    app.include_router(user_pages.router)
    app.include_router(analytics_pages.router)
    app.mount("/ui/static", StaticFiles(directory=STATIC), name="static")
    checks = {
        "incident-management": grpc_check(runtime.incident_channel),
        "oncall": grpc_check(runtime.oncall_channel),
        "notifier": grpc_check(runtime.notifier_channel),
    }
    # Logging in needs on-call; pages of incidents (and webhooks) say so themselves when incident-management
    # (or the notifier) is down.
    app.include_router(health_router(checks, ready=["oncall"]))
    instrument_app(app)
    return app


async def main() -> None:
    await serve_runtime(WebUISettings(), build_runtime, create_app)


if __name__ == "__main__":
    run(main)
