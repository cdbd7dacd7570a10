"""The dashboard's console RPCs of OnCallService (users, schedules, overrides, policies, API tokens, the
audit log): proto ↔ domain mapping, each calling the command its REST route calls."""

from datetime import timedelta

import orjson

from services.oncall_service.access_schemas import ApiTokenCreate, AuditFilter
from services.oncall_service.commands import OnCallCommands
from services.oncall_service.models import (
    ApiToken,
    AuditEntry,
    EscalationPolicy,
    Schedule,
    ScheduleLayer,
    ScheduleOverride,
    User,
)
from services.oncall_service.schemas import OverrideCreate, UserPatch
from shared import audit
from shared.errors import InvalidInput, PermissionDenied
from shared.gen.oncall.v1 import oncall_pb2
from shared.http import parse_uuid, validated
from shared.timeutil import parse_rfc3339, proto_time, utcnow

SHIFTS_DEFAULT_DAYS = 7


def user_with_role(user: User) -> oncall_pb2.UserWithRole:
    return oncall_pb2.UserWithRole(
        user=oncall_pb2.OnCallUser(id=str(user.id), name=user.name, email=user.email),
        role=user.role,
        time_zone=user.time_zone,
        login_disabled=user.login_disabled,
    )


def override_to_proto(row: ScheduleOverride) -> oncall_pb2.ScheduleOverride:
    return oncall_pb2.ScheduleOverride(
        id=str(row.id), user_id=str(row.user_id), start=proto_time(row.start_at), end=proto_time(row.end_at)
    )


def layer_to_proto(layer: ScheduleLayer) -> oncall_pb2.ScheduleLayer:
    return oncall_pb2.ScheduleLayer(
        id=str(layer.id),
        name=layer.name,
        position=layer.position,
        shift_length=layer.shift_length,
        shift_unit=layer.shift_unit,
        member_ids=[str(m.user_id) for m in layer.members],
        handoff_time=f"{layer.handoff_time:%H:%M}",
        start_date=layer.start_date.isoformat(),
        restrictions=[
            oncall_pb2.LayerRestriction(weekdays=r["weekdays"], start=r["start"], end=r["end"])
            for r in layer.restrictions
        ],
    )


def schedule_to_proto(schedule: Schedule) -> oncall_pb2.OnCallSchedule:
    return oncall_pb2.OnCallSchedule(
        id=str(schedule.id),
        name=schedule.name,
        time_zone=schedule.time_zone,
        team_id=str(schedule.team_id or ""),
        layers=[layer_to_proto(layer) for layer in schedule.layers],
        overrides=[override_to_proto(o) for o in sorted(schedule.overrides, key=lambda o: o.start_at)],
    )


def policy_to_proto(policy: EscalationPolicy) -> oncall_pb2.EscalationPolicy:
    levels = [
        oncall_pb2.PolicyLevel(
            delay_minutes=level.delay_minutes or 0.0,
            targets=[
                oncall_pb2.PolicyTarget(type="user", id=str(t.user_id))
                if t.user_id
                else oncall_pb2.PolicyTarget(type="schedule", id=str(t.schedule_id))
                for t in level.targets
            ],
        )
        for level in policy.levels
    ]
    return oncall_pb2.EscalationPolicy(
        id=str(policy.id),
        name=policy.name,
        description=policy.description,
        repeat=policy.repeat,
        levels=levels,
    )


def token_to_proto(token: ApiToken) -> oncall_pb2.ApiToken:
    return oncall_pb2.ApiToken(
        id=str(token.id),
        name=token.name,
        role=token.role,
        prefix=token.prefix,
        created_by=token.created_by,
        created_at=proto_time(token.created_at),
        expires_at=proto_time(token.expires_at),
        last_used_at=proto_time(token.last_used_at),
        revoked_at=proto_time(token.revoked_at),
    )


def audit_to_proto(row: AuditEntry) -> oncall_pb2.AuditEntry:
    details = {k: v for k, v in (("before", row.before), ("after", row.after)) if v is not None}
    return oncall_pb2.AuditEntry(
        id=str(row.id),
        at=proto_time(row.at),
        actor=row.actor,
        action=row.action,
        target_type=row.target_type or "",
        target_id=row.target_id or "",
        client_ip=row.client_ip or "",
        details_json=orjson.dumps(details).decode() if details else "",
    )


async def set_role(
    commands: OnCallCommands, request: oncall_pb2.SetUserRoleRequest
) -> oncall_pb2.SetUserRoleResponse:
    patch = validated(UserPatch, {"role": request.role})
    user = await commands.update_user(parse_uuid(request.user_id, "user_id"), patch)
    return oncall_pb2.SetUserRoleResponse(user=user_with_role(user))


async def shifts(
    commands: OnCallCommands, request: oncall_pb2.ListScheduleShiftsRequest
) -> oncall_pb2.ListScheduleShiftsResponse:
    """As GET /schedules/{id}/shifts: [start, end), a week from now by default."""
    try:
        start = parse_rfc3339(request.start) if request.start else utcnow()
        end = parse_rfc3339(request.end) if request.end else start + timedelta(days=SHIFTS_DEFAULT_DAYS)
    except ValueError as error:
        raise InvalidInput(f"not an RFC 3339 instant: {error}", field="start") from error
    schedule, found = await commands.schedule_shifts(
        parse_uuid(request.schedule_id, "schedule_id"), start, end
    )
    return oncall_pb2.ListScheduleShiftsResponse(
        schedule_id=str(schedule.id),
        time_zone=schedule.time_zone,
        shifts=[
            oncall_pb2.Shift(
                start=proto_time(span.start),
                end=proto_time(span.end),
                user=None if u is None else oncall_pb2.OnCallUser(id=str(u.id), name=u.name, email=u.email),
            )
            for span, u in found
        ],
    )


async def create_override(
    commands: OnCallCommands, request: oncall_pb2.CreateOverrideRequest
) -> oncall_pb2.CreateOverrideResponse:
    body = validated(OverrideCreate, {"user_id": request.user_id, "start": request.start, "end": request.end})
    row = await commands.add_override(parse_uuid(request.schedule_id, "schedule_id"), body)
    return oncall_pb2.CreateOverrideResponse(override=override_to_proto(row))


async def create_token(
    commands: OnCallCommands, request: oncall_pb2.CreateApiTokenRequest
) -> oncall_pb2.CreateApiTokenResponse:
    """The creator is the person the call acts for (its metadata), as the REST route's is its caller."""
    creator = audit.acting_identity()
    if creator is None:
        raise PermissionDenied("creating an API token needs the acting person's identity")
    fields = {"name": request.name, "role": request.role}
    fields |= {"expires_at": request.expires_at} if request.expires_at else {}
    token, secret = await commands.create_api_token(validated(ApiTokenCreate, fields), creator=creator)
    return oncall_pb2.CreateApiTokenResponse(token=token_to_proto(token), secret=secret)


async def list_audit(
    commands: OnCallCommands, request: oncall_pb2.ListAuditRequest
) -> oncall_pb2.ListAuditResponse:
    fields: dict[str, object] = {"limit": request.limit or 100, "offset": request.offset}
    fields |= {k: v for k, v in (("actor", request.actor), ("action", request.action)) if v}
    entries, total = await commands.list_audit(validated(AuditFilter, fields))
    return oncall_pb2.ListAuditResponse(entries=[audit_to_proto(e) for e in entries], total=total)
