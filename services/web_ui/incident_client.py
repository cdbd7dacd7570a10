"""What the pages ask incident-management over gRPC: the list, one incident, acknowledge and resolve."""

import grpc

from shared.audit import identity_metadata
from shared.auth import Identity
from shared.gen.oncall.v1 import incident_pb2, incident_pb2_grpc
from shared.rpc import call


class IncidentClient:
    def __init__(self, channel: grpc.aio.Channel, *, timeout: float) -> None:
        self._stub = incident_pb2_grpc.IncidentServiceStub(channel)
        self._timeout = timeout

    async def list_incidents(
        self, *, status: str, severity: str, service: str, limit: int, offset: int
    ) -> incident_pb2.ListIncidentsResponse:
        """One page, newest first, with the total matching the filters ('' filters nothing)."""
        request = incident_pb2.ListIncidentsRequest(
            status=status, severity=severity, service=service, limit=limit, offset=offset
        )
        return await call(self._stub.ListIncidents, request, deadline=self._timeout, idempotent=True)

    async def get_incident(self, incident_id: str) -> incident_pb2.GetIncidentResponse:
        """The incident with its alerts and timeline; NotFound when there is none."""
        request = incident_pb2.GetIncidentRequest(id=incident_id)
        return await call(self._stub.GetIncident, request, deadline=self._timeout, idempotent=True)

    async def act(self, incident_id: str, action: str, *, actor: Identity, client_ip: str | None) -> None:
        """`acknowledge` or `resolve` the incident in the name of `actor` (the timeline's and the audit
        log's); Conflict when it cannot be."""
        acting = identity_metadata(actor, client_ip)
        if action == "acknowledge":
            ack = incident_pb2.AcknowledgeIncidentRequest(id=incident_id, actor=actor.actor)
            await call(self._stub.AcknowledgeIncident, ack, deadline=self._timeout, metadata=acting)
        else:
            resolve = incident_pb2.ResolveIncidentRequest(id=incident_id, actor=actor.actor)
            await call(self._stub.ResolveIncident, resolve, deadline=self._timeout, metadata=acting)
