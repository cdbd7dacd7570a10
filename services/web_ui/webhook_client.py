"""What the webhooks page asks the notifier over gRPC: webhooks, their secrets, delivery logs and
redelivery. Writes name the person they act for (the audit log)."""

import grpc

from shared.audit import identity_metadata
from shared.auth import Identity
from shared.gen.oncall.v1 import notifier_pb2, notifier_pb2_grpc
from shared.rpc import Method, Reply, call


class WebhookClient:
    def __init__(self, channel: grpc.aio.Channel, *, timeout: float) -> None:
        self._stub = notifier_pb2_grpc.NotifierServiceStub(channel)
        self._timeout = timeout

    async def _read(self, method: Method[Reply], request: object) -> Reply:
        return await call(method, request, deadline=self._timeout, idempotent=True)

    async def _write(self, method: Method[Reply], request: object, actor: Identity, ip: str | None) -> Reply:
        acting = identity_metadata(actor, ip)
        return await call(method, request, deadline=self._timeout, metadata=acting)

    async def webhooks(self) -> list[notifier_pb2.Webhook]:
        reply: notifier_pb2.ListWebhooksResponse = await self._read(
            self._stub.ListWebhooks, notifier_pb2.ListWebhooksRequest()
        )
        return list(reply.webhooks)

    async def create(
        self,
        *,
        url: str,
        description: str,
        event_types: list[str],
        allow_internal: bool,
        actor: Identity,
        ip: str | None,
    ) -> notifier_pb2.CreateWebhookResponse:
        """The webhook and its secret (shown once)."""
        request = notifier_pb2.CreateWebhookRequest(
            url=url, description=description, event_types=event_types, allow_internal=allow_internal
        )
        reply: notifier_pb2.CreateWebhookResponse = await self._write(
            self._stub.CreateWebhook, request, actor, ip
        )
        return reply

    async def update(
        self,
        webhook_id: str,
        *,
        actor: Identity,
        ip: str | None,
        event_types: list[str] | None = None,
        active: bool | None = None,
    ) -> None:
        """Change the event types and/or whether it is active (None: unchanged)."""
        request = notifier_pb2.UpdateWebhookRequest(webhook_id=webhook_id)
        if active is not None:
            request.active = active
        if event_types is not None:
            request.event_types.values.extend(event_types)
            request.event_types.SetInParent()  # an empty list (every type) is a change too
        await self._write(self._stub.UpdateWebhook, request, actor, ip)

    async def delete(self, webhook_id: str, *, actor: Identity, ip: str | None) -> None:
        request = notifier_pb2.DeleteWebhookRequest(webhook_id=webhook_id)
        await self._write(self._stub.DeleteWebhook, request, actor, ip)

    async def rotate_secret(
        self, webhook_id: str, *, actor: Identity, ip: str | None
    ) -> notifier_pb2.RotateWebhookSecretResponse:
        """The new secret (shown once) and until when the old one still signs."""
        request = notifier_pb2.RotateWebhookSecretRequest(webhook_id=webhook_id)
        reply: notifier_pb2.RotateWebhookSecretResponse = await self._write(
            self._stub.RotateWebhookSecret, request, actor, ip
        )
        return reply

    async def deliveries(
        self, webhook_id: str, *, status: str, limit: int
    ) -> list[notifier_pb2.WebhookDelivery]:
        """Newest first, each with its attempts; `status` '' for any."""
        request = notifier_pb2.ListWebhookDeliveriesRequest(webhook_id=webhook_id, status=status, limit=limit)
        reply: notifier_pb2.ListWebhookDeliveriesResponse = await self._read(
            self._stub.ListWebhookDeliveries, request
        )
        return list(reply.deliveries)

    async def redeliver(self, webhook_id: str, delivery_id: str, *, actor: Identity, ip: str | None) -> None:
        request = notifier_pb2.RedeliverWebhookRequest(webhook_id=webhook_id, delivery_id=delivery_id)
        await self._write(self._stub.RedeliverWebhook, request, actor, ip)
