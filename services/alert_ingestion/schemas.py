"""What senders POST: one alert, or a batch."""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    model_validator,
)

from services.alert_ingestion.limits import (
    MAX_ENTRIES,
    MAX_FINGERPRINT,
    MAX_KEY,
    MAX_SOURCE,
    MAX_SUMMARY,
    MAX_VALUE,
)
from shared.text import InputModel

Severity = Literal["critical", "high", "warning", "info"]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LabelKey = Annotated[str, StringConstraints(min_length=1, max_length=MAX_KEY)]
LabelValue = Annotated[str, StringConstraints(max_length=MAX_VALUE)]


def _lower(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


def _bounded(mapping: dict[str, str]) -> dict[str, str]:
    if len(mapping) > MAX_ENTRIES:
        raise ValueError(f"at most {MAX_ENTRIES} entries")
    return mapping


class AlertIn(InputModel):
    """One alert. `summary` may be sent as `message`; severity is case-insensitive."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    service: Name | None = Field(default=None, description="required without a key; a key decides it")
    severity: Annotated[Severity, Field(description="critical | high | warning | info")]
    summary: str = Field(
        min_length=1, max_length=MAX_SUMMARY, validation_alias=AliasChoices("summary", "message")
    )
    source: str = Field(default="", max_length=MAX_SOURCE)
    labels: Annotated[dict[LabelKey, LabelValue], AfterValidator(_bounded)] = Field(default_factory=dict)
    annotations: Annotated[dict[LabelKey, LabelValue], AfterValidator(_bounded)] = Field(default_factory=dict)
    fingerprint: str | None = Field(default=None, min_length=1, max_length=MAX_FINGERPRINT)
    timestamp: datetime | None = None

    @model_validator(mode="before")
    @classmethod
    def _normalise(cls, data: object) -> object:
        if isinstance(data, dict) and "severity" in data:
            data = {**data, "severity": _lower(data["severity"])}
        return data


class AlertBatchIn(InputModel):
    """Each alert is checked on its own (`AlertIn`), so one that is refused does not sink the others."""

    alerts: list[dict[str, Any]] = Field(
        min_length=1, json_schema_extra={"items": AlertIn.model_json_schema()}
    )

    @classmethod
    def _storable(cls, value: object, info: ValidationInfo) -> object:
        return value  # AlertIn checks each alert, naming it


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

    errors: list[dict[str, str]] = Field(default_factory=list)


class HeartbeatAccepted(BaseModel):
    service: str
    next_due_at: str
    recovered: bool
