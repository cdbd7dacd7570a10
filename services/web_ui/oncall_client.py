"""What the pages ask the on-call service over gRPC: logging a user in, whether a session's user may
still use it (the dashboard's shared.access.Directory), and who is on call now."""

import uuid
from dataclasses import dataclass
from datetime import datetime

import grpc

from shared.auth import Role, TokenRecord, UserRecord
from shared.errors import NotFound
from shared.gen.oncall.v1 import oncall_pb2, oncall_pb2_grpc
from shared.rpc import call
from shared.timeutil import parse_rfc3339


@dataclass(frozen=True)
class LoginUser:
    id: uuid.UUID
    name: str
    email: str


@dataclass(frozen=True)
class OnCallEntry:
    team: str
    user: LoginUser | None
    rotation: str
    shift_start: str
    shift_end: str


def _user(reply: oncall_pb2.OnCallUser) -> LoginUser:
    return LoginUser(uuid.UUID(reply.id), reply.name, reply.email)


class OnCallClient:
    def __init__(self, channel: grpc.aio.Channel, *, timeout: float) -> None:
        self._stub = oncall_pb2_grpc.OnCallServiceStub(channel)
        self._timeout = timeout

    async def authenticate(self, *, email: str, password: str, client_ip: str | None) -> LoginUser:
        """The user, else Unauthenticated, PermissionDenied (login disabled) or TooManyRequests."""
        request = oncall_pb2.AuthenticateUserRequest(
            email=email, password=password, client_ip=client_ip or ""
        )
        return _user((await call(self._stub.AuthenticateUser, request, deadline=self._timeout)).user)

    async def user(self, user_id: uuid.UUID) -> UserRecord | None:
        """The user as the session check needs them (shared.access.Directory); None when they are gone."""
        request = oncall_pb2.GetUserRequest(user_id=str(user_id))
        try:
            reply = await call(self._stub.GetUser, request, deadline=self._timeout, idempotent=True)
        except NotFound:
            return None
        changed = parse_rfc3339(reply.credentials_changed_at)
        user = reply.user
        return UserRecord(
            uuid.UUID(user.id), user.name, user.email, Role(reply.role), reply.login_disabled, changed
        )

    async def token(self, token_hash: str) -> TokenRecord | None:
        """The dashboard takes sessions only, never API tokens."""
        return None

    async def touch_token(self, token_id: uuid.UUID, at: datetime) -> None:
        return None

    async def on_call_now(self) -> list[OnCallEntry]:
        """Who is on call now, one entry per team (teams in name order)."""
        request = oncall_pb2.ListCurrentOnCallRequest()
        reply = await call(self._stub.ListCurrentOnCall, request, deadline=self._timeout, idempotent=True)
        return [
            OnCallEntry(
                team=t.team,
                user=_user(t.user) if t.HasField("user") else None,
                rotation=t.rotation,
                shift_start=t.shift_start,
                shift_end=t.shift_end,
            )
            for t in reply.teams
        ]
