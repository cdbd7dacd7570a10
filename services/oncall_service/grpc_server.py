"""OnCallService over gRPC: proto ↔ domain mapping only."""

import uuid
from datetime import datetime
from typing import Any

import grpc

from services.oncall_service import grpc_config as config
from services.oncall_service import grpc_console as console
from services.oncall_service.commands import OnCallCommands
from services.oncall_service.models import User
from services.oncall_service.schemas import CurrentOnCall, EscalationAnswer
from shared.errors import InvalidInput
from shared.gen.oncall.v1 import oncall_pb2, oncall_pb2_grpc
from shared.http import parse_uuid
from shared.timeutil import parse_rfc3339, proto_time, rfc3339

# The servicer's methods read nothing of their call's context.
_Context = grpc.aio.ServicerContext[Any, Any]


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

    async def GetCurrentOnCall(
        self, request: oncall_pb2.GetCurrentOnCallRequest, context: _Context
    ) -> oncall_pb2.GetCurrentOnCallResponse:
        at = _instant(request.at)
        return answer_to_proto(await self.commands.current(team=request.team, service=request.service, at=at))

    async def GetCurrentOnCallForServices(
        self, request: oncall_pb2.GetCurrentOnCallForServicesRequest, context: _Context
    ) -> oncall_pb2.GetCurrentOnCallForServicesResponse:
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

    async def ResolveEscalation(
        self, request: oncall_pb2.ResolveEscalationRequest, context: _Context
    ) -> oncall_pb2.ResolveEscalationResponse:
        answer = await self.commands.resolve_escalation(
            _policy_id(request.policy_id), request.level, _instant(request.at)
        )
        return escalation_to_proto(answer)

    async def GetNotificationRules(
        self, request: oncall_pb2.GetNotificationRulesRequest, context: _Context
    ) -> oncall_pb2.GetNotificationRulesResponse:
        user = await self.commands.notification_rules(user_id=_user_id(request.user_id), email=request.email)
        return oncall_pb2.GetNotificationRulesResponse(
            user_id=str(user.id),
            email=user.email,
            email_enabled=user.email_notifications,
            event_types=list(user.notify_event_types),
            time_zone=user.time_zone,
        )

    async def ListCurrentOnCall(
        self, request: oncall_pb2.ListCurrentOnCallRequest, context: _Context
    ) -> oncall_pb2.ListCurrentOnCallResponse:
        answers = await self.commands.current_for_every_team(at=_instant(request.at))
        return oncall_pb2.ListCurrentOnCallResponse(teams=[answer_to_proto(a) for a in answers])

    async def AuthenticateUser(
        self, request: oncall_pb2.AuthenticateUserRequest, context: _Context
    ) -> oncall_pb2.AuthenticateUserResponse:
        user = await self.commands.log_in(
            email=request.email,
            password=request.password,
            client_ip=request.client_ip or None,
            via="dashboard",
        )
        return oncall_pb2.AuthenticateUserResponse(user=user_to_proto(user))

    async def GetUser(
        self, request: oncall_pb2.GetUserRequest, context: _Context
    ) -> oncall_pb2.GetUserResponse:
        user = await self.commands.get_user(_required_user_id(request.user_id))
        return oncall_pb2.GetUserResponse(
            user=user_to_proto(user),
            login_disabled=user.login_disabled,
            credentials_changed_at=proto_time(user.credentials_changed_at),
            role=user.role,
        )

    async def ListUsers(
        self, request: oncall_pb2.ListUsersRequest, context: _Context
    ) -> oncall_pb2.ListUsersResponse:
        users = await self.commands.list_users()
        return oncall_pb2.ListUsersResponse(users=[console.user_with_role(u) for u in users])

    async def SetUserRole(
        self, request: oncall_pb2.SetUserRoleRequest, context: _Context
    ) -> oncall_pb2.SetUserRoleResponse:
        return await console.set_role(self.commands, request)

    async def ListSchedules(
        self, request: oncall_pb2.ListSchedulesRequest, context: _Context
    ) -> oncall_pb2.ListSchedulesResponse:
        schedules = await self.commands.list_schedules(None)
        return oncall_pb2.ListSchedulesResponse(schedules=[console.schedule_to_proto(s) for s in schedules])

    async def ListScheduleShifts(
        self, request: oncall_pb2.ListScheduleShiftsRequest, context: _Context
    ) -> oncall_pb2.ListScheduleShiftsResponse:
        return await console.shifts(self.commands, request)

    async def CreateOverride(
        self, request: oncall_pb2.CreateOverrideRequest, context: _Context
    ) -> oncall_pb2.CreateOverrideResponse:
        return await console.create_override(self.commands, request)

    async def DeleteOverride(
        self, request: oncall_pb2.DeleteOverrideRequest, context: _Context
    ) -> oncall_pb2.DeleteOverrideResponse:
        await self.commands.delete_override(
            parse_uuid(request.schedule_id, "schedule_id"),
            parse_uuid(request.override_id, "override_id"),
        )
        return oncall_pb2.DeleteOverrideResponse()

    async def ListEscalationPolicies(
        self, request: oncall_pb2.ListEscalationPoliciesRequest, context: _Context
    ) -> oncall_pb2.ListEscalationPoliciesResponse:
        policies = await self.commands.list_policies()
        return oncall_pb2.ListEscalationPoliciesResponse(
            policies=[console.policy_to_proto(p) for p in policies]
        )

    async def ListApiTokens(
        self, request: oncall_pb2.ListApiTokensRequest, context: _Context
    ) -> oncall_pb2.ListApiTokensResponse:
        tokens = await self.commands.list_api_tokens()
        return oncall_pb2.ListApiTokensResponse(tokens=[console.token_to_proto(t) for t in tokens])

    async def CreateApiToken(
        self, request: oncall_pb2.CreateApiTokenRequest, context: _Context
    ) -> oncall_pb2.CreateApiTokenResponse:
        return await console.create_token(self.commands, request)

    async def RevokeApiToken(
        self, request: oncall_pb2.RevokeApiTokenRequest, context: _Context
    ) -> oncall_pb2.RevokeApiTokenResponse:
        token = await self.commands.revoke_api_token(parse_uuid(request.token_id, "token_id"))
        return oncall_pb2.RevokeApiTokenResponse(token=console.token_to_proto(token))

    async def ListAudit(
        self, request: oncall_pb2.ListAuditRequest, context: _Context
    ) -> oncall_pb2.ListAuditResponse:
        return await console.list_audit(self.commands, request)

    async def GetApiToken(
        self, request: oncall_pb2.GetApiTokenRequest, context: _Context
    ) -> oncall_pb2.GetApiTokenResponse:
        token = await self.commands.get_api_token(request.token_hash)
        return oncall_pb2.GetApiTokenResponse(token=console.token_to_proto(token))

    async def TouchApiToken(
        self, request: oncall_pb2.TouchApiTokenRequest, context: _Context
    ) -> oncall_pb2.TouchApiTokenResponse:
        at = _instant(request.at)
        if at is None:
            raise InvalidInput("at is required", field="at")
        await self.commands.touch_api_token(parse_uuid(request.token_id, "token_id"), at)
        return oncall_pb2.TouchApiTokenResponse()

    # --- configuration (admins only: services.oncall_service.grpc_config) ---------------------------

    async def CreateUser(
        self, request: oncall_pb2.CreateUserRequest, context: _Context
    ) -> oncall_pb2.CreateUserResponse:
        config.require_admin()
        return await config.create_user(self.commands, request)

    async def DeleteUser(
        self, request: oncall_pb2.DeleteUserRequest, context: _Context
    ) -> oncall_pb2.DeleteUserResponse:
        config.require_admin()
        await self.commands.delete_user(parse_uuid(request.user_id, "user_id"))
        return oncall_pb2.DeleteUserResponse()

    async def SetUserLoginDisabled(
        self, request: oncall_pb2.SetUserLoginDisabledRequest, context: _Context
    ) -> oncall_pb2.SetUserLoginDisabledResponse:
        config.require_admin()
        user_id = parse_uuid(request.user_id, "user_id")
        user = await self.commands.set_login_disabled(user_id, disabled=request.disabled)
        return oncall_pb2.SetUserLoginDisabledResponse(user=console.user_with_role(user))

    async def ListTeams(
        self, request: oncall_pb2.ListTeamsRequest, context: _Context
    ) -> oncall_pb2.ListTeamsResponse:
        return await config.list_teams(self.commands)

    async def GetEscalationPolicy(
        self, request: oncall_pb2.GetEscalationPolicyRequest, context: _Context
    ) -> oncall_pb2.GetEscalationPolicyResponse:
        policy = await self.commands.get_policy(parse_uuid(request.policy_id, "policy_id"))
        return oncall_pb2.GetEscalationPolicyResponse(policy=console.policy_to_proto(policy))

    async def CreateEscalationPolicy(
        self, request: oncall_pb2.CreateEscalationPolicyRequest, context: _Context
    ) -> oncall_pb2.CreateEscalationPolicyResponse:
        config.require_admin()
        return await config.create_policy(self.commands, request)

    async def UpdateEscalationPolicy(
        self, request: oncall_pb2.UpdateEscalationPolicyRequest, context: _Context
    ) -> oncall_pb2.UpdateEscalationPolicyResponse:
        config.require_admin()
        return await config.update_policy(self.commands, request)

    async def DeleteEscalationPolicy(
        self, request: oncall_pb2.DeleteEscalationPolicyRequest, context: _Context
    ) -> oncall_pb2.DeleteEscalationPolicyResponse:
        config.require_admin()
        await self.commands.delete_policy(parse_uuid(request.policy_id, "policy_id"))
        return oncall_pb2.DeleteEscalationPolicyResponse()

    async def GetSchedule(
        self, request: oncall_pb2.GetScheduleRequest, context: _Context
    ) -> oncall_pb2.GetScheduleResponse:
        schedule = await self.commands.get_schedule(parse_uuid(request.schedule_id, "schedule_id"))
        return oncall_pb2.GetScheduleResponse(schedule=console.schedule_to_proto(schedule))

    async def CreateSchedule(
        self, request: oncall_pb2.CreateScheduleRequest, context: _Context
    ) -> oncall_pb2.CreateScheduleResponse:
        config.require_admin()
        return await config.create_schedule(self.commands, request)

    async def DeleteSchedule(
        self, request: oncall_pb2.DeleteScheduleRequest, context: _Context
    ) -> oncall_pb2.DeleteScheduleResponse:
        config.require_admin()
        await self.commands.delete_schedule(parse_uuid(request.schedule_id, "schedule_id"))
        return oncall_pb2.DeleteScheduleResponse()

    async def AddScheduleLayer(
        self, request: oncall_pb2.AddScheduleLayerRequest, context: _Context
    ) -> oncall_pb2.AddScheduleLayerResponse:
        config.require_admin()
        return await config.add_layer(self.commands, request)

    async def UpdateScheduleLayer(
        self, request: oncall_pb2.UpdateScheduleLayerRequest, context: _Context
    ) -> oncall_pb2.UpdateScheduleLayerResponse:
        config.require_admin()
        return await config.update_layer(self.commands, request)

    async def SetScheduleLayerRestrictions(
        self, request: oncall_pb2.SetScheduleLayerRestrictionsRequest, context: _Context
    ) -> oncall_pb2.SetScheduleLayerRestrictionsResponse:
        config.require_admin()
        return await config.set_layer_restrictions(self.commands, request)

    async def DeleteScheduleLayer(
        self, request: oncall_pb2.DeleteScheduleLayerRequest, context: _Context
    ) -> oncall_pb2.DeleteScheduleLayerResponse:
        config.require_admin()
        await self.commands.delete_layer(
            parse_uuid(request.schedule_id, "schedule_id"), parse_uuid(request.layer_id, "layer_id")
        )
        return oncall_pb2.DeleteScheduleLayerResponse()
