"""REST routes for services and their integrations (routing keys): admins configure, everyone reads."""

import uuid

from fastapi import APIRouter, Response, status

from services.incident_management.api import Commands
from services.incident_management.schemas import (
    IntegrationCreate,
    IntegrationCreated,
    IntegrationRead,
    ServiceCreate,
    ServicePatch,
    ServiceRead,
)
from shared.access import guard
from shared.auth import Role

router = APIRouter(prefix="/api/v1/services", tags=["services"], dependencies=[guard(write=Role.admin)])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ServiceRead)
async def create_service(cmd: Commands, body: ServiceCreate) -> ServiceRead:
    return ServiceRead.model_validate(await cmd.create_service(body))


@router.get("", response_model=list[ServiceRead])
async def list_services(cmd: Commands) -> list[ServiceRead]:
    return [ServiceRead.model_validate(s) for s, _ in await cmd.list_services()]


@router.get("/{service_id}", response_model=ServiceRead)
async def get_service(cmd: Commands, service_id: uuid.UUID) -> ServiceRead:
    return ServiceRead.model_validate(await cmd.get_service(service_id))


@router.patch("/{service_id}", response_model=ServiceRead)
async def update_service(cmd: Commands, service_id: uuid.UUID, body: ServicePatch) -> ServiceRead:
    return ServiceRead.model_validate(await cmd.update_service(service_id, body))


@router.delete("/{service_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_service(cmd: Commands, service_id: uuid.UUID) -> Response:
    """Deletes the service and its integrations (their keys stop working); incidents stay."""
    await cmd.delete_service(service_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{service_id}/integrations", status_code=status.HTTP_201_CREATED, response_model=IntegrationCreated
)
async def create_integration(
    cmd: Commands, service_id: uuid.UUID, body: IntegrationCreate
) -> IntegrationCreated:
    """The answer carries the routing key as `key`: it is stored hashed and never shown again."""
    integration, key = await cmd.create_integration(service_id, body)
    return IntegrationCreated.model_validate(
        {**IntegrationRead.model_validate(integration).model_dump(), "key": key}
    )


@router.get("/{service_id}/integrations", response_model=list[IntegrationRead])
async def list_integrations(cmd: Commands, service_id: uuid.UUID) -> list[IntegrationRead]:
    return [IntegrationRead.model_validate(i) for i in await cmd.list_integrations(service_id)]


@router.get("/{service_id}/integrations/{integration_id}", response_model=IntegrationRead)
async def get_integration(cmd: Commands, service_id: uuid.UUID, integration_id: uuid.UUID) -> IntegrationRead:
    return IntegrationRead.model_validate(await cmd.get_integration(service_id, integration_id))


@router.delete("/{service_id}/integrations/{integration_id}", response_model=IntegrationRead)
async def revoke_integration(
    cmd: Commands, service_id: uuid.UUID, integration_id: uuid.UUID
) -> IntegrationRead:
    """Revokes the key: senders using it get 403 from then on. Answers the revoked integration."""
    return IntegrationRead.model_validate(await cmd.revoke_integration(service_id, integration_id))
