"""Notifier rules and use cases: who gets an event, retry schedule, secrets, subscription CRUD.

Rules take time (and randomness) as input; use cases run inside the caller's transaction.
"""

import random
import secrets
import uuid
from collections.abc import Set
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.notifier import repository as repo
from services.notifier.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from services.notifier.schemas import DeliveryFilter, WebhookCreate, WebhookPatch
from shared.errors import NotFound

SECRET_PREFIX = "whsec_"  # nosec B105 - a prefix of generated secrets, not one


@dataclass(frozen=True, slots=True)
class Recipient:
    email: str
    name: str | None


def new_secret() -> str:
    """A random signing secret (256 bits)."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signing_secrets(subscription: Any, now: datetime) -> list[str]:
    """The current secret, plus the previous one while its grace period lasts (of a subscription, or
    of any row with its `secret`, `previous_secret` and `previous_secret_expires_at`)."""
    expires = subscription.previous_secret_expires_at
    if subscription.previous_secret and expires is not None and now < expires:
        return [subscription.secret, subscription.previous_secret]
    return [subscription.secret]


def matches(subscription: Any, *, event_type: str, service: str, teams: Set[str]) -> bool:
    """Empty filters match everything; the service filter and the team filter must both pass (of a
    subscription, or of a row with its columns)."""
    if not subscription.active:
        return False
    if subscription.event_types and event_type not in subscription.event_types:
        return False
    if subscription.services and service not in subscription.services:
        return False
    return not subscription.teams or bool(teams & set(subscription.teams))


def backoff_seconds(attempt: int, *, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Exponential backoff with full jitter: uniform in [0, min(cap, base·2^(attempt-1))]."""
    ceiling = min(cap, base * 2 ** max(attempt - 1, 0))
    return (rng or random).uniform(0, ceiling)


def next_attempt(
    now: datetime, *, attempt: int, retry_until: datetime, base: float, cap: float
) -> datetime | None:
    """When to try again after failed attempt number `attempt`; None once the retry window is over."""
    if now >= retry_until:
        return None
    return min(now + timedelta(seconds=backoff_seconds(attempt, base=base, cap=cap)), retry_until)


def schedule_retry(row: Any, *, now: datetime, base: float, cap: float) -> None:
    """After a failed attempt of a webhook delivery: the next try, or dead past the window."""
    retry_at = next_attempt(now, attempt=row.attempts, retry_until=row.retry_until, base=base, cap=cap)
    if retry_at is None:
        row.status = "dead"
    else:
        row.next_attempt_at = retry_at


# Who did what an event says happened: the event's field naming them as the timeline does.
_ACTOR_FIELDS = {"incident.acknowledged": "acknowledged_by", "incident.resolved": "resolved_by"}


def recipients(data: dict[str, Any], event_type: str = "") -> list[Recipient]:
    """People an incident event is emailed to: the assignee and any escalation targets, once each, but
    not whoever acknowledged or resolved it themselves (they know)."""
    people = [data.get("assignee") or {}, *(data.get("escalation_targets") or [])]
    actor = data.get(_ACTOR_FIELDS.get(event_type, ""))
    seen: dict[str, Recipient] = {}
    for person in people:
        email = (person.get("email") or "").strip().lower() if isinstance(person, dict) else ""
        if email and email not in seen and not (actor and person.get("name") == actor):
            seen[email] = Recipient(email=email, name=person.get("name"))
    return list(seen.values())


_OUTCOMES = {"delivered": "delivered", "sent": "delivered", "pending": "failed", "dead": "dead"}


def notification_outcome(status: str) -> str:
    """A delivery's or an email's status after an attempt, as `notifications_sent_total` names it: pending
    again means the attempt failed and is retried later."""
    return _OUTCOMES.get(status, status)


def wants_email(*, enabled: bool, event_types: list[str], event_type: str) -> bool:
    """A user's rule: email on, and the type listed (an empty list means every type)."""
    return enabled and (not event_types or event_type in event_types)


async def get_subscription(session: AsyncSession, subscription_id: uuid.UUID) -> WebhookSubscription:
    subscription = await repo.get_subscription(session, subscription_id=subscription_id)
    if subscription is None:
        raise NotFound(f"webhook {subscription_id} not found", field="id")
    return subscription


def create_subscription(
    session: AsyncSession, body: WebhookCreate, *, endpoint: str, now: datetime
) -> WebhookSubscription:
    fields = body.model_dump() | {"url": str(body.url), "endpoint": endpoint}
    return repo.create_subscription(session, fields=fields, secret=new_secret(), now=now)


async def update_subscription(
    session: AsyncSession,
    subscription_id: uuid.UUID,
    patch: WebhookPatch,
    *,
    endpoint: str | None,
    now: datetime,
) -> WebhookSubscription:
    subscription = await get_subscription(session, subscription_id)
    for name, value in patch.model_dump(exclude_none=True).items():
        setattr(subscription, name, str(value) if name == "url" else value)
    if endpoint is not None:
        subscription.endpoint = endpoint
    subscription.updated_at = now
    return subscription


async def rotate_secret(
    session: AsyncSession, subscription_id: uuid.UUID, *, grace_seconds: float, now: datetime
) -> WebhookSubscription:
    """A new secret; the old one keeps signing (second v1) for the grace period."""
    subscription = await get_subscription(session, subscription_id)
    subscription.previous_secret = subscription.secret
    subscription.previous_secret_expires_at = now + timedelta(seconds=grace_seconds)
    subscription.secret = new_secret()
    subscription.updated_at = now
    return subscription


async def delete_subscription(session: AsyncSession, subscription_id: uuid.UUID) -> None:
    if not await repo.delete_subscription(session, subscription_id=subscription_id):
        raise NotFound(f"webhook {subscription_id} not found", field="id")


DeliveriesWithAttempts = list[tuple[WebhookDelivery, list[WebhookAttempt]]]


async def list_deliveries(
    session: AsyncSession, subscription_id: uuid.UUID, query: DeliveryFilter
) -> DeliveriesWithAttempts:
    """Newest deliveries of a subscription, each with its attempts."""
    await get_subscription(session, subscription_id)
    deliveries = await repo.list_deliveries(
        session,
        subscription_id=subscription_id,
        status=query.status,
        event_id=query.event_id,
        limit=query.limit,
    )
    attempts = await repo.list_attempts(session, delivery_ids=[d.id for d in deliveries])
    return [(d, attempts.get(d.id, [])) for d in deliveries]


async def redeliver(
    session: AsyncSession,
    subscription_id: uuid.UUID,
    delivery_id: uuid.UUID,
    *,
    retry_seconds: float,
    now: datetime,
) -> WebhookDelivery:
    """Send a delivery again now (delivered, dead or waiting alike), with a fresh retry window."""
    delivery = await repo.get_delivery(session, subscription_id=subscription_id, delivery_id=delivery_id)
    if delivery is None:
        raise NotFound(f"delivery {delivery_id} of webhook {subscription_id} not found", field="id")
    delivery.status = "pending"
    delivery.next_attempt_at = now
    delivery.retry_until = now + timedelta(seconds=retry_seconds)
    return delivery
