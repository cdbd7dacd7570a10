"""Notifier API shapes: webhooks (secrets only in creation and rotation answers) and deliveries."""

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    field_serializer,
    model_validator,
)

from shared.events import INCIDENT_EVENT_TYPES, INCIDENT_TRIGGERED
from shared.text import InputModel, PatchModel
from shared.timeutil import rfc3339

# The names of the platform's first design, still accepted, stored as what they now are.
EVENT_SYNONYMS = {"incident.new": INCIDENT_TRIGGERED}


def _known_event_type(value: str) -> str:
    """An event type the platform sends (or a synonym of one, stored as it), else the valid ones."""
    value = EVENT_SYNONYMS.get(value, value)
    if value not in INCIDENT_EVENT_TYPES:
        raise ValueError(f"unknown event type; valid: {', '.join(INCIDENT_EVENT_TYPES)}")
    return value


EventType = Annotated[str, Field(max_length=60), AfterValidator(_known_event_type)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Url = Annotated[AnyHttpUrl, Field(description="http(s) URL the events are POSTed to")]
DeliveryStatus = Literal["pending", "delivered", "dead"]


class _Body(InputModel):
    model_config = ConfigDict(extra="forbid")


class _Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    @field_serializer("*", when_used="json")
    def _times(self, value: object) -> object:
        return rfc3339(value) if isinstance(value, datetime) else value


class WebhookCreate(_Body):
    url: Url
    description: str = Field(default="", max_length=1000)
    event_types: list[EventType] = Field(default_factory=list, max_length=20, description="empty = all")
    services: list[Name] = Field(default_factory=list, max_length=200, description="empty = all")
    teams: list[Name] = Field(default_factory=list, max_length=200, description="empty = all")
    active: bool = True
    allow_internal: bool = Field(default=False, description="needs WEBHOOK_ALLOW_INTERNAL_TARGETS too")


class WebhookPatch(PatchModel):
    model_config = ConfigDict(extra="forbid")

    url: Url | None = None
    description: str | None = Field(default=None, max_length=1000)
    event_types: list[EventType] | None = Field(default=None, max_length=20)
    services: list[Name] | None = Field(default=None, max_length=200)
    teams: list[Name] | None = Field(default=None, max_length=200)
    active: bool | None = None
    allow_internal: bool | None = None


class WebhookRead(_Read):
    """A subscription as listed: never its secrets."""

    id: uuid.UUID
    url: str
    description: str
    event_types: list[str]
    services: list[str]
    teams: list[str]
    active: bool
    allow_internal: bool
    previous_secret_expires_at: datetime | None
    created_at: datetime
    updated_at: datetime


class WebhookCreated(WebhookRead):
    secret: str = Field(description="shown once: store it to verify signatures")


class SecretRotated(BaseModel):
    id: uuid.UUID
    secret: str = Field(description="the new secret, shown once")
    previous_secret_expires_at: str | None = Field(description="until then the old secret signs too")


class AttemptRead(_Read):
    attempted_at: datetime
    status_code: int | None
    latency_ms: float
    error: str | None
    response_excerpt: str | None = Field(
        description="the first 1,024 bytes of the receiver's answer as UTF-8 text (invalid bytes as U+FFFD, "
        "control characters as their Unicode pictures); null: an empty body, or no answer"
    )


class DeliveryRead(_Read):
    id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    retry_until: datetime
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime
    attempt_log: list[AttemptRead] = Field(default_factory=list)

    @model_validator(mode="after")
    def _no_next_attempt_when_settled(self) -> "DeliveryRead":
        if self.status != "pending":
            self.next_attempt_at = None
        return self


class DeliveryPage(BaseModel):
    deliveries: list[DeliveryRead]
    limit: int


class DeliveryFilter(InputModel):
    status: DeliveryStatus | None = None
    event_id: uuid.UUID | None = None
    limit: int = Field(default=50, ge=1, le=500)
