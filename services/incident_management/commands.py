"""The unit of work shared by REST and gRPC: one transaction per command, then after-commit work."""

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.incident_management import domain
from services.incident_management.assignment import assign_new_incident
from services.incident_management.oncall_client import OnCallClient
from services.incident_management.outbox_relay import OutboxRelay
from services.incident_management.schemas import AlertInput, IncidentFilter, IncidentPatch, IngestResult
from shared.models import Incident
from shared.timeutil import utcnow


@dataclass
class IncidentCommands:
    sessions: async_sessionmaker[AsyncSession]
    oncall: OnCallClient
    relay: OutboxRelay
    window_seconds: int

    async def ingest(self, alert: AlertInput) -> IngestResult:
        """Store the alert (committed before we answer); a new incident is then assigned."""
        async with self.sessions.begin() as session:
            result = await domain.ingest_alert(
                session, alert, now=utcnow(), window_seconds=self.window_seconds
            )
        self.relay.wake()
        if result.result == "created":
            await assign_new_incident(
                self.sessions, self.oncall, incident_id=result.incident_id, service=alert.service
            )
            self.relay.wake()
        return result

    async def acknowledge(self, incident_id: uuid.UUID, *, actor: str) -> Incident:
        async with self.sessions.begin() as session:
            incident = await domain.acknowledge(session, incident_id, actor=actor, now=utcnow())
        self.relay.wake()
        return incident

    async def resolve(self, incident_id: uuid.UUID, *, actor: str) -> Incident:
        async with self.sessions.begin() as session:
            incident = await domain.resolve(session, incident_id, actor=actor, now=utcnow())
        self.relay.wake()
        return incident

    async def update(self, incident_id: uuid.UUID, patch: IncidentPatch) -> Incident:
        async with self.sessions.begin() as session:
            incident = await domain.update(session, incident_id, patch, now=utcnow())
        self.relay.wake()
        return incident

    async def get(self, incident_id: uuid.UUID):
        async with self.sessions() as session:
            return await domain.get_detail(session, incident_id)

    async def list(self, query: IncidentFilter) -> tuple[list[Incident], int]:
        async with self.sessions() as session:
            return await domain.list_incidents(session, query)
