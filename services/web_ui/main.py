"""web-ui: wiring of settings, the accounts database, the pooled client of the platform's APIs and the
dashboard's pages."""

import logging
from dataclasses import dataclass

import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from services.web_ui import api
from services.web_ui.config import WebUISettings
from services.web_ui.platform_client import PlatformClient, UpstreamError
from services.web_ui.server_timing import ServerTimingMiddleware
from services.web_ui.session import LoginRequired, login_redirect
from services.web_ui.throttle import LoginThrottle
from services.web_ui.views import STATIC, render
from shared.db import create_engine, create_session_factory
from shared.errors import DomainError
from shared.health import database_check, http_check
from shared.http import describe_validation_errors, health_router, install_common
from shared.logging import configure_logging
from shared.serve import run, serve
from shared.telemetry import configure_tracing, instrument_app

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: WebUISettings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    http: httpx.AsyncClient
    platform: PlatformClient

    async def close(self) -> None:
        await self.http.aclose()
        await self.engine.dispose()


def build_runtime(settings: WebUISettings) -> Runtime:
    engine = create_engine(settings)
    # One pooled client for every call to incident-management and on-call, kept alive between requests.
    http = httpx.AsyncClient(
        timeout=settings.api_timeout_seconds,
        limits=httpx.Limits(max_connections=50, max_keepalive_connections=20),
        trust_env=False,
    )
    platform = PlatformClient(
        http, settings.incident_api_url.rstrip("/"), settings.oncall_api_url.rstrip("/")
    )
    return Runtime(settings, engine, create_session_factory(engine), http, platform)


def _error_page(status: int, message: str, request: Request) -> Response:
    back = (
        "/ui/incidents/" + request.path_params["incident_id"]
        if "incident_id" in request.path_params
        else "/ui/"
    )
    return render("error.html", status, heading=message, error=None, back=back)


def install_pages_errors(app: FastAPI) -> None:
    """Failures as readable pages instead of JSON: no session → the login form, an API's refusal or
    absence → its message and status (502 for an API's own failure), bad input → 422 naming the field."""

    @app.exception_handler(LoginRequired)
    async def login_required(_: Request, error: LoginRequired) -> Response:
        return login_redirect(error)

    @app.exception_handler(UpstreamError)
    async def upstream(request: Request, error: UpstreamError) -> Response:
        status = error.status if 400 <= error.status < 500 else (503 if error.status == 503 else 502)
        if status >= 500:
            log.warning(
                "upstream failed", extra={"fields": {"status": error.status, "detail": error.message}}
            )
        return _error_page(status, error.message, request)

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, error: DomainError) -> Response:
        return _error_page(error.http_status, error.message, request)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> Response:
        return _error_page(422, f"Invalid input: {describe_validation_errors(list(error.errors()))}", request)


def create_app(runtime: Runtime) -> FastAPI:
    app = FastAPI(title="web-ui", version="1", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = runtime.settings
    app.state.sessions = runtime.sessions
    app.state.platform = runtime.platform
    app.state.throttle = LoginThrottle(
        max_failures=runtime.settings.web_ui_login_max_failures,
        window_seconds=runtime.settings.web_ui_login_window_seconds,
    )
    install_common(app)
    install_pages_errors(app)
    app.add_middleware(ServerTimingMiddleware)
    app.include_router(api.router)
    app.mount("/ui/static", StaticFiles(directory=STATIC), name="static")
    checks = {
        "database": database_check(runtime.engine),
        "incident-management": http_check(runtime.http, f"{runtime.platform.incident_url}/health/live"),
        "oncall": http_check(runtime.http, f"{runtime.platform.oncall_url}/health/live"),
    }
    # Logging in needs only the database; pages whose service is down say so themselves.
    app.include_router(health_router(checks, ready=["database"]))
    instrument_app(app)
    return app


async def main() -> None:
    settings = WebUISettings()
    configure_logging(settings.service_name, settings.log_level)
    configure_tracing(settings.service_name, settings.otlp_endpoint)
    runtime = build_runtime(settings)
    try:
        await serve(create_app(runtime), host=settings.http_host, http_port=settings.http_port)
    finally:
        await runtime.close()


if __name__ == "__main__":
    run(main)
