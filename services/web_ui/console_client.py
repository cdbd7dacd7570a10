"""What the on-call, configuration and analytics pages ask over gRPC: on-call's schedules, overrides,
users, policies, tokens and audit log; incident-management's catalog and analytics. Writes name the
person they act for (the services' audit logs)."""

from typing import Any

import grpc
import orjson

from shared.audit import identity_metadata
from shared.auth import Identity
from shared.gen.oncall.v1 import incident_pb2, incident_pb2_grpc, oncall_pb2, oncall_pb2_grpc
from shared.rpc import Method, Reply, call


class ConsoleClient:
    def __init__(
        self, incident_channel: grpc.aio.Channel, oncall_channel: grpc.aio.Channel, *, timeout: float
    ) -> None:
        self._incidents = incident_pb2_grpc.IncidentServiceStub(incident_channel)
        self._oncall = oncall_pb2_grpc.OnCallServiceStub(oncall_channel)
        self._timeout = timeout

    async def _read(self, method: Method[Reply], request: object) -> Reply:
        return await call(method, request, deadline=self._timeout, idempotent=True)

    async def _write(
        self, method: Method[Reply], request: object, actor: Identity, client_ip: str | None
    ) -> Reply:
        acting = identity_metadata(actor, client_ip)
        return await call(method, request, deadline=self._timeout, metadata=acting)

    # --- on-call -----------------------------------------------------------------------------------

    async def users(self) -> list[oncall_pb2.UserWithRole]:
        reply: oncall_pb2.ListUsersResponse = await self._read(
            self._oncall.ListUsers, oncall_pb2.ListUsersRequest()
        )
        return list(reply.users)

    async def schedules(self) -> list[oncall_pb2.OnCallSchedule]:
        reply: oncall_pb2.ListSchedulesResponse = await self._read(
            self._oncall.ListSchedules, oncall_pb2.ListSchedulesRequest()
        )
        return list(reply.schedules)

    async def shifts(self, schedule_id: str, *, start: str, end: str) -> list[oncall_pb2.Shift]:
        """The schedule's final shifts covering [start, end) (RFC 3339)."""
        request = oncall_pb2.ListScheduleShiftsRequest(schedule_id=schedule_id, start=start, end=end)
        reply: oncall_pb2.ListScheduleShiftsResponse = await self._read(
            self._oncall.ListScheduleShifts, request
        )
        return list(reply.shifts)

    async def policies(self) -> list[oncall_pb2.EscalationPolicy]:
        request = oncall_pb2.ListEscalationPoliciesRequest()
        reply: oncall_pb2.ListEscalationPoliciesResponse = await self._read(
            self._oncall.ListEscalationPolicies, request
        )
        return list(reply.policies)

    async def first_level(self, policy_id: str) -> oncall_pb2.ResolveEscalationResponse:
        """Who the policy's first level pages now: the call incident-management's paging makes."""
        request = oncall_pb2.ResolveEscalationRequest(policy_id=policy_id, level=0)
        reply: oncall_pb2.ResolveEscalationResponse = await self._read(
            self._oncall.ResolveEscalation, request
        )
        return reply

    async def team_on_call(self, services: list[str]) -> list[oncall_pb2.ServiceOnCall]:
        """Who the owning team of each service has on call: the call paging makes without a policy."""
        if not services:
            return []
        request = oncall_pb2.GetCurrentOnCallForServicesRequest(services=services)
        reply: oncall_pb2.GetCurrentOnCallForServicesResponse = await self._read(
            self._oncall.GetCurrentOnCallForServices, request
        )
        return list(reply.services)

    async def create_override(
        self, schedule_id: str, *, user_id: str, start: str, end: str, actor: Identity, ip: str | None
    ) -> None:
        request = oncall_pb2.CreateOverrideRequest(
            schedule_id=schedule_id, user_id=user_id, start=start, end=end
        )
        await self._write(self._oncall.CreateOverride, request, actor, ip)

    async def delete_override(
        self, schedule_id: str, override_id: str, *, actor: Identity, ip: str | None
    ) -> None:
        request = oncall_pb2.DeleteOverrideRequest(schedule_id=schedule_id, override_id=override_id)
        await self._write(self._oncall.DeleteOverride, request, actor, ip)

    async def set_role(self, user_id: str, role: str, *, actor: Identity, ip: str | None) -> None:
        request = oncall_pb2.SetUserRoleRequest(user_id=user_id, role=role)
        await self._write(self._oncall.SetUserRole, request, actor, ip)

    async def create_user(
        self, *, name: str, email: str, role: str, time_zone: str, actor: Identity, ip: str | None
    ) -> oncall_pb2.CreateUserResponse:
        """The new user and their password (shown once)."""
        request = oncall_pb2.CreateUserRequest(name=name, email=email, role=role, time_zone=time_zone)
        reply: oncall_pb2.CreateUserResponse = await self._write(self._oncall.CreateUser, request, actor, ip)
        return reply

    async def delete_user(self, user_id: str, *, actor: Identity, ip: str | None) -> None:
        await self._write(self._oncall.DeleteUser, oncall_pb2.DeleteUserRequest(user_id=user_id), actor, ip)

    async def set_login_disabled(
        self, user_id: str, disabled: bool, *, actor: Identity, ip: str | None
    ) -> None:
        request = oncall_pb2.SetUserLoginDisabledRequest(user_id=user_id, disabled=disabled)
        await self._write(self._oncall.SetUserLoginDisabled, request, actor, ip)

    async def teams(self) -> list[oncall_pb2.Team]:
        reply: oncall_pb2.ListTeamsResponse = await self._read(
            self._oncall.ListTeams, oncall_pb2.ListTeamsRequest()
        )
        return list(reply.teams)

    async def policy(self, policy_id: str) -> oncall_pb2.EscalationPolicy:
        request = oncall_pb2.GetEscalationPolicyRequest(policy_id=policy_id)
        reply: oncall_pb2.GetEscalationPolicyResponse = await self._read(
            self._oncall.GetEscalationPolicy, request
        )
        return reply.policy

    async def save_policy(
        self, policy: oncall_pb2.EscalationPolicy, *, actor: Identity, ip: str | None
    ) -> oncall_pb2.EscalationPolicy:
        """Create the policy, or (with an id) replace that one's fields; the policy as stored."""
        reply: oncall_pb2.CreateEscalationPolicyResponse | oncall_pb2.UpdateEscalationPolicyResponse
        if policy.id:
            request = oncall_pb2.UpdateEscalationPolicyRequest(policy=policy)
            reply = await self._write(self._oncall.UpdateEscalationPolicy, request, actor, ip)
        else:
            created = oncall_pb2.CreateEscalationPolicyRequest(policy=policy)
            reply = await self._write(self._oncall.CreateEscalationPolicy, created, actor, ip)
        return reply.policy

    async def delete_policy(self, policy_id: str, *, actor: Identity, ip: str | None) -> None:
        request = oncall_pb2.DeleteEscalationPolicyRequest(policy_id=policy_id)
        await self._write(self._oncall.DeleteEscalationPolicy, request, actor, ip)

    async def schedule(self, schedule_id: str) -> oncall_pb2.OnCallSchedule:
        request = oncall_pb2.GetScheduleRequest(schedule_id=schedule_id)
        reply: oncall_pb2.GetScheduleResponse = await self._read(self._oncall.GetSchedule, request)
        return reply.schedule

    async def create_schedule(
        self, *, name: str, time_zone: str, team_id: str, actor: Identity, ip: str | None
    ) -> oncall_pb2.OnCallSchedule:
        request = oncall_pb2.CreateScheduleRequest(name=name, time_zone=time_zone, team_id=team_id)
        reply: oncall_pb2.CreateScheduleResponse = await self._write(
            self._oncall.CreateSchedule, request, actor, ip
        )
        return reply.schedule

    async def delete_schedule(self, schedule_id: str, *, actor: Identity, ip: str | None) -> None:
        request = oncall_pb2.DeleteScheduleRequest(schedule_id=schedule_id)
        await self._write(self._oncall.DeleteSchedule, request, actor, ip)

    async def save_layer(
        self, schedule_id: str, layer: oncall_pb2.ScheduleLayer, *, actor: Identity, ip: str | None
    ) -> None:
        """Add the layer on top, or (with an id) replace that one's fields."""
        if layer.id:
            update = oncall_pb2.UpdateScheduleLayerRequest(schedule_id=schedule_id, layer=layer)
            await self._write(self._oncall.UpdateScheduleLayer, update, actor, ip)
        else:
            add = oncall_pb2.AddScheduleLayerRequest(schedule_id=schedule_id, layer=layer)
            await self._write(self._oncall.AddScheduleLayer, add, actor, ip)

    async def set_restrictions(
        self,
        schedule_id: str,
        layer_id: str,
        windows: list[oncall_pb2.LayerRestriction],
        *,
        actor: Identity,
        ip: str | None,
    ) -> None:
        """Replace the layer's restriction windows (none: it applies at all times)."""
        request = oncall_pb2.SetScheduleLayerRestrictionsRequest(
            schedule_id=schedule_id, layer_id=layer_id, restrictions=windows
        )
        await self._write(self._oncall.SetScheduleLayerRestrictions, request, actor, ip)

    async def delete_layer(self, schedule_id: str, layer_id: str, *, actor: Identity, ip: str | None) -> None:
        request = oncall_pb2.DeleteScheduleLayerRequest(schedule_id=schedule_id, layer_id=layer_id)
        await self._write(self._oncall.DeleteScheduleLayer, request, actor, ip)

    async def tokens(self) -> list[oncall_pb2.ApiToken]:
        reply: oncall_pb2.ListApiTokensResponse = await self._read(
            self._oncall.ListApiTokens, oncall_pb2.ListApiTokensRequest()
        )
        return list(reply.tokens)

    async def create_token(self, *, name: str, role: str, actor: Identity, ip: str | None) -> str:
        """The new token's secret (shown once)."""
        request = oncall_pb2.CreateApiTokenRequest(name=name, role=role)
        reply: oncall_pb2.CreateApiTokenResponse = await self._write(
            self._oncall.CreateApiToken, request, actor, ip
        )
        return reply.secret

    async def revoke_token(self, token_id: str, *, actor: Identity, ip: str | None) -> None:
        request = oncall_pb2.RevokeApiTokenRequest(token_id=token_id)
        await self._write(self._oncall.RevokeApiToken, request, actor, ip)

    async def audit(
        self, *, actor: str, action: str, limit: int, offset: int
    ) -> oncall_pb2.ListAuditResponse:
        request = oncall_pb2.ListAuditRequest(actor=actor, action=action, limit=limit, offset=offset)
        reply: oncall_pb2.ListAuditResponse = await self._read(self._oncall.ListAudit, request)
        return reply

    # --- incident-management -----------------------------------------------------------------------

    async def services(self) -> list[incident_pb2.Service]:
        request = incident_pb2.ListServicesRequest()
        reply: incident_pb2.ListServicesResponse = await self._read(self._incidents.ListServices, request)
        return list(reply.services)

    async def create_service(
        self, *, name: str, team: str, policy_id: str, actor: Identity, ip: str | None
    ) -> None:
        request = incident_pb2.CreateServiceRequest(name=name, team=team, escalation_policy_id=policy_id)
        await self._write(self._incidents.CreateService, request, actor, ip)

    async def delete_service(self, service_id: str, *, actor: Identity, ip: str | None) -> None:
        request = incident_pb2.DeleteServiceRequest(service_id=service_id)
        await self._write(self._incidents.DeleteService, request, actor, ip)

    async def create_integration(
        self, service_id: str, *, name: str, type: str, config_json: str, actor: Identity, ip: str | None
    ) -> incident_pb2.CreateIntegrationResponse:
        """The integration and its routing key (shown once)."""
        request = incident_pb2.CreateIntegrationRequest(
            service_id=service_id, name=name, type=type, config_json=config_json
        )
        reply: incident_pb2.CreateIntegrationResponse = await self._write(
            self._incidents.CreateIntegration, request, actor, ip
        )
        return reply

    async def revoke_integration(
        self, service_id: str, integration_id: str, *, actor: Identity, ip: str | None
    ) -> None:
        request = incident_pb2.RevokeIntegrationRequest(service_id=service_id, integration_id=integration_id)
        await self._write(self._incidents.RevokeIntegration, request, actor, ip)

    async def analytics(self, report: str, **query: str) -> dict[str, Any]:
        """An analytics answer as the REST API's JSON body: `report` is incidents, trends or distribution."""
        method = {
            "incidents": self._incidents.GetIncidentAnalytics,
            "trends": self._incidents.GetIncidentTrends,
            "distribution": self._incidents.GetResponseDistribution,
        }[report]
        reply: incident_pb2.AnalyticsResponse = await self._read(
            method, incident_pb2.AnalyticsRequest(query=query)
        )
        body: dict[str, Any] = orjson.loads(reply.body_json)
        return body
