"""incident-management running for real: uvicorn + grpc.aio on PostgreSQL and Redis."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

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


_INSERT = text(
    """
    INSERT INTO incidents (id, title, service, severity, status, alert_count, duplicate_count,
                           assignment_pending, created_at, updated_at, acknowledged_at, resolved_at,
                           mtta_seconds, mttr_seconds, escalation_level)
    VALUES (:id, 'seeded', :service, :severity, :status, :alerts, 0, false, :at, :at, :acked_at, :resolved_at,
            :ack, :resolve, :level)
    """
)


async def seed_incident(
    stack, service: str, at: datetime, *, ack=None, resolve=None, severity="critical", level=0
) -> None:
    """An incident created `at`, acknowledged `ack` and resolved `resolve` seconds later (None: not yet)."""
    status = "resolved" if resolve is not None else "acknowledged" if ack is not None else "open"
    values = {"id": uuid.uuid4(), "service": service, "severity": severity, "status": status, "at": at}
    values |= {"alerts": 2, "ack": ack, "resolve": resolve, "level": level}
    values |= {
        name: None if s is None else at + timedelta(seconds=s)
        for name, s in (("acked_at", ack), ("resolved_at", resolve))
    }
    async with stack.runtime.engine.begin() as connection:
        await connection.execute(_INSERT, values)
