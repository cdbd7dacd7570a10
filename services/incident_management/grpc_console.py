"""The dashboard's console RPCs of IncidentService (catalog and analytics): proto ↔ domain mapping, each
calling what the REST routes call (services.incident_management.catalog, analytics*)."""

from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable

import orjson
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.incident_management import analytics, analytics_distribution, analytics_trends, catalog
from services.incident_management import repository as repo
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
from shared.timeutil import proto_time, utcnow

Sessions = async_sessionmaker[AsyncSession]


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


async def list_services(sessions: Sessions) -> incident_pb2.ListServicesResponse:
    async with sessions() as session:
        services = await repo.list_services(session)
        integrations = await repo.list_integrations(session, service_ids=[s.id for s in services])
    of_service = defaultdict(list)
    for integration in integrations:
        of_service[integration.service_id].append(integration)
    return incident_pb2.ListServicesResponse(
        services=[service_to_proto(s, of_service[s.id]) for s in services]
    )


async def create_service(
    sessions: Sessions, request: incident_pb2.CreateServiceRequest
) -> incident_pb2.CreateServiceResponse:
    fields = {"name": request.name, "description": request.description}
    fields |= {"team": request.team} if request.team else {}
    fields |= {"escalation_policy_id": request.escalation_policy_id} if request.escalation_policy_id else {}
    body = validated(ServiceCreate, fields)
    async with sessions.begin() as session:
        service = await catalog.create_service(session, body)
    return incident_pb2.CreateServiceResponse(service=service_to_proto(service))


async def delete_service(
    sessions: Sessions, request: incident_pb2.DeleteServiceRequest
) -> incident_pb2.DeleteServiceResponse:
    service_id = parse_uuid(request.service_id, "service_id")
    async with sessions.begin() as session:
        await repo.delete_service(session, service=await catalog.get_service(session, service_id))
    return incident_pb2.DeleteServiceResponse()


async def create_integration(
    sessions: Sessions, request: incident_pb2.CreateIntegrationRequest
) -> incident_pb2.CreateIntegrationResponse:
    try:
        config = orjson.loads(request.config_json) if request.config_json else {}
    except orjson.JSONDecodeError as error:
        raise InvalidInput(f"config_json is not JSON: {error}", field="config_json") from error
    body = validated(IntegrationCreate, {"name": request.name, "type": request.type, "config": config})
    service_id = parse_uuid(request.service_id, "service_id")
    async with sessions.begin() as session:
        integration, key = await catalog.create_integration(session, service_id, body)
    return incident_pb2.CreateIntegrationResponse(integration=integration_to_proto(integration), key=key)


async def revoke_integration(
    sessions: Sessions, request: incident_pb2.RevokeIntegrationRequest
) -> incident_pb2.RevokeIntegrationResponse:
    service_id = parse_uuid(request.service_id, "service_id")
    integration_id = parse_uuid(request.integration_id, "integration_id")
    async with sessions.begin() as session:
        integration = await catalog.revoke_integration(session, service_id, integration_id, now=utcnow())
    return incident_pb2.RevokeIntegrationResponse(integration=integration_to_proto(integration))


Report = Callable[..., Awaitable[BaseModel]]
REPORTS: dict[str, tuple[type[BaseModel], Report]] = {
    "incidents": (AnalyticsQuery, analytics.incident_analytics),
    "trends": (TrendQuery, analytics_trends.incident_trends),
    "distribution": (DistributionQuery, analytics_distribution.response_distribution),
}


async def report(
    sessions: Sessions, kind: str, request: incident_pb2.AnalyticsRequest
) -> incident_pb2.AnalyticsResponse:
    """One analytics answer, its query checked by the REST route's model, its body the REST answer's."""
    model, compute = REPORTS[kind]
    query = validated(model, dict(request.query))
    async with sessions() as session:
        answer = await compute(session, query, now=utcnow())
    return incident_pb2.AnalyticsResponse(body_json=answer.model_dump_json())
