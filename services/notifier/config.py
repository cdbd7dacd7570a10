"""Settings of the notifier."""

from typing import Literal

from pydantic import Field, SecretStr, field_validator

from shared.config import AuthSettings, BaseServiceSettings
from shared.retention import RetentionSettings

# Ports of the platform's own processes (native stack and compose): never webhook targets by default.
PLATFORM_PORTS = [80, 1025, 5432, 6379, 8000, 8001, 8002, 8003, 8004, 8005, 8025, 8080]
PLATFORM_PORTS += [
    3000,
    3100,
    4317,
    4318,
    9090,
    9092,
    16686,
]  # Grafana, Loki, OTLP, exporter, Prometheus, Jaeger
PLATFORM_PORTS += [18052, 18053, 18054, 15432, 16379]  # gRPC and the embedded servers
_PLACEHOLDERS = {"change-me", "changeme", "password", "secret"}


class NotifierSettings(BaseServiceSettings, AuthSettings, RetentionSettings):
    service_name: str = "notifier"
    http_host: str = "127.0.0.1"
    http_port: int = 8004
    grpc_port: int = Field(default=18054, description="NotifierService: the dashboard's webhook pages")
    oncall_grpc_target: str = "127.0.0.1:18053"
    # incident-management's services catalogue: the teams of a service, for subscriptions' team filter
    incident_grpc_target: str = "127.0.0.1:18052"
    oncall_timeout_seconds: float = Field(default=2.0, gt=0)
    oncall_cache_seconds: float = Field(
        default=2.0,
        ge=0,
        description="reuse people's notification rules and services' teams this long; 0: ask each time",
    )
    # Link in emails: <PUBLIC_BASE_URL>/incidents/<id>
    public_base_url: str = "http://127.0.0.1:8000"

    # Stream consumption
    consumer_group: str = "notifier"
    consumer_group_start: str = Field(
        default="0", description="where a new group starts: 0 = the whole stream, $ = only new events"
    )
    consumer_name: str = Field(default="", description="unique per replica; empty means host-pid-random")
    stream_batch: int = Field(default=100, ge=1, le=1000)
    stream_block_ms: int = Field(
        default=1000, ge=10, le=4000, description="under the 5 s Redis socket timeout"
    )
    claim_idle_seconds: float = Field(default=60.0, gt=0, description="reclaim entries pending this long")

    # Webhooks
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    webhook_retry_seconds: float = Field(default=86400.0, gt=0, description="retry for this long, then dead")
    webhook_backoff_base_seconds: float = Field(default=5.0, gt=0)
    webhook_backoff_max_seconds: float = Field(default=3600.0, gt=0)
    webhook_concurrency: int = Field(default=64, ge=1, description="deliveries in flight per replica")
    webhook_per_endpoint_concurrency: int = Field(default=4, ge=1, description="in flight per host:port")
    webhook_secret_grace_seconds: float = Field(default=86400.0, ge=0)
    webhook_allow_internal_targets: bool = False
    webhook_platform_ports: list[int] = Field(default_factory=lambda: list(PLATFORM_PORTS))
    webhook_lease_margin_seconds: float = Field(
        default=30.0, gt=0, description="a claimed delivery is retried elsewhere after timeout + this"
    )
    delivery_poll_seconds: float = Field(default=1.0, gt=0)

    # Email
    email_enabled: bool = True
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_tls: Literal["none", "starttls", "tls"] = "none"
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_from: str = "OnCall <oncall@localhost>"
    smtp_helo_name: str = Field(
        default="", description="the name given in EHLO (Postfix's smtp_helo_name); empty: this host's FQDN"
    )
    smtp_timeout_seconds: float = Field(default=10.0, gt=0)
    smtp_connections: int = Field(
        default=4, ge=1, le=64, description="connections a pass of emails opens at most; several emails each"
    )
    smtp_connection_cache_seconds: float = Field(
        default=2.0,
        ge=0,
        description="a connection is kept this long after a pass for the next one (0: QUIT after each pass)",
    )
    email_retry_seconds: float = Field(default=86400.0, gt=0)
    email_rules_wait_seconds: float = Field(
        default=300.0, ge=0, description="then send without the user's rules if on-call still cannot answer"
    )

    # Retention
    delivery_retention_days: float = Field(
        default=30.0,
        gt=0,
        description="delivered or dead webhook deliveries (their attempts) are kept this long",
    )
    email_retention_days: float = Field(
        default=30.0, gt=0, description="sent, skipped or dead emails are kept this long"
    )

    @field_validator("smtp_password")
    @classmethod
    def _no_placeholder(cls, value: SecretStr) -> SecretStr:
        if value.get_secret_value().lower() in _PLACEHOLDERS:
            raise ValueError("SMTP_PASSWORD is a placeholder; set the real password or leave it empty")
        return value
