"""IncidentService over gRPC: proto ↔ domain mapping only."""

import asyncio
import logging
import uuid
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, ValidationError

from services.incident_management.commands import IncidentCommands
from services.incident_management.grpc_console import ConsoleRpcs, Context
from services.incident_management.models import SEVERITIES, Alert, Incident, TimelineEntry
from services.incident_management.schemas import (
    Action,
    AlertInput,
    IncidentDeclare,
    IncidentFilter,
    IncidentPatch,
    IngestResult,
    ReassignBody,
    SnoozeBody,
)
from shared.errors import DomainError, InvalidInput, Unauthenticated
from shared.gen.oncall.v1 import incident_pb2, incident_pb2_grpc
from shared.grpc import unexpected
from shared.http import invalid_input
from shared.metrics import ALERTS_CORRELATED
from shared.telemetry import continued, current_traceparent
from shared.text import UNSTORABLE, storable, unstorable_field
from shared.timeutil import parse_rfc3339, proto_time

log = logging.getLogger(__name__)

ACTIONS: dict[str, Action] = {
    "": "trigger",
    "trigger": "trigger",
    "firing": "trigger",
    "acknowledge": "acknowledge",
    "resolve": "resolve",
    "resolved": "resolve",
}


# The alert's plain text fields, checked with its labels and annotations in one scan (~15 → 8 µs an
# alert); the field at fault is looked for only when the scan finds something PostgreSQL cannot store.
_TEXT_FIELDS = tuple(f.name for f in incident_pb2.Alert.DESCRIPTOR.fields if f.type == f.TYPE_STRING)


def _alert_from_proto(alert: incident_pb2.Alert, *, keyed: bool) -> AlertInput:
    labels, annotations = dict(alert.labels), dict(alert.annotations)
    texts = [getattr(alert, name) for name in _TEXT_FIELDS]
    if not storable("".join([*texts, *labels, *labels.values(), *annotations, *annotations.values()])):
        fields = dict(zip(_TEXT_FIELDS, texts, strict=True)) | {"labels": labels, "annotations": annotations}
        unstorable = unstorable_field(fields)  # PostgreSQL would refuse it, failing the whole transaction
        raise InvalidInput(f"{unstorable}: {UNSTORABLE}", field=unstorable)
    action = ACTIONS.get(alert.action)
    if action is None:
        raise InvalidInput(f"unknown action {alert.action!r}", field="action")
    if not keyed and not (alert.service and alert.fingerprint):
        # With a key, its owner decides the service, and the fingerprint is derived from it if not given
        raise InvalidInput("alert needs a service and a fingerprint (or an integration key)", field="alert")
    if action == "trigger" and not alert.summary:
        raise InvalidInput("a triggering alert needs a summary", field="summary")
    if alert.severity not in SEVERITIES:
        raise InvalidInput(f"unknown severity {alert.severity!r}", field="severity")
    try:
        occurred_at = parse_rfc3339(alert.timestamp) if alert.timestamp else None
    except ValueError as error:
        raise InvalidInput(f"bad timestamp: {error}", field="timestamp") from error
    return AlertInput(
        service=alert.service,
        severity=alert.severity,
        summary=alert.summary,
        fingerprint=alert.fingerprint,
        source=alert.source,
        labels=labels,
        annotations=annotations,
        occurred_at=occurred_at,
        action=action,
        traceparent=current_traceparent(),
    )


def _result_to_proto(result: IngestResult) -> incident_pb2.IngestAlertResponse:
    """The reply of one stored alert (every alert stored comes through here: counted by outcome)."""
    ALERTS_CORRELATED.labels(result.result).inc()
    return incident_pb2.IngestAlertResponse(
        alert_id=str(result.alert_id or ""),
        incident_id=str(result.incident_id or ""),
        result=result.result,
        fingerprint=result.fingerprint,
    )


def incident_to_proto(incident: Incident) -> incident_pb2.Incident:
    return incident_pb2.Incident(
        id=str(incident.id),
        title=incident.title,
        service=incident.service,
        severity=incident.severity,
        status=incident.status,
        assigned_to=str(incident.assigned_to or ""),
        alert_count=incident.alert_count,
        created_at=proto_time(incident.created_at),
        acknowledged_at=proto_time(incident.acknowledged_at),
        resolved_at=proto_time(incident.resolved_at),
        mtta_seconds=-1.0 if incident.mtta_seconds is None else incident.mtta_seconds,
        mttr_seconds=-1.0 if incident.mttr_seconds is None else incident.mttr_seconds,
        duplicate_count=incident.duplicate_count,
        acknowledged_by=incident.acknowledged_by or "",
        resolved_by=incident.resolved_by or "",
        assignee_name=incident.assignee_name or "",
        assignee_email=incident.assignee_email or "",
        escalation_level=incident.escalation_level,
        next_escalation_at=proto_time(incident.next_escalation_at),
        escalation_policy_id=str(incident.escalation_policy_id or ""),
        snoozed_until=proto_time(incident.snoozed_until),
    )


def _alert_to_proto(alert: Alert) -> incident_pb2.IncidentAlert:
    return incident_pb2.IncidentAlert(
        id=str(alert.id),
        fingerprint=alert.fingerprint,
        service=alert.service,
        severity=alert.severity,
        summary=alert.summary,
        source=alert.source,
        labels={k: str(v) for k, v in alert.labels.items()},
        annotations={k: str(v) for k, v in alert.annotations.items()},
        occurred_at=proto_time(alert.occurred_at),
        received_at=proto_time(alert.received_at),
        last_seen_at=proto_time(alert.last_seen_at),
        duplicate_count=alert.duplicate_count,
    )


def _entry_to_proto(entry: TimelineEntry) -> incident_pb2.TimelineEntry:
    return incident_pb2.TimelineEntry(
        at=proto_time(entry.at), actor=entry.actor, kind=entry.kind, message=entry.message
    )


def _item_error(error: DomainError) -> incident_pb2.ItemError:
    return incident_pb2.ItemError(
        code=error.grpc_code.value[0], message=error.message, field=error.field or ""
    )


def _incident_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as error:
        raise InvalidInput(f"incident id {value!r} is not a UUID", field="id") from error


Parsed = TypeVar("Parsed", bound=BaseModel)


def _parsed(model: type[Parsed], fields: dict[str, Any]) -> Parsed:
    """The request's fields as `model` checks them (INVALID_ARGUMENT naming the field otherwise)."""
    try:
        return model.model_validate(fields)
    except ValidationError as error:
        raise invalid_input(error) from error


class IncidentServicer(ConsoleRpcs, incident_pb2_grpc.IncidentServiceServicer):
    """The RPCs of alerts and incidents here; the console's (catalog, analytics) from `ConsoleRpcs`."""

    def __init__(self, commands: IncidentCommands, *, require_integration_key: bool) -> None:
        self.commands = commands
        self.require_integration_key = require_integration_key

    def _keyed(self, integration_key: str) -> bool:
        """Whether alerts come with a key; without one, refused unless REQUIRE_INTEGRATION_KEY=false."""
        if not integration_key and self.require_integration_key:
            raise Unauthenticated("integration key required", field="integration_key")
        return bool(integration_key)

    async def IngestAlert(
        self, request: incident_pb2.IngestAlertRequest, context: Context | None
    ) -> incident_pb2.IngestAlertResponse:
        alert = _alert_from_proto(request.alert, keyed=self._keyed(request.integration_key))
        result = await self.commands.ingest(alert, integration_key=request.integration_key)
        return _result_to_proto(result)

    async def IngestAlerts(
        self, request: incident_pb2.IngestAlertsRequest, context: Context
    ) -> incident_pb2.IngestAlertsResponse:
        keyed = self._keyed(request.integration_key)
        alerts = [_alert_from_proto(a, keyed=keyed) for a in request.alerts]  # validate all before storing
        results = await self.commands.ingest_many(alerts, integration_key=request.integration_key)
        return incident_pb2.IngestAlertsResponse(results=[_result_to_proto(r) for r in results])

    async def IngestAlertGroup(
        self, request: incident_pb2.IngestAlertGroupRequest, context: Context
    ) -> incident_pb2.IngestAlertGroupResponse:
        outcomes = await asyncio.gather(*(self._grouped(item) for item in request.items))
        return incident_pb2.IngestAlertGroupResponse(outcomes=outcomes)

    async def _grouped(self, item: incident_pb2.GroupedAlert) -> incident_pb2.IngestOutcome:
        """One item, stored (or refused, e.g. for want of a key) as IngestAlert stores it, in a task of its
        own: its own trace (the sender's request), linked to the call that carried the group."""
        with continued(item.traceparent, "ingest alert", link=True):
            try:
                result = await self.IngestAlert(item.request, None)
            except DomainError as error:
                return incident_pb2.IngestOutcome(error=_item_error(error))
            except Exception as error:  # UNAVAILABLE: the sender is answered 503 + Retry-After and resends
                code, message = unexpected(error, "storing a grouped alert")
                return incident_pb2.IngestOutcome(
                    error=incident_pb2.ItemError(code=code.value[0], message=message)
                )
            log.debug(
                "alert stored", extra={"fields": {"result": result.result, "incident_id": result.incident_id}}
            )
            return incident_pb2.IngestOutcome(result=result)

    async def GetIntegration(
        self, request: incident_pb2.GetIntegrationRequest, context: Context
    ) -> incident_pb2.GetIntegrationResponse:
        owner = await self.commands.integration(request.integration_key)
        return incident_pb2.GetIntegrationResponse(
            integration_id=str(owner.integration.id),
            service=owner.service.name,
            type=owner.integration.type,
            config_json=orjson.dumps(owner.integration.config).decode(),
        )

    async def RecordHeartbeat(
        self, request: incident_pb2.RecordHeartbeatRequest, context: Context
    ) -> incident_pb2.RecordHeartbeatResponse:
        ping = await self.commands.record_heartbeat(request.integration_key)
        return incident_pb2.RecordHeartbeatResponse(
            service=ping.service, next_due_at=proto_time(ping.next_due_at), recovered=ping.recovered
        )

    async def GetIncident(
        self, request: incident_pb2.GetIncidentRequest, context: Context
    ) -> incident_pb2.GetIncidentResponse:
        incident, alerts, timeline = await self.commands.get(_incident_id(request.id))
        return incident_pb2.GetIncidentResponse(
            incident=incident_to_proto(incident),
            alerts=[_alert_to_proto(a) for a in alerts],
            timeline=[_entry_to_proto(t) for t in timeline],
        )

    async def ListIncidents(
        self, request: incident_pb2.ListIncidentsRequest, context: Context
    ) -> incident_pb2.ListIncidentsResponse:
        try:
            query = IncidentFilter(
                status=request.status or None,
                severity=request.severity or None,
                service=request.service or None,
                team=request.team or None,
                assignee=request.assignee or None,
                text=request.text or None,
                since=request.since or None,
                until=request.until or None,
                sort=request.sort or "newest",
                limit=request.limit or 50,
                offset=request.offset,
            )
        except ValidationError as error:
            raise invalid_input(error) from error
        page = await self.commands.list(query)
        return incident_pb2.ListIncidentsResponse(
            incidents=[incident_to_proto(i) for i in page.incidents],
            total=page.total,
            status_counts=page.status_counts,
        )

    async def AcknowledgeIncident(
        self, request: incident_pb2.AcknowledgeIncidentRequest, context: Context
    ) -> incident_pb2.AcknowledgeIncidentResponse:
        incident = await self.commands.acknowledge(_incident_id(request.id), actor=request.actor or "grpc")
        return incident_pb2.AcknowledgeIncidentResponse(incident=incident_to_proto(incident))

    async def ResolveIncident(
        self, request: incident_pb2.ResolveIncidentRequest, context: Context
    ) -> incident_pb2.ResolveIncidentResponse:
        incident = await self.commands.resolve(_incident_id(request.id), actor=request.actor or "grpc")
        return incident_pb2.ResolveIncidentResponse(incident=incident_to_proto(incident))

    async def UnacknowledgeIncident(
        self, request: incident_pb2.IncidentActionRequest, context: Context
    ) -> incident_pb2.IncidentActionResponse:
        incident = await self.commands.unacknowledge(_incident_id(request.id), actor=request.actor or "grpc")
        return incident_pb2.IncidentActionResponse(incident=incident_to_proto(incident))

    async def EscalateIncident(
        self, request: incident_pb2.IncidentActionRequest, context: Context
    ) -> incident_pb2.IncidentActionResponse:
        incident = await self.commands.escalate(_incident_id(request.id), actor=request.actor or "grpc")
        return incident_pb2.IncidentActionResponse(incident=incident_to_proto(incident))

    async def ReassignIncident(
        self, request: incident_pb2.ReassignIncidentRequest, context: Context
    ) -> incident_pb2.IncidentActionResponse:
        target = request.WhichOneof("target")
        body = _parsed(ReassignBody, {target: getattr(request, target)} if target else {})
        incident = await self.commands.reassign(_incident_id(request.id), body, actor=request.actor or "grpc")
        return incident_pb2.IncidentActionResponse(incident=incident_to_proto(incident))

    async def SnoozeIncident(
        self, request: incident_pb2.SnoozeIncidentRequest, context: Context
    ) -> incident_pb2.IncidentActionResponse:
        body = _parsed(SnoozeBody, {"until": request.until})
        incident = await self.commands.snooze(_incident_id(request.id), body, actor=request.actor or "grpc")
        return incident_pb2.IncidentActionResponse(incident=incident_to_proto(incident))

    async def AddIncidentNote(
        self, request: incident_pb2.AddIncidentNoteRequest, context: Context
    ) -> incident_pb2.IncidentActionResponse:
        patch = _parsed(IncidentPatch, {"note": request.note})
        incident = await self.commands.update(_incident_id(request.id), patch, actor=request.actor or "grpc")
        return incident_pb2.IncidentActionResponse(incident=incident_to_proto(incident))

    async def DeclareIncident(
        self, request: incident_pb2.DeclareIncidentRequest, context: Context
    ) -> incident_pb2.DeclareIncidentResponse:
        fields = ("service", "severity", "title", "description")
        body = _parsed(IncidentDeclare, {name: getattr(request, name) for name in fields})
        incident, created = await self.commands.declare(body, actor=request.actor or "grpc")
        return incident_pb2.DeclareIncidentResponse(incident=incident_to_proto(incident), created=created)
