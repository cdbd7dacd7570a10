"""Settings of the on-call service."""

from shared.config import BaseServiceSettings


class OnCallSettings(BaseServiceSettings):
    service_name: str = "oncall"
    http_host: str = "127.0.0.1"
    http_port: int = 8003
    grpc_port: int = 50053
