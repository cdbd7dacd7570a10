"""Settings of the native stack, from environment variables (and .env), like every service's settings."""

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parents[2]


class StackSettings(BaseSettings):
    """Ports and places of one native stack; `VAR_DIR` keeps several stacks (tests, dev) apart."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    var_dir: Path = ROOT / "var"
    gateway_port: int = 8000
    gateway_admin_port: int = 8080
    ingestion_replicas: int = Field(default=2, ge=1, le=32)
    ingestion_base_port: int = 8101
    incident_http_port: int = 8002
    incident_grpc_port: int = 50052
    oncall_http_port: int = 8003
    oncall_grpc_port: int = 50053
    notifier_http_port: int = 8004
    web_ui_http_port: int = 8005
    smtp_sink_port: int = 1025
    postgres_port: int = 55432
    redis_port: int = 56379
    database_url: str | None = Field(default=None, description="use this PostgreSQL instead of embedded")
    redis_url: str | None = Field(default=None, description="use this Redis instead of embedded")
    web_ui_jwt_secret: str | None = Field(
        default=None, description="the dashboard's token key; unset: one generated once under VAR_DIR"
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

    @property
    def log_dir(self) -> Path:
        return self.var_dir / "log"

    @property
    def mail_dir(self) -> Path:
        """Where the local SMTP sink stores what the notifier mails."""
        return self.var_dir / "mail"

    @property
    def web_ui_secret_file(self) -> Path:
        """The dashboard's generated token key when WEB_UI_JWT_SECRET is unset (mode 0600)."""
        return self.var_dir / "secrets" / "web-ui-jwt-secret"

    @property
    def internal_token_file(self) -> Path:
        """The services' generated gRPC credential when INTERNAL_TOKEN is unset (mode 0600)."""
        return self.var_dir / "secrets" / "internal-token"

    @property
    def run_dir(self) -> Path:
        return self.var_dir / "run"

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    def ingestion_ports(self) -> list[int]:
        return [self.ingestion_base_port + i for i in range(self.ingestion_replicas)]
