"""Settings shared by every service, read from environment variables (and an optional .env)."""

from pydantic import Field, SecretStr, field_validator
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


_PLACEHOLDERS = ("change-me", "changeme", "secret", "password", "example")
MIN_SECRET_BYTES = 32


def strong_secret(name: str, value: SecretStr) -> SecretStr:
    """`value` when it is a usable key: at least 32 bytes and no placeholder. The refusal names the
    variable, never the value."""
    secret = value.get_secret_value()
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise ValueError(f"{name} must have at least {MIN_SECRET_BYTES} bytes")
    if any(word in secret.lower() for word in _PLACEHOLDERS):
        raise ValueError(f"{name} is a placeholder; generate one, e.g. `openssl rand -hex 32`")
    return value


class AuthSettings(BaseSettings):
    """What a service that checks people's credentials needs (shared.auth); mixed into its settings."""

    # A refused setting's value stays out of the error: it may be the secret itself.
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", hide_input_in_errors=True)

    # Signs the API's access tokens and the dashboard's session cookies (HS256); the same in every service.
    auth_jwt_secret: SecretStr
    auth_token_minutes: float = Field(default=15.0, gt=0, le=24 * 60, description="access tokens' life")
    # How long a looked-up user or API token is believed: a revoked token is refused within this.
    auth_cache_seconds: float = Field(default=2.0, ge=0, le=5)

    @field_validator("auth_jwt_secret")
    @classmethod
    def _strong_jwt_secret(cls, value: SecretStr) -> SecretStr:
        return strong_secret("AUTH_JWT_SECRET", value)
