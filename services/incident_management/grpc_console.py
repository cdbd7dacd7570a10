"""The dashboard's console RPCs of IncidentService (catalog and analytics): proto ↔ domain mapping, each
calling the command its REST route calls (`IncidentCommands`)."""

from collections.abc import Iterable
from typing import Any

import grpc
import orjson
from pydantic import BaseModel

from services.incident_management import analytics, analytics_distribution, analytics_trends
from services.incident_management.commands import IncidentCommands, Report
from services.incident_management.models import Integration, MonitoredService
from services.incident_management.schemas import (
    AnalyticsQuery,
    DistributionQuery,
    IntegrationCreate,
    ServiceCreate,
    TrendQuery,
)
from shared.errors import InvalidInput
from shared.gen.oncall.v1 import incident_pb2
from shared.http import parse_uuid, validated
from shared.timeutil import proto_time

Context = grpc.aio.ServicerContext[Any, Any]


def integration_to_proto(row: Integration) -> incident_pb2.Integration:
    return incident_pb2.Integration(
        id=str(row.id),
        service_id=str(row.service_id),
        name=row.name,
        type=row.type,
        key_hint=row.key_hint,
        created_at=proto_time(row.created_at),
        revoked_at=proto_time(row.revoked_at),
    )


def service_to_proto(row: MonitoredService, integrations: Iterable[Integration] = ()) -> incident_pb2.Service:
    return incident_pb2.Service(
        id=str(row.id),
        name=row.name,
        description=row.description,
        team=row.team or "",
        escalation_policy_id=str(row.escalation_policy_id or ""),
        auto_resolve=row.auto_resolve,
        integrations=[integration_to_proto(i) for i in integrations],
    )


REPORTS: dict[str, tuple[type[BaseModel], Report[BaseModel]]] = {
    "incidents": (AnalyticsQuery, analytics.incident_analytics),
    "trends": (TrendQuery, analytics_trends.incident_trends),
    "distribution": (DistributionQuery, analytics_distribution.response_distribution),
}


class ConsoleRpcs:
    """The console's RPCs of `IncidentServicer`, which mixes them in (its `commands`)."""

    commands: IncidentCommands

    async def ListServices(
        self, request: incident_pb2.ListServicesRequest, context: Context
    ) -> incident_pb2.ListServicesResponse:
        found = await self.commands.list_services()
        return incident_pb2.ListServicesResponse(services=[service_to_proto(s, i) for s, i in found])

    async def CreateService(
        self, request: incident_pb2.CreateServiceRequest, context: Context
    ) -> incident_pb2.CreateServiceResponse:
        fields = {"name": request.name, "description": request.description}
        fields |= {"team": request.team} if request.team else {}
        fields |= (
            {"escalation_policy_id": request.escalation_policy_id} if request.escalation_policy_id else {}
        )
        service = await self.commands.create_service(validated(ServiceCreate, fields))
        return incident_pb2.CreateServiceResponse(service=service_to_proto(service))

    async def DeleteService(
        self, request: incident_pb2.DeleteServiceRequest, context: Context
    ) -> incident_pb2.DeleteServiceResponse:
        await self.commands.delete_service(parse_uuid(request.service_id, "service_id"))
        return incident_pb2.DeleteServiceResponse()

    async def CreateIntegration(
        self, request: incident_pb2.CreateIntegrationRequest, context: Context
    ) -> incident_pb2.CreateIntegrationResponse:
        try:
            config = orjson.loads(request.config_json) if request.config_json else {}
        except orjson.JSONDecodeError as error:
            raise InvalidInput(f"config_json is not JSON: {error}", field="config_json") from error
        body = validated(IntegrationCreate, {"name": request.name, "type": request.type, "config": config})
        service_id = parse_uuid(request.service_id, "service_id")
        integration, key = await self.commands.create_integration(service_id, body)
        return incident_pb2.CreateIntegrationResponse(integration=integration_to_proto(integration), key=key)

    async def RevokeIntegration(
        self, request: incident_pb2.RevokeIntegrationRequest, context: Context
    ) -> incident_pb2.RevokeIntegrationResponse:
        service_id = parse_uuid(request.service_id, "service_id")
        integration_id = parse_uuid(request.integration_id, "integration_id")
        integration = await self.commands.revoke_integration(service_id, integration_id)
        return incident_pb2.RevokeIntegrationResponse(integration=integration_to_proto(integration))

    async def GetIncidentAnalytics(
        self, request: incident_pb2.AnalyticsRequest, context: Context
    ) -> incident_pb2.AnalyticsResponse:
        return await self._report("incidents", request)

    async def GetIncidentTrends(
        self, request: incident_pb2.AnalyticsRequest, context: Context
    ) -> incident_pb2.AnalyticsResponse:
        return await self._report("trends", request)

    async def GetResponseDistribution(
        self, request: incident_pb2.AnalyticsRequest, context: Context
    ) -> incident_pb2.AnalyticsResponse:
        return await self._report("distribution", request)

    async def _report(
        self, kind: str, request: incident_pb2.AnalyticsRequest
    ) -> incident_pb2.AnalyticsResponse:
        """One analytics answer, its query checked by the REST route's model, its body the REST answer's."""
        model, compute = REPORTS[kind]
        answer = await self.commands.report(compute, validated(model, dict(request.query)))
        return incident_pb2.AnalyticsResponse(body_json=answer.model_dump_json())
