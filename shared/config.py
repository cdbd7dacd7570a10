"""Settings shared by every service, read from environment variables (and an optional .env)."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:55432/oncall"
DEFAULT_REDIS_URL = "redis://127.0.0.1:56379/0"


def libpq_url(database_url: str) -> str:
    """A database URL without SQLAlchemy's driver suffix, as asyncpg and libpq tools take it."""
    return database_url.replace("postgresql+asyncpg://", "postgresql://", 1)


class BaseServiceSettings(BaseSettings):
    """Values every service needs; `services/<name>/config.py` subclasses it."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    service_name: str = "oncall"
    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str = DEFAULT_REDIS_URL
    events_stream: str = "oncall:events"
    # Pub/sub channel the outbox relay PUBLISHes every event on, for live dashboards (no delivery guarantee).
    events_channel: str = "oncall:events:live"
    log_level: str = "INFO"
    otlp_endpoint: str = Field(default="", description="OTLP gRPC endpoint for traces; empty disables export")
    db_pool_size: int = Field(default=20, ge=1)

    @property
    def asyncpg_dsn(self) -> str:
        """The database URL without SQLAlchemy's driver suffix, for tools that speak libpq URLs."""
        return libpq_url(self.database_url)
