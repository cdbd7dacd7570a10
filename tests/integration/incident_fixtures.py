"""incident-management running for real: uvicorn + grpc.aio on PostgreSQL and Redis."""

import uuid
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import text

from services.incident_management.config import IncidentSettings
from services.incident_management.main import build_runtime, create_app, create_grpc_server
from shared.gen.oncall.v1 import incident_pb2, incident_pb2_grpc
from tests.integration.servers import dead_target, serve_runtime


@dataclass
class IncidentStack:
    http: httpx.AsyncClient
    grpc: incident_pb2_grpc.IncidentServiceStub
    runtime: object
    settings: IncidentSettings
    grpc_target: str

    async def scalar(self, sql: str, **params):
        async with self.runtime.engine.connect() as connection:
            return (await connection.execute(text(sql), params)).scalar()


def settings_for(database_url: str, redis_url: str, **overrides) -> IncidentSettings:
    values = {
        "database_url": database_url,
        "redis_url": redis_url,
        "oncall_grpc_target": dead_target(),  # nothing listens: on-call is down
        "events_stream": "test:events",
        "assignment_retry_seconds": 0.2,
        "outbox_poll_seconds": 0.2,
        "oncall_timeout_seconds": 0.5,
        "require_integration_key": False,  # `alert()` sends none; tests of the refusal set it back
        # Tests seed incidents and events decades back: the stack's own retention pass must leave them.
        "retention_days": 36500.0,
        "outbox_retention_hours": 36500.0 * 24,
    }
    return IncidentSettings(**(values | overrides))


@pytest.fixture
async def start_incident_stack(database_url, redis_url):
    """Factory: start incident-management with setting overrides; everything stops after the test."""
    import contextlib

    async with contextlib.AsyncExitStack() as stack:

        async def start(**overrides) -> IncidentStack:
            database = overrides.pop("database_url", database_url)
            settings = settings_for(database, overrides.pop("redis_url", redis_url), **overrides)
            runtime = build_runtime(settings)
            served = await serve_runtime(stack, runtime, create_app, create_grpc_server)
            stub = incident_pb2_grpc.IncidentServiceStub(served.channel)
            return IncidentStack(served.http, stub, runtime, settings, served.target)

        yield start


@pytest.fixture
async def incidents(start_incident_stack) -> IncidentStack:
    return await start_incident_stack()


def alert(
    service: str, *, severity="critical", fingerprint=None, summary="disk full"
) -> incident_pb2.IngestAlertRequest:
    """An alert for IngestAlert; with the default fresh fingerprint, on a service of its own, it opens an
    incident."""
    return incident_pb2.IngestAlertRequest(
        alert=incident_pb2.Alert(
            service=service,
            severity=severity,
            summary=summary,
            source="test",
            fingerprint=fingerprint or uuid.uuid4().hex,
            labels={"host": "db-1"},
        )
    )
