"""Settings of the web UI (the on-call dashboard)."""

from pydantic import Field

from shared.config import AuthSettings, BaseServiceSettings


class WebUISettings(BaseServiceSettings, AuthSettings):
    service_name: str = "web-ui"
    http_host: str = "127.0.0.1"
    http_port: int = 8005
    # The gRPC servers the pages read and act through (and on-call checks logins).
    incident_grpc_target: str = "127.0.0.1:18052"
    oncall_grpc_target: str = "127.0.0.1:18053"
    notifier_grpc_target: str = "127.0.0.1:18054"  # the webhooks page
    grpc_timeout_seconds: float = Field(default=5.0, gt=0)
    web_ui_session_hours: float = Field(default=12.0, gt=0, le=24 * 30)
    web_ui_cookie_secure: bool = Field(default=False, description="send the cookie over HTTPS only")
    page_size: int = Field(default=50, ge=1, le=500)

    @property
    def session_seconds(self) -> int:
        return int(self.web_ui_session_hours * 3600)
