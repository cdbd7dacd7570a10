"""Integration types and their per-integration configuration, shared by incident-management (which
validates and stores it) and alert-ingestion (which parses each format with it)."""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter

Severity = Literal["critical", "high", "warning", "info"]
Action = Literal["trigger", "acknowledge", "resolve"]
IntegrationType = Literal["api", "alertmanager", "grafana", "pagerduty", "webhook", "heartbeat"]
Path = Annotated[str, StringConstraints(min_length=1, max_length=500)]

# Words monitoring tools use for severities, mapped onto ours. PagerDuty's `error` is our `high`.
SEVERITY_ALIASES: dict[str, Severity] = {
    "critical": "critical",
    "crit": "critical",
    "fatal": "critical",
    "emergency": "critical",
    "page": "critical",
    "p1": "critical",
    "high": "high",
    "error": "high",
    "err": "high",
    "major": "high",
    "p2": "high",
    "warning": "warning",
    "warn": "warning",
    "minor": "warning",
    "medium": "warning",
    "p3": "warning",
    "info": "info",
    "informational": "info",
    "low": "info",
    "none": "info",
    "ok": "info",
    "p4": "info",
}


def map_severity(value: object, *, extra: dict[str, Severity], default: Severity) -> Severity:
    """The sender's word for a severity, through the integration's own map, then the common aliases."""
    word = str(value).strip().lower() if value is not None else ""
    return extra.get(word) or SEVERITY_ALIASES.get(word) or default


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NoConfig(_Config):
    """`api` and `pagerduty` integrations need no configuration."""


class LabelConfig(_Config):
    """Alertmanager and Grafana: which labels carry the severity and the component."""

    severity_label: str = Field(default="severity", min_length=1)
    component_labels: list[str] = Field(default_factory=lambda: ["service", "job"])
    severity_map: dict[str, Severity] = Field(default_factory=dict)
    # Alertmanager's own PagerDuty receiver sends `error` when no severity is set; we do the same.
    default_severity: Severity = "high"


class WebhookConfig(_Config):
    """Generic webhook: where each field is in the sender's JSON (JSON pointer `/a/0/b` or dotted `a.0.b`)."""

    summary: Path
    severity: Path | None = None
    dedup_key: Path | None = None
    component: Path | None = None
    action: Path | None = None
    action_map: dict[str, Action] = Field(default_factory=dict)
    severity_map: dict[str, Severity] = Field(default_factory=dict)
    default_severity: Severity = "high"


class HeartbeatConfig(_Config):
    interval_seconds: int = Field(ge=1, le=7 * 86400)
    grace_seconds: int = Field(default=60, ge=0, le=86400)


CONFIG_MODELS: dict[str, type[_Config]] = {
    "api": NoConfig,
    "pagerduty": NoConfig,
    "alertmanager": LabelConfig,
    "grafana": LabelConfig,
    "webhook": WebhookConfig,
    "heartbeat": HeartbeatConfig,
}

_ADAPTERS = {kind: TypeAdapter(model) for kind, model in CONFIG_MODELS.items()}


def parse_config(kind: str, config: dict[str, Any]) -> _Config:
    """The typed configuration of an integration of `kind`; raises pydantic.ValidationError."""
    return _ADAPTERS[kind].validate_python(config)
