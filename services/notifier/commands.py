"""The unit of work of the webhook API: one transaction per command, then after-commit work."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.notifier import domain, url_guard
from services.notifier import repository as repo
from services.notifier.config import NotifierSettings
from services.notifier.models import WebhookDelivery, WebhookSubscription
from services.notifier.schemas import DeliveryFilter, WebhookCreate, WebhookPatch
from shared.timeutil import utcnow


@dataclass
class NotifierCommands:
    sessions: async_sessionmaker[AsyncSession]
    settings: NotifierSettings
    wake_deliveries: Callable[[], None]

    async def _checked_endpoint(self, url: str, allow_internal: bool) -> str:
        """The URL's host:port, or InvalidInput when it points at an internal service without permission."""
        allowed = allow_internal and self.settings.webhook_allow_internal_targets
        return await url_guard.check_target(
            url, allow_internal=allowed, platform_ports=self.settings.webhook_platform_ports
        )

    async def create(self, body: WebhookCreate) -> WebhookSubscription:
        endpoint = await self._checked_endpoint(str(body.url), body.allow_internal)
        async with self.sessions.begin() as session:
            return domain.create_subscription(session, body, endpoint=endpoint, now=utcnow())

    async def list(self) -> list[WebhookSubscription]:
        async with self.sessions() as session:
            return list(await repo.list_subscriptions(session))

    async def get(self, subscription_id: uuid.UUID) -> WebhookSubscription:
        async with self.sessions() as session:
            return await domain.get_subscription(session, subscription_id)

    async def update(self, subscription_id: uuid.UUID, patch: WebhookPatch) -> WebhookSubscription:
        async with self.sessions.begin() as session:
            current = await domain.get_subscription(session, subscription_id)
            url = str(patch.url) if patch.url is not None else current.url
            allow = current.allow_internal if patch.allow_internal is None else patch.allow_internal
            endpoint = await self._checked_endpoint(url, allow)
            return await domain.update_subscription(
                session, subscription_id, patch, endpoint=endpoint, now=utcnow()
            )

    async def delete(self, subscription_id: uuid.UUID) -> None:
        async with self.sessions.begin() as session:
            await domain.delete_subscription(session, subscription_id)

    async def rotate_secret(self, subscription_id: uuid.UUID) -> WebhookSubscription:
        async with self.sessions.begin() as session:
            return await domain.rotate_secret(
                session,
                subscription_id,
                grace_seconds=self.settings.webhook_secret_grace_seconds,
                now=utcnow(),
            )

    async def deliveries(
        self, subscription_id: uuid.UUID, query: DeliveryFilter
    ) -> domain.DeliveriesWithAttempts:
        async with self.sessions() as session:
            return await domain.list_deliveries(session, subscription_id, query)

    async def redeliver(self, subscription_id: uuid.UUID, delivery_id: uuid.UUID) -> WebhookDelivery:
        async with self.sessions.begin() as session:
            delivery = await domain.redeliver(
                session,
                subscription_id,
                delivery_id,
                retry_seconds=self.settings.webhook_retry_seconds,
                now=utcnow(),
            )
        self.wake_deliveries()
        return delivery
