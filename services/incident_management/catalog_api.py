"""REST routes for services and their integrations (routing keys): admins configure, everyone reads."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.incident_management import catalog
from services.incident_management import repository as repo
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
from shared.timeutil import utcnow


async def sessions(request: Request) -> async_sessionmaker[AsyncSession]:
    found: async_sessionmaker[AsyncSession] = request.app.state.sessions
    return found


Sessions = Annotated[async_sessionmaker[AsyncSession], Depends(sessions)]
router = APIRouter(prefix="/api/v1/services", tags=["services"], dependencies=[guard(write=Role.admin)])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ServiceRead)
async def create_service(db: Sessions, body: ServiceCreate) -> ServiceRead:
    async with db.begin() as session:
        return ServiceRead.model_validate(await catalog.create_service(session, body))


@router.get("", response_model=list[ServiceRead])
async def list_services(db: Sessions) -> list[ServiceRead]:
    async with db() as session:
        return [ServiceRead.model_validate(s) for s in await repo.list_services(session)]


@router.get("/{service_id}", response_model=ServiceRead)
async def get_service(db: Sessions, service_id: uuid.UUID) -> ServiceRead:
    async with db() as session:
        return ServiceRead.model_validate(await catalog.get_service(session, service_id))


@router.patch("/{service_id}", response_model=ServiceRead)
async def update_service(db: Sessions, service_id: uuid.UUID, body: ServicePatch) -> ServiceRead:
    async with db.begin() as session:
        return ServiceRead.model_validate(await catalog.update_service(session, service_id, body))


@router.delete("/{service_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_service(db: Sessions, service_id: uuid.UUID) -> Response:
    """Deletes the service and its integrations (their keys stop working); incidents stay."""
    async with db.begin() as session:
        await repo.delete_service(session, service=await catalog.get_service(session, service_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{service_id}/integrations", status_code=status.HTTP_201_CREATED, response_model=IntegrationCreated
)
async def create_integration(
    db: Sessions, service_id: uuid.UUID, body: IntegrationCreate
) -> IntegrationCreated:
    """The answer carries the routing key as `key`: it is stored hashed and never shown again."""
    async with db.begin() as session:
        integration, key = await catalog.create_integration(session, service_id, body)
    return IntegrationCreated.model_validate(
        {**IntegrationRead.model_validate(integration).model_dump(), "key": key}
    )


@router.get("/{service_id}/integrations", response_model=list[IntegrationRead])
async def list_integrations(db: Sessions, service_id: uuid.UUID) -> list[IntegrationRead]:
    async with db() as session:
        await catalog.get_service(session, service_id)
        return [
            IntegrationRead.model_validate(i)
            for i in await repo.list_integrations(session, service_ids=[service_id])
        ]


@router.get("/{service_id}/integrations/{integration_id}", response_model=IntegrationRead)
async def get_integration(db: Sessions, service_id: uuid.UUID, integration_id: uuid.UUID) -> IntegrationRead:
    async with db() as session:
        return IntegrationRead.model_validate(
            await catalog.get_integration(session, service_id, integration_id)
        )


@router.delete("/{service_id}/integrations/{integration_id}", response_model=IntegrationRead)
async def revoke_integration(
    db: Sessions, service_id: uuid.UUID, integration_id: uuid.UUID
) -> IntegrationRead:
    """Revokes the key: senders using it get 403 from then on. Answers the revoked integration."""
    async with db.begin() as session:
        integration = await catalog.revoke_integration(session, service_id, integration_id, now=utcnow())
    return IntegrationRead.model_validate(integration)
