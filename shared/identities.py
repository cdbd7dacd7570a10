"""Users and API tokens as the credential check reads them from the database (shared.access.Directory):
on-call's, which owns the tables, and incident-management's; other services ask on-call over gRPC
(shared.oncall_directory)."""

import uuid
from datetime import datetime

from sqlalchemy import Update, bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from services.oncall_service.models import ApiToken, User
from shared.access import TOUCH_EVERY, Authenticator, authenticator
from shared.auth import Role, TokenRecord, UserRecord
from shared.config import AuthSettings

_USER = select(
    User.id, User.name, User.email, User.role, User.login_disabled, User.credentials_changed_at
).where(User.id == bindparam("user_id"))
_TOKEN = select(
    ApiToken.id, ApiToken.name, ApiToken.role, ApiToken.expires_at, ApiToken.revoked_at, ApiToken.last_used_at
).where(ApiToken.token_hash == bindparam("token_hash"))


def token_touch(token_id: uuid.UUID, at: datetime) -> Update:
    """last_used_at = at, unless a use within TOUCH_EVERY before `at` is recorded (by any replica)."""
    stale = or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < at - TOUCH_EVERY)
    return update(ApiToken).where(ApiToken.id == token_id, stale).values(last_used_at=at)


class DatabaseDirectory:
    """Reads the `users` and `api_tokens` tables: the services that have the database."""

    def __init__(self, engine: AsyncEngine) -> None:
        # Each lookup is one statement: no transaction needed around it.
        self._engine = engine.execution_options(isolation_level="AUTOCOMMIT")

    async def user(self, user_id: uuid.UUID) -> UserRecord | None:
        async with self._engine.connect() as connection:
            row = (await connection.execute(_USER, {"user_id": user_id})).first()
        if row is None:
            return None
        return UserRecord(
            row.id, row.name, row.email, Role(row.role), row.login_disabled, row.credentials_changed_at
        )

    async def token(self, token_hash: str) -> TokenRecord | None:
        async with self._engine.connect() as connection:
            row = (await connection.execute(_TOKEN, {"token_hash": token_hash})).first()
        if row is None:
            return None
        return TokenRecord(row.id, row.name, Role(row.role), row.expires_at, row.revoked_at, row.last_used_at)

    async def touch_token(self, token_id: uuid.UUID, at: datetime) -> None:
        """Record a use (token_touch: at most once a minute)."""
        async with self._engine.connect() as connection:
            await connection.execute(token_touch(token_id, at))


def database_authenticator(settings: AuthSettings, engine: AsyncEngine) -> Authenticator:
    """The credential check of a service that has the database."""
    return authenticator(settings, DatabaseDirectory(engine))
