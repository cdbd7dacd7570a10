"""OnCallService over gRPC: proto ↔ domain mapping only."""

import uuid
from datetime import datetime

import grpc

from services.oncall_service.commands import OnCallCommands
from services.oncall_service.schemas import CurrentOnCall, EscalationAnswer
from shared.errors import InvalidInput
from shared.gen.oncall.v1 import oncall_pb2, oncall_pb2_grpc
from shared.models import User
from shared.timeutil import parse_rfc3339, rfc3339


def _instant(value: str) -> datetime | None:
    try:
        return parse_rfc3339(value) if value else None
    except ValueError as error:
        raise InvalidInput(f"at {value!r} is not an RFC 3339 instant", field="at") from error


def _user_id(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError as error:
        raise InvalidInput(f"user_id {value!r} is not a UUID", field="user_id") from error


def _required_user_id(value: str) -> uuid.UUID:
    user_id = _user_id(value)
    if user_id is None:
        raise InvalidInput("user_id is required", field="user_id")
    return user_id


def user_to_proto(user: User) -> oncall_pb2.OnCallUser:
    return oncall_pb2.OnCallUser(id=str(user.id), name=user.name, email=user.email)


def answer_to_proto(answer: CurrentOnCall) -> oncall_pb2.GetCurrentOnCallResponse:
    """Nobody on call leaves `user` unset."""
    reply = oncall_pb2.GetCurrentOnCallResponse(team=answer.team, rotation=answer.rotation or "")
    if answer.user is not None:
        reply.user.CopyFrom(user_to_proto(answer.user))
    if answer.shift is not None:
        reply.shift_start, reply.shift_end = rfc3339(answer.shift.start), rfc3339(answer.shift.end)
    return reply


def _policy_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as error:
        raise InvalidInput(f"policy_id {value!r} is not a UUID", field="policy_id") from error


def escalation_to_proto(answer: EscalationAnswer) -> oncall_pb2.ResolveEscalationResponse:
    return oncall_pb2.ResolveEscalationResponse(
        policy_id=str(answer.policy_id),
        policy_name=answer.policy_name,
        level=answer.level,
        level_count=answer.level_count,
        repeat=answer.repeat,
        delay_minutes=answer.delay_minutes or 0.0,
        users=[user_to_proto(u) for u in answer.users],
        empty_targets=answer.empty_targets,
    )


class OnCallServicer(oncall_pb2_grpc.OnCallServiceServicer):
    def __init__(self, commands: OnCallCommands) -> None:
        self.commands = commands

    async def GetCurrentOnCall(self, request, context: grpc.aio.ServicerContext):
        at = _instant(request.at)
        return answer_to_proto(await self.commands.current(team=request.team, service=request.service, at=at))

    async def GetCurrentOnCallForServices(self, request, context: grpc.aio.ServicerContext):
        services = list(request.services)
        answers = await self.commands.current_for_services(services, at=_instant(request.at))
        return oncall_pb2.GetCurrentOnCallForServicesResponse(
            services=[
                oncall_pb2.ServiceOnCall(service=service, owned=False)
                if answer is None
                else oncall_pb2.ServiceOnCall(service=service, owned=True, on_call=answer_to_proto(answer))
                for service, answer in zip(services, answers, strict=True)
            ]
        )

    async def ResolveEscalation(self, request, context: grpc.aio.ServicerContext):
        answer = await self.commands.resolve_escalation(
            _policy_id(request.policy_id), request.level, _instant(request.at)
        )
        return escalation_to_proto(answer)

    async def GetNotificationRules(self, request, context: grpc.aio.ServicerContext):
        user = await self.commands.notification_rules(user_id=_user_id(request.user_id), email=request.email)
        return oncall_pb2.GetNotificationRulesResponse(
            user_id=str(user.id),
            email=user.email,
            email_enabled=user.email_notifications,
            event_types=list(user.notify_event_types),
            time_zone=user.time_zone,
        )

    async def ListCurrentOnCall(self, request, context: grpc.aio.ServicerContext):
        answers = await self.commands.current_for_every_team(at=_instant(request.at))
        return oncall_pb2.ListCurrentOnCallResponse(teams=[answer_to_proto(a) for a in answers])

    async def AuthenticateUser(self, request, context: grpc.aio.ServicerContext):
        user = await self.commands.log_in(
            email=request.email,
            password=request.password,
            client_ip=request.client_ip or None,
            via="dashboard",
        )
        return oncall_pb2.AuthenticateUserResponse(user=user_to_proto(user))

    async def GetUser(self, request, context: grpc.aio.ServicerContext):
        user = await self.commands.get_user(_required_user_id(request.user_id))
        return oncall_pb2.GetUserResponse(
            user=user_to_proto(user),
            login_disabled=user.login_disabled,
            credentials_changed_at=rfc3339(user.credentials_changed_at) or "",
            role=user.role,
        )
