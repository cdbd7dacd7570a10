"""Settings of the web UI (the on-call dashboard)."""

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from shared.config import BaseServiceSettings

_PLACEHOLDERS = ("change-me", "changeme", "secret", "password", "example")
MIN_SECRET_CHARS = 32


class WebUISettings(BaseServiceSettings):
    # A refused setting's value stays out of the error: it may be the secret itself.
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", hide_input_in_errors=True)
    service_name: str = "web-ui"
    http_host: str = "127.0.0.1"
    http_port: int = 8005
    # The gRPC servers the pages read and act through (and on-call checks logins).
    incident_grpc_target: str = "127.0.0.1:50052"
    oncall_grpc_target: str = "127.0.0.1:50053"
    grpc_timeout_seconds: float = Field(default=5.0, gt=0)
    # Signs the session tokens (HS256); required, at least 32 characters, never in the repository.
    web_ui_jwt_secret: SecretStr
    web_ui_session_hours: float = Field(default=12.0, gt=0, le=24 * 30)
    web_ui_cookie_secure: bool = Field(default=False, description="send the cookie over HTTPS only")
    page_size: int = Field(default=50, ge=1, le=500)

    @field_validator("web_ui_jwt_secret")
    @classmethod
    def _strong_secret(cls, value: SecretStr) -> SecretStr:
        secret = value.get_secret_value()
        if len(secret) < MIN_SECRET_CHARS:
            raise ValueError(f"WEB_UI_JWT_SECRET must have at least {MIN_SECRET_CHARS} characters")
        if any(word in secret.lower() for word in _PLACEHOLDERS):
            raise ValueError("WEB_UI_JWT_SECRET is a placeholder; generate one, e.g. `openssl rand -hex 32`")
        return value

    @property
    def session_seconds(self) -> int:
        return int(self.web_ui_session_hours * 3600)
