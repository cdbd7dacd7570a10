"""Asks the on-call service who should own an incident."""

import uuid

import grpc

from services.incident_management.domain import OnCallAnswer
from shared.errors import Unavailable
from shared.gen.oncall.v1 import oncall_pb2, oncall_pb2_grpc
from shared.grpc import call_metadata


class OnCallClient:
    def __init__(self, channel: grpc.aio.Channel, *, timeout: float) -> None:
        self._stub = oncall_pb2_grpc.OnCallServiceStub(channel)
        self._timeout = timeout

    async def who_is_on_call(self, *, service: str) -> OnCallAnswer:
        """The on-call user for the team owning `service`, or nobody with the reason; Unavailable if down."""
        try:
            reply = await self._stub.GetCurrentOnCall(
                oncall_pb2.GetCurrentOnCallRequest(service=service),
                timeout=self._timeout,
                metadata=call_metadata(),
            )
        except grpc.aio.AioRpcError as error:
            if error.code() == grpc.StatusCode.NOT_FOUND:
                return OnCallAnswer(user_id=None, reason=f"no team owns service {service!r}")
            raise Unavailable(f"on-call service unavailable ({error.code().name})") from error
        if not reply.HasField("user") or not reply.user.id:
            return OnCallAnswer(user_id=None, reason=f"nobody is on call for team {reply.team!r}")
        return OnCallAnswer(
            user_id=uuid.UUID(reply.user.id),
            name=reply.user.name,
            email=reply.user.email,
            reason=f"on call for team {reply.team}",
        )
