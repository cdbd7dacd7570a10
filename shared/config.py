"""Settings shared by every service, read from environment variables (and an optional .env)."""

from typing import Annotated

from pydantic import AfterValidator, Field, SecretStr, ValidationInfo
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:15432/oncall"
DEFAULT_REDIS_URL = "redis://127.0.0.1:16379/0"
MIN_SECRET_BYTES = 32
_PLACEHOLDERS = ("change-me", "changeme", "secret", "password", "example")


def libpq_url(database_url: str) -> str:
    """A database URL without SQLAlchemy's driver suffix, as asyncpg and libpq tools take it."""
    return database_url.replace("postgresql+asyncpg://", "postgresql://", 1)


def _strong(value: SecretStr, info: ValidationInfo) -> SecretStr:
    """The secret if long and not a placeholder; the error names its variable, never its value."""
    name = (info.field_name or "secret").upper()
    secret = value.get_secret_value()
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise ValueError(f"{name} must have at least {MIN_SECRET_BYTES} bytes")
    if any(word in secret.lower() for word in _PLACEHOLDERS):
        raise ValueError(f"{name} is a placeholder; generate one, e.g. `openssl rand -hex 32`")
    return value


# A generated key (e.g. `openssl rand -hex 32`): required, at least 32 bytes, never a placeholder.
StrongSecret = Annotated[SecretStr, AfterValidator(_strong)]


class DatabaseSettings(BaseSettings):
    """Where the database is: all that tools touching only the database (migrations, accounts) read."""

    # A refused setting's value stays out of the error: it may be a secret.
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", hide_input_in_errors=True)

    database_url: str = DEFAULT_DATABASE_URL
    db_pool_size: int = Field(default=20, ge=1)

    @property
    def asyncpg_dsn(self) -> str:
        """The database URL without SQLAlchemy's driver suffix, for tools that speak libpq URLs."""
        return libpq_url(self.database_url)


class BaseServiceSettings(DatabaseSettings):
    """Values every service needs; `services/<name>/config.py` subclasses it."""

    service_name: str = "oncall"
    redis_url: str = DEFAULT_REDIS_URL
    events_stream: str = "oncall:events"
    # Pub/sub channel the outbox relay PUBLISHes every event on, for live dashboards (no delivery guarantee).
    events_channel: str = "oncall:events:live"
    log_level: str = "INFO"
    otlp_endpoint: str = Field(default="", description="OTLP gRPC endpoint for traces; empty disables export")
    # The share of new traces (an alert's POST) recorded; a continued trace follows its caller's choice.
    trace_sample_ratio: float = Field(default=1.0, ge=0, le=1)
    # Every service serves or calls gRPC: the servers refuse calls without this shared credential.
    internal_token: StrongSecret


class AuthSettings(BaseSettings):
    """What a service that checks people's credentials needs (shared.access); mixed into its settings."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", hide_input_in_errors=True)

    # Signs the API's access tokens and the dashboard's session cookies (HS256); the same in every service.
    auth_jwt_secret: StrongSecret
    auth_token_minutes: float = Field(default=15.0, gt=0, le=24 * 60, description="access tokens' life")
    # How long a looked-up user or API token is believed: a revoked token is refused within this.
    auth_cache_seconds: float = Field(default=2.0, ge=0, le=5)
