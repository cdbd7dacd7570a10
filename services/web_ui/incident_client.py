"""What the pages ask incident-management over gRPC: the list, one incident, and what people do to them."""

import grpc

from shared.audit import identity_metadata
from shared.auth import Identity
from shared.gen.oncall.v1 import incident_pb2, incident_pb2_grpc
from shared.rpc import call

# The page's action → the RPC that does it and the extra fields of its request.
_ACTIONS = {
    "acknowledge": ("AcknowledgeIncident", incident_pb2.AcknowledgeIncidentRequest),
    "resolve": ("ResolveIncident", incident_pb2.ResolveIncidentRequest),
    "unacknowledge": ("UnacknowledgeIncident", incident_pb2.IncidentActionRequest),
    "escalate": ("EscalateIncident", incident_pb2.IncidentActionRequest),
    "reassign": ("ReassignIncident", incident_pb2.ReassignIncidentRequest),
    "snooze": ("SnoozeIncident", incident_pb2.SnoozeIncidentRequest),
    "note": ("AddIncidentNote", incident_pb2.AddIncidentNoteRequest),
}
ACTIONS = tuple(_ACTIONS)


class IncidentClient:
    def __init__(self, channel: grpc.aio.Channel, *, timeout: float) -> None:
        self._stub = incident_pb2_grpc.IncidentServiceStub(channel)
        self._timeout = timeout

    async def list_incidents(
        self, request: incident_pb2.ListIncidentsRequest
    ) -> incident_pb2.ListIncidentsResponse:
        """One page in the asked order, with the total and the count per status ('' filters nothing)."""
        return await call(self._stub.ListIncidents, request, deadline=self._timeout, idempotent=True)

    async def get_incident(self, incident_id: str) -> incident_pb2.GetIncidentResponse:
        """The incident with its alerts and timeline; NotFound when there is none."""
        request = incident_pb2.GetIncidentRequest(id=incident_id)
        return await call(self._stub.GetIncident, request, deadline=self._timeout, idempotent=True)

    async def act(
        self, incident_id: str, action: str, *, actor: Identity, client_ip: str | None, **fields: str
    ) -> None:
        """Do `action` (one of ACTIONS) to the incident in the name of `actor` (the timeline's and the
        audit log's); Conflict when it cannot be, InvalidInput for a bad field."""
        method, message = _ACTIONS[action]
        request = message(id=incident_id, actor=actor.actor, **fields)
        acting = identity_metadata(actor, client_ip)
        await call(getattr(self._stub, method), request, deadline=self._timeout, metadata=acting)

    async def declare(
        self, *, actor: Identity, client_ip: str | None, **fields: str
    ) -> incident_pb2.DeclareIncidentResponse:
        """Open an incident by hand (service, severity, title, description)."""
        request = incident_pb2.DeclareIncidentRequest(actor=actor.actor, **fields)
        acting = identity_metadata(actor, client_ip)
        return await call(self._stub.DeclareIncident, request, deadline=self._timeout, metadata=acting)
