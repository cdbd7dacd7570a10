"""Incident API shapes."""

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
    computed_field,
    field_serializer,
    field_validator,
    model_validator,
)

from shared.http import PageOffset
from shared.integrations import IntegrationType, parse_config
from shared.text import InputModel, PatchModel
from shared.timeutil import Instant, rfc3339

Severity = Literal["critical", "high", "warning", "info"]
Status = Literal["open", "acknowledged", "resolved"]
# created | correlated | duplicate for triggers; what a source's acknowledge/resolve did; ignored when it
# named no open alert.
IngestOutcome = Literal["created", "correlated", "duplicate", "acknowledged", "resolved", "ignored"]
Action = Literal["trigger", "acknowledge", "resolve"]


@dataclass(frozen=True, slots=True)
class AlertInput:
    """A validated, normalised alert as ingestion hands it over."""

    service: str
    severity: str
    summary: str
    fingerprint: str
    source: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    occurred_at: datetime | None = None
    action: Action = "trigger"
    integration_id: uuid.UUID | None = None
    # The W3C trace context of the request that sent it: its events continue that trace, even when a
    # group of alerts from many requests is stored in one transaction.
    traceparent: str = ""


@dataclass(frozen=True, slots=True)
class IngestResult:
    alert_id: uuid.UUID | None
    incident_id: uuid.UUID | None
    result: IngestOutcome
    fingerprint: str = ""  # the alert's, as stored (derived from its key's service when not given)


class _Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    @field_serializer("*", when_used="json")
    def _times(self, value: object) -> object:
        return rfc3339(value) if isinstance(value, datetime) else value


class Assignee(BaseModel):
    id: uuid.UUID
    name: str | None = None
    email: str | None = None


class IncidentRead(_Read):
    id: uuid.UUID
    title: str
    service: str
    severity: Severity
    status: Status
    assigned_to: uuid.UUID | None
    assignee_name: str | None = Field(default=None, exclude=True)
    assignee_email: str | None = Field(default=None, exclude=True)
    alert_count: int
    duplicate_count: int
    created_at: datetime
    updated_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    resolved_at: datetime | None
    resolved_by: str | None
    mtta_seconds: float | None
    mttr_seconds: float | None
    escalation_policy_id: uuid.UUID | None = None
    escalation_level: int = Field(
        default=0, description="0-based level last paged; -1: about to page the first"
    )
    escalation_cycle: int = 0
    next_escalation_at: datetime | None = None
    snoozed_until: datetime | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def assignee(self) -> Assignee | None:
        """The assigned user with the name and email on-call gave us."""
        if self.assigned_to is None:
            return None
        return Assignee(id=self.assigned_to, name=self.assignee_name, email=self.assignee_email)


class AlertRead(_Read):
    id: uuid.UUID
    fingerprint: str
    service: str
    severity: Severity
    summary: str
    source: str
    labels: dict[str, str]
    annotations: dict[str, str]
    occurred_at: datetime
    received_at: datetime
    last_seen_at: datetime
    duplicate_count: int


class TimelineRead(_Read):
    at: datetime
    actor: str
    kind: str
    message: str


class IncidentDetail(IncidentRead):
    alerts: list[AlertRead]
    timeline: list[TimelineRead]


class IncidentPage(BaseModel):
    incidents: list[IncidentRead]
    limit: int
    offset: int
    total: int
    more: bool


IncidentSort = Literal["triage", "newest", "oldest", "severity"]


class IncidentFilter(InputModel):
    """`newest` first by default; `triage`: open first, then the most severe, then the newest."""

    status: Status | None = None
    severity: Severity | None = None
    service: str | None = Field(default=None, max_length=200)
    team: str | None = Field(default=None, max_length=200)
    assignee: uuid.UUID | None = None
    text: str | None = Field(default=None, max_length=200)
    since: datetime | None = None
    until: datetime | None = None
    sort: IncidentSort = "newest"
    limit: int = Field(default=50, ge=1, le=500)
    offset: PageOffset = 0


class IncidentDeclare(InputModel):
    """An incident a person opens by hand; it is stored and paged as an alert's incident is."""

    model_config = ConfigDict(extra="forbid")
    service: str = Field(min_length=1, max_length=200)
    severity: Severity
    title: str = Field(min_length=1, max_length=500)
    description: str = Field(default="", max_length=10_000)


class IncidentPatch(PatchModel):
    """Partial update: move the status, change the assignee, add a note (any combination)."""

    model_config = ConfigDict(extra="forbid")
    status: Status | None = None
    assigned_to: uuid.UUID | None = None
    note: str | None = Field(default=None, min_length=1, max_length=10_000)


# --- services and integrations -------------------------------------------------------------------

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class ServiceCreate(InputModel):
    model_config = ConfigDict(extra="forbid")
    name: Name
    description: str = Field(default="", max_length=10_000)
    team: Name | None = None
    escalation_policy_id: uuid.UUID | None = None
    auto_resolve: bool = True


class ServicePatch(PatchModel):
    model_config = ConfigDict(extra="forbid")
    nullable = frozenset({"team", "escalation_policy_id"})  # null takes the service off them
    name: Name | None = None
    description: str | None = Field(default=None, max_length=10_000)
    team: Name | None = None
    escalation_policy_id: uuid.UUID | None = None
    auto_resolve: bool | None = None


class ServiceRead(_Read):
    id: uuid.UUID
    name: str
    description: str
    team: str | None
    escalation_policy_id: uuid.UUID | None
    auto_resolve: bool
    created_at: datetime


class IntegrationCreate(InputModel):
    """`config` is checked against the type's model (shared/integrations.py); errors name the field."""

    model_config = ConfigDict(extra="forbid")
    name: Name
    type: IntegrationType
    config: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check_config(self) -> "IntegrationCreate":
        self.config = parse_config(self.type, self.config).model_dump()
        return self


class IntegrationRead(_Read):
    id: uuid.UUID
    service_id: uuid.UUID
    name: str
    type: IntegrationType
    key_hint: str = Field(description="the first characters of the key, to tell keys apart")
    config: dict[str, Any]
    created_at: datetime
    revoked_at: datetime | None


class IntegrationCreated(IntegrationRead):
    key: str = Field(description="the routing key; shown only in this answer")


class ReassignBody(InputModel):
    """To a user (escalation goes on unless they acknowledge) or to a policy (from its first level)."""

    model_config = ConfigDict(extra="forbid")
    user_id: uuid.UUID | None = None
    escalation_policy_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _one_target(self) -> "ReassignBody":
        if (self.user_id is None) == (self.escalation_policy_id is None):
            raise ValueError("give exactly one of user_id or escalation_policy_id")
        return self


class SnoozeBody(InputModel):
    model_config = ConfigDict(extra="forbid")
    until: Instant


# --- analytics -------------------------------------------------------------------------------------

GroupBy = Literal["service", "severity", "day", "week", "month"]
MAX_ANALYTICS_DAYS = 366


class AnalyticsQuery(InputModel):
    """Incidents created in [since, until) (default: the last 30 days), optionally of one service or
    severity, summed up and, with `group_by`, per service, severity or calendar bucket in `time_zone`."""

    model_config = ConfigDict(extra="forbid")
    since: Instant | None = None
    until: Instant | None = None
    service: str | None = Field(default=None, max_length=200)
    severity: Severity | None = None
    group_by: GroupBy | None = None
    time_zone: str = Field(default="UTC", max_length=64, description="IANA zone of day/week/month buckets")

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ValueError, ZoneInfoNotFoundError):
            raise ValueError(f"unknown time zone {value!r} (an IANA name such as Europe/Paris)") from None
        return value


class IncidentMetrics(BaseModel):
    """Named as PagerDuty's analytics API names them; a mean is null when no incident had the event.
    `total_incidents_open`: not resolved (open or acknowledged)."""

    total_incident_count: int
    total_incidents_open: int
    total_incidents_acknowledged: int
    total_incidents_resolved: int
    total_incidents_escalated: int
    total_alert_count: int
    mean_seconds_to_first_ack: float | None
    mean_seconds_to_resolve: float | None


class MetricsGroup(IncidentMetrics):
    key: str = Field(description="the service, the severity, or the bucket's start (RFC 3339)")


class IncidentAnalytics(BaseModel):
    since: str
    until: str
    service: str | None
    severity: Severity | None
    group_by: GroupBy | None
    time_zone: str
    totals: IncidentMetrics
    groups: list[MetricsGroup]


# A length of time as the analytics API takes it: a whole number of minutes, hours, days or weeks.
DURATION_UNITS = {
    "w": timedelta(weeks=1),
    "d": timedelta(days=1),
    "h": timedelta(hours=1),
    "m": timedelta(minutes=1),
}
_DURATION = re.compile(r"([1-9][0-9]{0,5})([mhdw])")
MIN_DURATION, MAX_DURATION = timedelta(minutes=1), timedelta(days=MAX_ANALYTICS_DAYS)


def parse_duration(value: object) -> timedelta:
    """`15m`, `1h`, `7d`, `2w` → timedelta, between a minute and MAX_ANALYTICS_DAYS."""
    matched = _DURATION.fullmatch(value) if isinstance(value, str) else None
    if matched is None:
        raise ValueError("a duration such as 15m, 1h, 7d or 2w (minutes, hours, days, weeks)")
    length = int(matched[1]) * DURATION_UNITS[matched[2]]
    if not MIN_DURATION <= length <= MAX_DURATION:
        raise ValueError(f"from 1m to {MAX_ANALYTICS_DAYS}d")
    return length


def duration_text(length: timedelta) -> str:
    """`length` in the largest of days, hours and minutes that divides it (`168h` and `1w` → `7d`)."""
    unit = next(u for u in "dhm" if length % DURATION_UNITS[u] == timedelta(0))
    return f"{length // DURATION_UNITS[unit]}{unit}"


Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(duration_text, return_type=str),
    WithJsonSchema({"type": "string", "pattern": "^[1-9][0-9]{0,5}[mhdw]$", "examples": ["1h", "7d"]}),
]
MAX_TREND_BUCKETS = 1000


class TrendQuery(InputModel):
    """Incidents counted per `bucket` over `period`, in whole buckets: the last one ends at `until` or
    holds it (and counts up to `until`)."""

    model_config = ConfigDict(extra="forbid")
    period: Duration = Field(
        default="7d", validate_default=True, description="how far back, e.g. 24h, 7d, 30d"
    )
    bucket: Duration = Field(
        default="1h",
        validate_default=True,
        description=f"one bucket's length; at most {MAX_TREND_BUCKETS} buckets",
    )
    until: Instant | None = Field(default=None, description="the end of the period (default: now)")


class SeverityCounts(BaseModel):
    total: int
    critical: int
    high: int
    warning: int
    info: int


class TrendBucket(SeverityCounts):
    """Buckets start at whole multiples of their length from 0001-01-01 UTC (a day at UTC midnight, a
    week on Monday)."""

    start: str = Field(description="the bucket's start (RFC 3339)")


class IncidentTrends(BaseModel):
    period: str
    bucket: str
    since: str = Field(description="the first bucket's start")
    until: str
    totals: SeverityCounts
    buckets: list[TrendBucket] = Field(description="every bucket of the period, oldest first, with zeros")


class DistributionQuery(InputModel):
    """Incidents created in the `period` before `until`."""

    model_config = ConfigDict(extra="forbid")
    period: Duration = Field(
        default="30d", validate_default=True, description="how far back, e.g. 24h, 7d, 30d"
    )
    until: Instant | None = Field(default=None, description="the end of the period (default: now)")


class DurationBucket(BaseModel):
    """The incidents whose time is at least `from_seconds` and less than `to_seconds`."""

    from_seconds: float
    to_seconds: float | None = Field(description="null: no upper bound")
    count: int


class TimeDistribution(BaseModel):
    """One measure over the period's incidents that have it (MTTA: acknowledged, MTTR: resolved);
    percentiles interpolate linearly between the two nearest values (PostgreSQL's `percentile_cont`)."""

    count: int
    p50_seconds: float | None
    p90_seconds: float | None
    p99_seconds: float | None
    buckets: list[DurationBucket]


class ResponseDistribution(BaseModel):
    period: str
    since: str
    until: str
    mtta: TimeDistribution
    mttr: TimeDistribution
