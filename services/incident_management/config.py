"""Settings of incident-management."""

from pydantic import Field

from shared.config import AuthSettings, BaseServiceSettings
from shared.retention import RetentionSettings


class IncidentSettings(BaseServiceSettings, AuthSettings, RetentionSettings):
    service_name: str = "incident-management"
    http_host: str = "127.0.0.1"
    http_port: int = 8002
    grpc_port: int = 18052
    oncall_grpc_target: str = "127.0.0.1:18053"
    correlation_window_seconds: int = Field(default=300, ge=0)
    oncall_timeout_seconds: float = Field(default=1.0, gt=0)
    oncall_cache_seconds: float = Field(
        default=2.0,
        ge=0,
        description="how long an answer of on-call (who is on call, a policy level) is reused (0: never)",
    )
    inline_paging_timeout_seconds: float = Field(
        default=0.5,
        gt=0,
        description="how long an ingest transaction waits for on-call to page its new incidents before "
        "leaving them to the assignment retry worker",
    )
    assignment_retry_seconds: float = Field(default=10.0, gt=0)
    outbox_poll_seconds: float = Field(default=1.0, gt=0)
    heartbeat_check_seconds: float = Field(
        default=5.0, gt=0, description="how often overdue heartbeats are looked for"
    )
    analytics_fold_seconds: float = Field(
        default=10.0,
        gt=0,
        description="how often the analytics sums and status counts appended as incidents change are folded",
    )
    # A level without its own delay waits this long before the next one (ESCALATION_TIMEOUT_SECONDS).
    escalation_timeout_seconds: float = Field(default=120.0, gt=0)
    # An acknowledged incident not resolved within this time is re-opened and escalates again; 0: never.
    acknowledgement_timeout_seconds: float = Field(default=0.0, ge=0)
    # The escalation worker sleeps until the earliest deadline; this is its safety-net poll.
    escalation_poll_seconds: float = Field(default=2.0, gt=0)
    require_integration_key: bool = Field(
        default=True,
        description="refuse IngestAlert calls without a routing key (false: keyless alerts name a service)",
    )
    ingest_lanes: int = Field(
        default=2, ge=1, le=64, description="transactions storing single alerts at once (group commit)"
    )
    retention_days: float = Field(
        default=90.0, gt=0, description="resolved incidents (their alerts, timeline) are kept this long"
    )
    outbox_retention_hours: float = Field(
        default=24.0, gt=0, description="outbox events are kept this long after the relay published them"
    )
