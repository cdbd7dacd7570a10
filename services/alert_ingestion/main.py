"""alert-ingestion: a stateless FastAPI replica in front of incident-management's gRPC API."""

from collections.abc import Callable

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.alert_ingestion import api, integrations_api
from services.alert_ingestion.config import IngestionSettings
from services.alert_ingestion.incident_client import IncidentClient
from services.alert_ingestion.keys import KeyCache
from shared.grpc import create_channel
from shared.health import grpc_check
from shared.http import health_router, install_common
from shared.logging import configure_logging
from shared.serve import run, serve
from shared.telemetry import FASTAPI_NATIVE_TELEMETRY_OFF, configure_tracing, instrument_app


class ReplicaAndLoadShedding:
    """Tags responses with the replica id; beyond `limit` requests in flight, answers 503 + Retry-After."""

    def __init__(self, app: ASGIApp, *, replica_id: str, limit: int) -> None:
        self.app, self.limit, self.in_flight = app, limit, 0
        self.header = (b"x-replica", replica_id.encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def tagged(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), self.header]
            await send(message)

        if self.in_flight >= self.limit:
            body = {"detail": "ingestion replica overloaded; retry after a second"}
            await JSONResponse(body, status_code=503, headers={"Retry-After": "1"})(scope, receive, tagged)
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, tagged)
        finally:
            self.in_flight -= 1


def create_app(settings: IngestionSettings) -> FastAPI:
    channel = create_channel(settings.incident_grpc_target, internal_token=settings.internal_token)
    app = FastAPI(title="alert-ingestion", version="1", telemetry=FASTAPI_NATIVE_TELEMETRY_OFF)
    client = IncidentClient(
        channel, timeout=settings.incident_timeout_seconds, group_lanes=settings.incident_call_lanes
    )
    app.state.incident_client = client
    app.state.keys = KeyCache(client, ttl=settings.integration_cache_seconds)
    app.state.require_key = settings.require_integration_key
    app.state.max_batch_size = settings.max_batch_size
    install_common(app)
    app.add_middleware(ReplicaAndLoadShedding, replica_id=settings.replica_id, limit=settings.max_in_flight)
    app.include_router(api.router)
    app.include_router(integrations_api.router)
    # Ready means this replica can answer (503 with a clear message when incident-management is down),
    # so the gateway keeps routing to it; /health still reports the dependency.
    app.include_router(health_router({"incident_management": grpc_check(channel)}, ready=[]))
    instrument_app(app)
    return app


async def main(build_app: Callable[[IngestionSettings], FastAPI] = create_app) -> None:
    """Serve the app `build_app` makes from the settings (the benchmark's replica adds a route to it)."""
    settings = IngestionSettings()
    configure_logging(settings.service_name, settings.log_level)
    configure_tracing(settings.service_name, settings.otlp_endpoint, settings.trace_sample_ratio)
    await serve(build_app(settings), host=settings.http_host, http_port=settings.http_port)


if __name__ == "__main__":
    run(main)
