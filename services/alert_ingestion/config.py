"""Settings of an alert-ingestion replica."""

import socket

from pydantic import Field

from shared.config import BaseServiceSettings


class IngestionSettings(BaseServiceSettings):
    service_name: str = "alert-ingestion"
    http_host: str = "127.0.0.1"
    http_port: int = 8001
    incident_grpc_target: str = "127.0.0.1:18052"
    incident_timeout_seconds: float = Field(default=5.0, gt=0)
    # One call in flight: alerts arriving meanwhile go together in the next, so a storm costs fewer, larger
    # calls (docs/performance.md, "One grouped call in flight per replica"); incident-management still
    # stores two groups at once.
    incident_call_lanes: int = Field(
        default=1,
        ge=1,
        le=64,
        description="calls storing single alerts in flight at once; alerts arriving meanwhile share the next",
    )
    replica_id: str = Field(default_factory=socket.gethostname)
    max_batch_size: int = Field(default=1000, ge=1)
    # Bounds the queue behind a replica: at the measured ~200 alerts/s per stack, 64 in flight per replica
    # is well under a second of waiting; beyond it senders get 503 + Retry-After instead of a growing queue.
    max_in_flight: int = Field(default=64, ge=1, description="requests beyond this get 503 + Retry-After")
    require_integration_key: bool = Field(
        default=True, description="refuse alerts without a routing key (false: keyless alerts name a service)"
    )
    integration_cache_seconds: float = Field(
        default=10.0,
        ge=0,
        description="how long a key's parsing config is cached (the key is checked always)",
    )
