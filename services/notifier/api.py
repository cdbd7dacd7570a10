"""REST routes for webhooks, their delivery log and redelivery: parse, call one command, shape."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from services.notifier.commands import NotifierCommands
from services.notifier.schemas import (
    AttemptRead,
    DeliveryFilter,
    DeliveryPage,
    DeliveryRead,
    SecretRotated,
    WebhookCreate,
    WebhookCreated,
    WebhookPatch,
    WebhookRead,
)
from shared.access import guard
from shared.auth import Role
from shared.timeutil import rfc3339

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"], dependencies=[guard(write=Role.admin)])


async def commands(request: Request) -> NotifierCommands:
    found: NotifierCommands = request.app.state.commands
    return found


Commands = Annotated[NotifierCommands, Depends(commands)]


@router.post("", response_model=WebhookCreated, status_code=201)
async def create_webhook(cmd: Commands, body: WebhookCreate) -> WebhookCreated:
    """Subscribe; the answer is the only time the secret is shown."""
    subscription = await cmd.create(body)
    return WebhookCreated(**WebhookRead.model_validate(subscription).model_dump(), secret=subscription.secret)


@router.get("", response_model=list[WebhookRead])
async def list_webhooks(cmd: Commands) -> list[WebhookRead]:
    return [WebhookRead.model_validate(s) for s in await cmd.list()]


@router.get("/{webhook_id}", response_model=WebhookRead)
async def get_webhook(cmd: Commands, webhook_id: uuid.UUID) -> WebhookRead:
    return WebhookRead.model_validate(await cmd.get(webhook_id))


@router.patch("/{webhook_id}", response_model=WebhookRead)
async def update_webhook(cmd: Commands, webhook_id: uuid.UUID, patch: WebhookPatch) -> WebhookRead:
    return WebhookRead.model_validate(await cmd.update(webhook_id, patch))


@router.delete("/{webhook_id}", status_code=204)
async def delete_webhook(cmd: Commands, webhook_id: uuid.UUID) -> Response:
    await cmd.delete(webhook_id)
    return Response(status_code=204)


@router.post("/{webhook_id}/rotate-secret", response_model=SecretRotated)
async def rotate_secret(cmd: Commands, webhook_id: uuid.UUID) -> SecretRotated:
    """A new secret, shown once; the old one also signs until `previous_secret_expires_at`."""
    subscription = await cmd.rotate_secret(webhook_id)
    return SecretRotated(
        id=subscription.id,
        secret=subscription.secret,
        previous_secret_expires_at=rfc3339(subscription.previous_secret_expires_at),
    )


@router.get("/{webhook_id}/deliveries", response_model=DeliveryPage)
async def list_deliveries(
    cmd: Commands, webhook_id: uuid.UUID, query: Annotated[DeliveryFilter, Query()]
) -> DeliveryPage:
    """Newest first, each with its attempts (time, status code, latency, error, start of the answer)."""
    rows = await cmd.deliveries(webhook_id, query)
    return DeliveryPage(
        deliveries=[
            DeliveryRead.model_validate(delivery).model_copy(
                update={"attempt_log": [AttemptRead.model_validate(a) for a in attempts]}
            )
            for delivery, attempts in rows
        ],
        limit=query.limit,
    )


@router.post("/{webhook_id}/deliveries/{delivery_id}/redeliver", response_model=DeliveryRead, status_code=202)
async def redeliver(cmd: Commands, webhook_id: uuid.UUID, delivery_id: uuid.UUID) -> DeliveryRead:
    """Queue the delivery to be sent again now."""
    return DeliveryRead.model_validate(await cmd.redeliver(webhook_id, delivery_id))
