"""Settings of the on-call service."""

from pydantic import Field

from shared.config import BaseServiceSettings


class OnCallSettings(BaseServiceSettings):
    service_name: str = "oncall"
    http_host: str = "127.0.0.1"
    http_port: int = 8003
    grpc_port: int = 50053
    # Dashboard logins (AuthenticateUser): failed attempts per email within the window, then refused.
    login_max_failures: int = Field(default=10, ge=1)
    login_window_seconds: float = Field(default=900.0, gt=0)
