"""Settings of the on-call service."""

from pydantic import Field, SecretStr

from shared.config import AuthSettings, BaseServiceSettings


class OnCallSettings(BaseServiceSettings, AuthSettings):
    service_name: str = "oncall"
    http_host: str = "127.0.0.1"
    http_port: int = 8003
    grpc_port: int = 18053
    # Password logins (dashboard and API): failed attempts per email, and per client address, within the
    # window; past either, refused with 429 before any hash work.
    login_max_failures: int = Field(default=10, ge=1)
    login_max_address_failures: int = Field(default=30, ge=1)
    login_window_seconds: float = Field(default=900.0, gt=0)
    # The first admin, made at start when no admin exists (`make up` generates one when these are unset).
    admin_email: str | None = None
    admin_password: SecretStr | None = None
