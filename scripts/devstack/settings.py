"""Settings of the native stack, from environment variables (and .env), like every service's settings."""

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parents[2]


MAX_REPLICAS = 32


class StackSettings(BaseSettings):
    """Ports and places of one native stack; `VAR_DIR` keeps several stacks (tests, dev) apart."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    var_dir: Path = ROOT / "var"
    gateway_port: int = 8000
    gateway_admin_port: int = 8080
    gateway_tls_port: int = Field(default=8443, description="HTTPS, when TLS is on; GATEWAY_PORT redirects")
    gateway_tls: Literal["off", "self-signed"] = Field(
        default="off", description="self-signed: HTTPS with a certificate made for 127.0.0.1 and localhost"
    )
    gateway_tls_cert: Path | None = Field(default=None, description="HTTPS with this PEM certificate (chain)")
    gateway_tls_key: Path | None = Field(default=None, description="GATEWAY_TLS_CERT's private key (PEM)")
    # A year, as HSTS preload lists ask; browsers then use HTTPS for every port of the host name, so a trial
    # on localhost may want less.
    gateway_hsts_seconds: int = Field(default=31_536_000, ge=0)
    ingestion_replicas: int = Field(default=2, ge=1, le=MAX_REPLICAS)
    ingestion_base_port: int = 8101
    ingestion_module: str = Field(
        default="services.alert_ingestion.main",
        description="what each ingestion replica runs (the benchmark's stack: scripts.bench.noop_replica)",
    )
    # Every default port lies below Linux's ephemeral range (32768-60999): a port inside it can be taken as
    # the local end of any outgoing connection (a service's pooled database connection, say) just before
    # its server binds it, which then fails to start.
    incident_http_port: int = 8002
    incident_grpc_port: int = 18052
    oncall_http_port: int = 8003
    oncall_grpc_port: int = 18053
    notifier_http_port: int = 8004
    notifier_grpc_port: int = 18054
    web_ui_http_port: int = 8005
    smtp_sink_port: int = 1025
    metrics_exporter_port: int = 9090
    # Not 9090, Prometheus's usual port: the exporter has it.
    prometheus_port: int = 9092
    prometheus: bool = Field(
        default=True, description="start Prometheus when a `prometheus` binary is on PATH"
    )
    prometheus_scrape_interval: str = "15s"
    postgres_port: int = 15432
    redis_port: int = 16379
    database_url: str | None = Field(default=None, description="use this PostgreSQL instead of embedded")
    redis_url: str | None = Field(default=None, description="use this Redis instead of embedded")
    auth_jwt_secret: str | None = Field(
        default=None, description="the key of access tokens and sessions; unset: generated once under VAR_DIR"
    )
    admin_email: str | None = Field(default=None, description="the first admin (with ADMIN_PASSWORD)")
    admin_password: str | None = Field(default=None, description="unset: generated under VAR_DIR/secrets")
    oncall_api_token: str | None = Field(
        default=None, description="the ops CLI calls the API with this token instead of the first admin's"
    )
    internal_token: str | None = Field(
        default=None, description="the services' gRPC credential; unset: one generated once under VAR_DIR"
    )
    rate_limit_average: int = Field(default=5000, ge=1, description="alerts/s per client IP at the gateway")
    rate_limit_burst: int = Field(default=10000, ge=1)
    log_level: str = "INFO"
    startup_timeout_seconds: float = 60.0
    service_env: dict[str, str] = Field(
        default_factory=dict, description="extra environment for every service, e.g. ASSIGNMENT_RETRY_SECONDS"
    )

    @model_validator(mode="after")
    def _one_certificate(self) -> "StackSettings":
        if (self.gateway_tls_cert is None) != (self.gateway_tls_key is None):
            raise ValueError("GATEWAY_TLS_CERT and GATEWAY_TLS_KEY go together")
        if self.gateway_tls_cert is not None and self.gateway_tls == "self-signed":
            raise ValueError("GATEWAY_TLS=self-signed or GATEWAY_TLS_CERT/GATEWAY_TLS_KEY, not both")
        return self

    @property
    def tls_enabled(self) -> bool:
        return self.gateway_tls == "self-signed" or self.gateway_tls_cert is not None

    @property
    def gateway_tls_files(self) -> tuple[Path, Path] | None:
        """The certificate and key the gateway serves (absolute): the given ones, or the self-signed pair
        under VAR_DIR/secrets; None without TLS."""
        if self.gateway_tls_cert is not None and self.gateway_tls_key is not None:
            return self.gateway_tls_cert.resolve(), self.gateway_tls_key.resolve()
        if self.gateway_tls == "self-signed":
            secrets = self.var_dir.resolve() / "secrets"
            return secrets / "gateway-tls.crt", secrets / "gateway-tls.key"
        return None

    @property
    def log_dir(self) -> Path:
        return self.var_dir / "log"

    @property
    def mail_dir(self) -> Path:
        """Where the local SMTP sink stores what the notifier mails."""
        return self.var_dir / "mail"

    @property
    def secrets_dir(self) -> Path:
        """Generated keys and the first admin's password, each readable by its owner only."""
        return self.var_dir / "secrets"

    @property
    def admin_password_file(self) -> Path:
        return self.secrets_dir / "admin-password"

    @property
    def backup_dir(self) -> Path:
        """`make backup`'s dumps, readable by their owner only."""
        return self.var_dir / "backups"

    @property
    def run_dir(self) -> Path:
        return self.var_dir / "run"

    @property
    def gateway_url(self) -> str:
        if self.tls_enabled:
            return f"https://127.0.0.1:{self.gateway_tls_port}"
        return f"http://127.0.0.1:{self.gateway_port}"

    def ingestion_ports(self) -> list[int]:
        return [self.ingestion_base_port + i for i in range(self.ingestion_replicas)]
