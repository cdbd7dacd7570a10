"""What the pages ask the on-call service over gRPC: logging a user in, whether a session's user may
still use it (shared.oncall_directory), and who is on call now."""

import uuid
from dataclasses import dataclass

import grpc

from shared.gen.oncall.v1 import oncall_pb2, oncall_pb2_grpc
from shared.oncall_directory import OnCallDirectory
from shared.rpc import call


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
        # Whether a session's user may still use it (shared.access.Directory).
        self.directory = OnCallDirectory(self._stub, timeout=timeout)

    async def authenticate(self, *, email: str, password: str, client_ip: str | None) -> LoginUser:
        """The user, else Unauthenticated, PermissionDenied (login disabled) or TooManyRequests."""
        request = oncall_pb2.AuthenticateUserRequest(
            email=email, password=password, client_ip=client_ip or ""
        )
        return _user((await call(self._stub.AuthenticateUser, request, deadline=self._timeout)).user)

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
