"""gRPC client to incident-management over one shared channel."""

import grpc

from shared.errors import Unavailable, from_status
from shared.gen.oncall.v1 import incident_pb2, incident_pb2_grpc
from shared.group_commit import GroupCommit
from shared.rpc import Method, Reply, call
from shared.telemetry import current_traceparent

UNAVAILABLE_MESSAGE = (
    "incident-management is unavailable; the alert was not stored. Retry later: resending the same alert "
    "(same fingerprint) is safe and creates no duplicate incident."
)


class IncidentClient:
    def __init__(self, channel: grpc.aio.Channel, *, timeout: float, group_lanes: int = 1) -> None:
        """`group_lanes`: IngestAlertGroup calls in flight at once; alerts arriving meanwhile wait for the
        next call and go together (alone, an alert is sent at once)."""
        self._stub = incident_pb2_grpc.IncidentServiceStub(channel)
        self._timeout = timeout
        self._group = GroupCommit(self._send_group, lanes=group_lanes, max_group=64)

    async def ingest(self, alert: incident_pb2.Alert, *, key: str = "") -> incident_pb2.IngestAlertResponse:
        """Store one alert: answered once it is stored, or raises the error that kept it out. It may travel
        with others in one call, so it carries its own trace context."""
        request = incident_pb2.IngestAlertRequest(alert=alert, integration_key=key)
        return await self._group.submit(
            incident_pb2.GroupedAlert(request=request, traceparent=current_traceparent())
        )

    async def _send_group(
        self, items: list[incident_pb2.GroupedAlert]
    ) -> list[incident_pb2.IngestAlertResponse | Exception]:
        reply: incident_pb2.IngestAlertGroupResponse = await self._call(
            self._stub.IngestAlertGroup, incident_pb2.IngestAlertGroupRequest(items=items)
        )
        if len(reply.outcomes) != len(items):  # a broken answer: nobody can tell whose is whose
            raise Unavailable(UNAVAILABLE_MESSAGE)
        return [
            o.result if o.HasField("result") else from_status(o.error.code, o.error.message, o.error.field)
            for o in reply.outcomes
        ]

    async def ingest_many(
        self, alerts: list[incident_pb2.Alert], *, key: str = ""
    ) -> incident_pb2.IngestAlertsResponse:
        request = incident_pb2.IngestAlertsRequest(alerts=alerts, integration_key=key)
        reply: incident_pb2.IngestAlertsResponse = await self._call(self._stub.IngestAlerts, request)
        return reply

    async def get_integration(self, key: str) -> incident_pb2.GetIntegrationResponse:
        request = incident_pb2.GetIntegrationRequest(integration_key=key)
        reply: incident_pb2.GetIntegrationResponse = await self._call(self._stub.GetIntegration, request)
        return reply

    async def record_heartbeat(self, key: str) -> incident_pb2.RecordHeartbeatResponse:
        request = incident_pb2.RecordHeartbeatRequest(integration_key=key)
        reply: incident_pb2.RecordHeartbeatResponse = await self._call(self._stub.RecordHeartbeat, request)
        return reply

    async def _call(self, method: Method[Reply], request: object) -> Reply:
        """Every call here is safe to repeat (alerts are deduplicated by fingerprint), so retried while
        incident-management is unavailable; then answered with what the sender should do."""
        try:
            return await call(method, request, deadline=self._timeout, idempotent=True)
        except Unavailable as error:
            raise Unavailable(UNAVAILABLE_MESSAGE) from error
