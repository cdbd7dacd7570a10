"""The dashboard's configuration RPCs of OnCallService (users, teams, escalation policies, schedules and
their layers): admins only, proto ↔ the REST schemas, each calling the command its REST route calls."""

from collections.abc import Iterable
from typing import Any

from services.oncall_service.commands import OnCallCommands
from services.oncall_service.grpc_console import (
    layer_to_proto,
    policy_to_proto,
    schedule_to_proto,
    user_with_role,
)
from services.oncall_service.schemas import (
    LayerCreate,
    LayerPatch,
    PolicyCreate,
    PolicyPatch,
    ScheduleCreate,
    UserCreate,
)
from shared import audit
from shared.auth import Role
from shared.errors import PermissionDenied
from shared.gen.oncall.v1 import oncall_pb2
from shared.http import parse_uuid, validated


def require_admin() -> None:
    """As the REST routes' guard(write=admin): the person the call acts for must be an admin."""
    who = audit.acting_identity()
    if who is None or not who.role.allows(Role.admin):
        raise PermissionDenied("configuration needs an admin acting (named in the call's metadata)")


async def create_user(
    commands: OnCallCommands, request: oncall_pb2.CreateUserRequest
) -> oncall_pb2.CreateUserResponse:
    fields = {"name": request.name, "email": request.email}
    fields |= {k: v for k, v in (("role", request.role), ("time_zone", request.time_zone)) if v}
    user, password = await commands.create_login_user(validated(UserCreate, fields))
    return oncall_pb2.CreateUserResponse(user=user_with_role(user), password=password)


def _policy_fields(policy: oncall_pb2.EscalationPolicy) -> dict[str, Any]:
    """A policy's fields as the REST body has them: a delay of 0 is the default delay (null)."""
    levels = [
        {"targets": [{"type": t.type, "id": t.id} for t in level.targets]}
        | ({"delay_minutes": level.delay_minutes} if level.delay_minutes else {})
        for level in policy.levels
    ]
    return {
        "name": policy.name,
        "description": policy.description,
        "repeat": policy.repeat,
        "levels": levels,
    }


async def create_policy(
    commands: OnCallCommands, request: oncall_pb2.CreateEscalationPolicyRequest
) -> oncall_pb2.CreateEscalationPolicyResponse:
    policy = await commands.create_policy(validated(PolicyCreate, _policy_fields(request.policy)))
    return oncall_pb2.CreateEscalationPolicyResponse(policy=policy_to_proto(policy))


async def update_policy(
    commands: OnCallCommands, request: oncall_pb2.UpdateEscalationPolicyRequest
) -> oncall_pb2.UpdateEscalationPolicyResponse:
    policy_id = parse_uuid(request.policy.id, "id")
    patch = validated(PolicyPatch, _policy_fields(request.policy))
    policy = await commands.update_policy(policy_id, patch)
    return oncall_pb2.UpdateEscalationPolicyResponse(policy=policy_to_proto(policy))


async def create_schedule(
    commands: OnCallCommands, request: oncall_pb2.CreateScheduleRequest
) -> oncall_pb2.CreateScheduleResponse:
    fields = {"name": request.name, "time_zone": request.time_zone, "description": request.description}
    fields |= {"team_id": request.team_id} if request.team_id else {}
    schedule = await commands.create_schedule(validated(ScheduleCreate, fields))
    return oncall_pb2.CreateScheduleResponse(schedule=schedule_to_proto(schedule))


def _restrictions(windows: Iterable[oncall_pb2.LayerRestriction]) -> list[dict[str, Any]]:
    """Restriction windows as the REST body has them."""
    return [{"weekdays": list(w.weekdays), "start": w.start, "end": w.end} for w in windows]


def _layer_fields(layer: oncall_pb2.ScheduleLayer) -> dict[str, Any]:
    """A layer's fields but its restrictions as the REST body has them; an empty name is the default one."""
    fields: dict[str, Any] = {
        "shift_length": layer.shift_length,
        "shift_unit": layer.shift_unit,
        "handoff_time": layer.handoff_time,
        "start_date": layer.start_date,
        "member_ids": list(layer.member_ids),
    }
    return fields | ({"name": layer.name} if layer.name else {})


async def add_layer(
    commands: OnCallCommands, request: oncall_pb2.AddScheduleLayerRequest
) -> oncall_pb2.AddScheduleLayerResponse:
    schedule_id = parse_uuid(request.schedule_id, "schedule_id")
    fields = _layer_fields(request.layer) | {"restrictions": _restrictions(request.layer.restrictions)}
    layer = await commands.add_layer(schedule_id, validated(LayerCreate, fields))
    return oncall_pb2.AddScheduleLayerResponse(layer=layer_to_proto(layer))


async def update_layer(
    commands: OnCallCommands, request: oncall_pb2.UpdateScheduleLayerRequest
) -> oncall_pb2.UpdateScheduleLayerResponse:
    schedule_id = parse_uuid(request.schedule_id, "schedule_id")
    layer_id = parse_uuid(request.layer.id, "layer_id")
    patch = validated(LayerPatch, _layer_fields(request.layer))
    layer = await commands.update_layer(schedule_id, layer_id, patch)
    return oncall_pb2.UpdateScheduleLayerResponse(layer=layer_to_proto(layer))


async def set_layer_restrictions(
    commands: OnCallCommands, request: oncall_pb2.SetScheduleLayerRestrictionsRequest
) -> oncall_pb2.SetScheduleLayerRestrictionsResponse:
    """As PATCH /schedules/{id}/layers/{layer_id} with `restrictions` alone."""
    schedule_id = parse_uuid(request.schedule_id, "schedule_id")
    layer_id = parse_uuid(request.layer_id, "layer_id")
    patch = validated(LayerPatch, {"restrictions": _restrictions(request.restrictions)})
    layer = await commands.update_layer(schedule_id, layer_id, patch)
    return oncall_pb2.SetScheduleLayerRestrictionsResponse(layer=layer_to_proto(layer))


async def list_teams(commands: OnCallCommands) -> oncall_pb2.ListTeamsResponse:
    teams = [
        oncall_pb2.Team(id=str(team.id), name=team.name, services=services)
        for team, services in await commands.list_teams()
    ]
    return oncall_pb2.ListTeamsResponse(teams=teams)
