"""NotifierService over gRPC (the dashboard's webhook configuration): proto ↔ domain mapping only, each RPC
calling the command its REST route calls (services.notifier.commands)."""

from typing import Any

import grpc

from services.notifier.commands import NotifierCommands
from services.notifier.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from services.notifier.schemas import DeliveryFilter, WebhookCreate, WebhookPatch
from shared.gen.oncall.v1 import notifier_pb2, notifier_pb2_grpc
from shared.http import parse_uuid, validated
from shared.timeutil import proto_time

_Context = grpc.aio.ServicerContext[Any, Any]
_LISTS = ("event_types", "services", "teams")
_SCALARS = ("url", "description", "active", "allow_internal")


def webhook_to_proto(row: WebhookSubscription) -> notifier_pb2.Webhook:
    return notifier_pb2.Webhook(
        id=str(row.id),
        url=row.url,
        description=row.description,
        event_types=row.event_types,
        services=row.services,
        teams=row.teams,
        active=row.active,
        allow_internal=row.allow_internal,
        previous_secret_expires_at=proto_time(row.previous_secret_expires_at),
        created_at=proto_time(row.created_at),
        updated_at=proto_time(row.updated_at),
    )


def _attempt_to_proto(row: WebhookAttempt) -> notifier_pb2.WebhookAttempt:
    return notifier_pb2.WebhookAttempt(
        attempted_at=proto_time(row.attempted_at),
        status_code=row.status_code,
        latency_ms=row.latency_ms,
        error=row.error or "",
        response_excerpt=row.response_excerpt or "",
    )


def delivery_to_proto(
    row: WebhookDelivery, attempts: list[WebhookAttempt] | None = None
) -> notifier_pb2.WebhookDelivery:
    return notifier_pb2.WebhookDelivery(
        id=str(row.id),
        event_id=str(row.event_id),
        event_type=row.event_type,
        status=row.status,
        attempts=row.attempts,
        # As the REST answer: a settled delivery has no next attempt.
        next_attempt_at=proto_time(row.next_attempt_at) if row.status == "pending" else "",
        retry_until=proto_time(row.retry_until),
        last_status_code=row.last_status_code,
        last_error=row.last_error or "",
        delivered_at=proto_time(row.delivered_at),
        created_at=proto_time(row.created_at),
        attempt_log=[_attempt_to_proto(a) for a in attempts or []],
    )


def _patch(request: notifier_pb2.UpdateWebhookRequest) -> WebhookPatch:
    """The fields the request carries, checked as the REST PATCH checks its body."""
    fields: dict[str, object] = {name: getattr(request, name) for name in _SCALARS if request.HasField(name)}
    fields |= {name: list(getattr(request, name).values) for name in _LISTS if request.HasField(name)}
    return validated(WebhookPatch, fields)


class NotifierServicer(notifier_pb2_grpc.NotifierServiceServicer):
    def __init__(self, commands: NotifierCommands) -> None:
        self.commands = commands

    async def ListWebhooks(
        self, request: notifier_pb2.ListWebhooksRequest, context: _Context
    ) -> notifier_pb2.ListWebhooksResponse:
        return notifier_pb2.ListWebhooksResponse(
            webhooks=[webhook_to_proto(s) for s in await self.commands.list()]
        )

    async def CreateWebhook(
        self, request: notifier_pb2.CreateWebhookRequest, context: _Context
    ) -> notifier_pb2.CreateWebhookResponse:
        fields: dict[str, object] = {"url": request.url, "description": request.description}
        fields |= {name: list(getattr(request, name)) for name in _LISTS}
        fields |= {"active": request.active} if request.HasField("active") else {}
        body = validated(WebhookCreate, fields | {"allow_internal": request.allow_internal})
        subscription = await self.commands.create(body)
        return notifier_pb2.CreateWebhookResponse(
            webhook=webhook_to_proto(subscription), secret=subscription.secret
        )

    async def UpdateWebhook(
        self, request: notifier_pb2.UpdateWebhookRequest, context: _Context
    ) -> notifier_pb2.UpdateWebhookResponse:
        webhook_id = parse_uuid(request.webhook_id, "webhook_id")
        subscription = await self.commands.update(webhook_id, _patch(request))
        return notifier_pb2.UpdateWebhookResponse(webhook=webhook_to_proto(subscription))

    async def DeleteWebhook(
        self, request: notifier_pb2.DeleteWebhookRequest, context: _Context
    ) -> notifier_pb2.DeleteWebhookResponse:
        await self.commands.delete(parse_uuid(request.webhook_id, "webhook_id"))
        return notifier_pb2.DeleteWebhookResponse()

    async def RotateWebhookSecret(
        self, request: notifier_pb2.RotateWebhookSecretRequest, context: _Context
    ) -> notifier_pb2.RotateWebhookSecretResponse:
        subscription = await self.commands.rotate_secret(parse_uuid(request.webhook_id, "webhook_id"))
        return notifier_pb2.RotateWebhookSecretResponse(
            webhook=webhook_to_proto(subscription),
            secret=subscription.secret,
            previous_secret_expires_at=proto_time(subscription.previous_secret_expires_at),
        )

    async def ListWebhookDeliveries(
        self, request: notifier_pb2.ListWebhookDeliveriesRequest, context: _Context
    ) -> notifier_pb2.ListWebhookDeliveriesResponse:
        webhook_id = parse_uuid(request.webhook_id, "webhook_id")
        fields: dict[str, object] = {"status": request.status or None, "limit": request.limit or 50}
        rows = await self.commands.deliveries(webhook_id, validated(DeliveryFilter, fields))
        return notifier_pb2.ListWebhookDeliveriesResponse(
            deliveries=[delivery_to_proto(d, attempts) for d, attempts in rows]
        )

    async def RedeliverWebhook(
        self, request: notifier_pb2.RedeliverWebhookRequest, context: _Context
    ) -> notifier_pb2.RedeliverWebhookResponse:
        webhook_id = parse_uuid(request.webhook_id, "webhook_id")
        delivery = await self.commands.redeliver(webhook_id, parse_uuid(request.delivery_id, "delivery_id"))
        return notifier_pb2.RedeliverWebhookResponse(delivery=delivery_to_proto(delivery))
