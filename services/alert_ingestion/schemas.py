"""What senders POST: one alert, or a batch."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

Severity = Literal["critical", "high", "warning", "info"]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LabelKey = Annotated[str, StringConstraints(min_length=1, max_length=200)]
LabelValue = Annotated[str, StringConstraints(max_length=4096)]


def _lower(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


def _bounded(mapping: dict[str, str]) -> dict[str, str]:
    if len(mapping) > 100:
        raise ValueError("at most 100 entries")
    return mapping


class AlertIn(BaseModel):
    """One alert. `summary` may be sent as `message`; severity is case-insensitive."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    service: Name | None = Field(default=None, description="required without a key; a key decides it")
    severity: Annotated[Severity, Field(description="critical | high | warning | info")]
    summary: str = Field(min_length=1, max_length=1024, validation_alias=AliasChoices("summary", "message"))
    source: str = Field(default="", max_length=200)
    labels: Annotated[dict[LabelKey, LabelValue], AfterValidator(_bounded)] = Field(default_factory=dict)
    annotations: Annotated[dict[LabelKey, LabelValue], AfterValidator(_bounded)] = Field(default_factory=dict)
    fingerprint: str | None = Field(default=None, min_length=1, max_length=256)
    timestamp: datetime | None = None

    @model_validator(mode="before")
    @classmethod
    def _normalise(cls, data: object) -> object:
        if isinstance(data, dict) and "severity" in data:
            data = {**data, "severity": _lower(data["severity"])}
        return data


class AlertBatchIn(BaseModel):
    alerts: list[AlertIn] = Field(min_length=1)


class AlertAccepted(BaseModel):
    """`result`: created | correlated | duplicate for a trigger; acknowledged | resolved when the source
    acknowledged or resolved an open alert; ignored (ids null) when it named none."""

    alert_id: str | None
    incident_id: str | None
    result: Literal["created", "correlated", "duplicate", "acknowledged", "resolved", "ignored"]
    fingerprint: str


class BatchAccepted(BaseModel):
    results: list[AlertAccepted]


class FormatAccepted(BatchAccepted):
    """What a format endpoint stored, and why any alert of the payload was refused."""

    errors: list[dict] = Field(default_factory=list)


class HeartbeatAccepted(BaseModel):
    service: str
    next_due_at: str
    recovered: bool
