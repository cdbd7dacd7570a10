"""Settings of the metrics exporter."""

from pydantic import Field

from shared.config import BaseServiceSettings

# Seconds: a minute to a day, where acknowledgements (MTTA) and resolutions (MTTR) fall.
MTTA_BUCKETS = [30.0, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400]
MTTR_BUCKETS = [60.0, 300, 600, 1800, 3600, 7200, 14400, 28800, 86400, 259200]


class ExporterSettings(BaseServiceSettings):
    service_name: str = "metrics-exporter"
    http_host: str = "127.0.0.1"
    http_port: int = 9090
    # Two connections: a scrape's reads run one after another, and a health check may come meanwhile.
    db_pool_size: int = Field(default=2, ge=1)
    incident_mtta_buckets: list[float] = Field(default_factory=MTTA_BUCKETS.copy, min_length=1)
    incident_mttr_buckets: list[float] = Field(default_factory=MTTR_BUCKETS.copy, min_length=1)
    scrape_cache_seconds: float = Field(
        default=5.0, ge=0, description="scrapes within this reuse the last reading of the database"
    )
    # The notifier's consumer group on EVENTS_STREAM (its CONSUMER_GROUP), whose pending entries are exported.
    consumer_group: str = "notifier"
