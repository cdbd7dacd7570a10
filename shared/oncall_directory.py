"""Users and API tokens as the credential check asks on-call for them over gRPC (shared.access.Directory):
the directory of every service but on-call, which reads its own tables (shared.identities)."""

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar

from shared.auth import Role, TokenRecord, UserRecord
from shared.errors import DomainError, NotFound
from shared.gen.oncall.v1 import oncall_pb2, oncall_pb2_grpc
from shared.rpc import call, peer_unavailable
from shared.timeutil import parse_rfc3339, rfc3339

Reply = TypeVar("Reply")


def _instant(value: str) -> datetime | None:
    return parse_rfc3339(value) if value else None


class OnCallDirectory:
    """GetUser, GetApiToken and TouchApiToken; the Authenticator caches what they answer."""

    def __init__(self, stub: oncall_pb2_grpc.OnCallServiceStub, *, timeout: float) -> None:
        self._stub = stub
        self._timeout = timeout

    async def user(self, user_id: uuid.UUID) -> UserRecord | None:
        """The user as the credential check needs them; None when they are gone."""
        reply = await self._ask(self._stub.GetUser, oncall_pb2.GetUserRequest(user_id=str(user_id)))
        if reply is None:
            return None
        user = reply.user
        changed = parse_rfc3339(reply.credentials_changed_at)
        return UserRecord(
            uuid.UUID(user.id), user.name, user.email, Role(reply.role), reply.login_disabled, changed
        )

    async def token(self, token_hash: str) -> TokenRecord | None:
        """The API token with this hash; None when there is none."""
        request = oncall_pb2.GetApiTokenRequest(token_hash=token_hash)
        reply = await self._ask(self._stub.GetApiToken, request)
        if reply is None:
            return None
        token = reply.token
        return TokenRecord(
            uuid.UUID(token.id),
            token.name,
            Role(token.role),
            _instant(token.expires_at),
            _instant(token.revoked_at),
            _instant(token.last_used_at),
        )

    async def touch_token(self, token_id: uuid.UUID, at: datetime) -> None:
        """Record a use at `at` (on-call writes it at most once a minute, so a retry is harmless)."""
        request = oncall_pb2.TouchApiTokenRequest(token_id=str(token_id), at=rfc3339(at))
        await self._ask(self._stub.TouchApiToken, request)

    async def _ask(self, method: Callable[..., Awaitable[Reply]], request: object) -> Reply | None:
        # Any refusal but NOT_FOUND is on-call's or the wiring's, never the caller's: 503, not 401 or 500.
        try:
            return await call(method, request, deadline=self._timeout, idempotent=True)
        except NotFound:
            return None
        except DomainError as error:
            raise peer_unavailable("on-call", error) from error
