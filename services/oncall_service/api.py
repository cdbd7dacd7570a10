"""REST routes for users, teams, rotations and the current on-call: parse, call one command, shape."""

import uuid
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from services.oncall_service.commands import OnCallCommands
from services.oncall_service.ics import CalendarShift, calendar
from services.oncall_service.schemas import (
    CurrentOnCall,
    LayerCreate,
    LayerPatch,
    LayerRead,
    LevelRead,
    OnCallRead,
    OnCallUserRead,
    OverrideCreate,
    OverrideRead,
    PolicyCreate,
    PolicyPatch,
    PolicyRead,
    RotationCreate,
    RotationPatch,
    RotationRead,
    ScheduleCreate,
    ScheduleOnCallRead,
    SchedulePatch,
    ScheduleRead,
    ShiftRead,
    ShiftsRead,
    TargetBody,
    TeamCreate,
    TeamPatch,
    TeamRead,
    UserCreate,
    UserPatch,
    UserRead,
)
from shared.models import EscalationPolicy, Rotation, Schedule, ScheduleLayer, ScheduleOverride, Team, User
from shared.timeutil import rfc3339, utcnow

router = APIRouter(prefix="/api/v1")


def commands(request: Request) -> OnCallCommands:
    return request.app.state.commands


Commands = Annotated[OnCallCommands, Depends(commands)]


def team_read(team: Team, services: list[str]) -> TeamRead:
    return TeamRead(id=team.id, name=team.name, services=services, created_at=team.created_at)


def rotation_read(rotation: Rotation) -> RotationRead:
    return RotationRead(
        id=rotation.id,
        team_id=rotation.team_id,
        name=rotation.name,
        time_zone=rotation.time_zone,
        handoff_weekday=rotation.handoff_weekday,
        handoff_time=rotation.handoff_time,
        start_date=rotation.start_date,
        member_ids=[member.user_id for member in rotation.members],
        created_at=rotation.created_at,
    )


def oncall_read(answer: CurrentOnCall) -> OnCallRead:
    user = answer.user
    return OnCallRead(
        team=answer.team,
        user=None if user is None else OnCallUserRead(id=user.id, name=user.name, email=user.email),
        rotation=answer.rotation,
        shift_start=rfc3339(answer.shift.start) if answer.shift else None,
        shift_end=rfc3339(answer.shift.end) if answer.shift else None,
    )


@router.post("/users", response_model=UserRead, status_code=201, tags=["users"])
async def create_user(cmd: Commands, body: UserCreate) -> UserRead:
    return UserRead.model_validate(await cmd.create_user(body))


@router.get("/users", response_model=list[UserRead], tags=["users"])
async def list_users(cmd: Commands) -> list[UserRead]:
    return [UserRead.model_validate(u) for u in await cmd.list_users()]


@router.get("/users/{user_id}", response_model=UserRead, tags=["users"])
async def get_user(cmd: Commands, user_id: uuid.UUID) -> UserRead:
    return UserRead.model_validate(await cmd.get_user(user_id))


@router.patch("/users/{user_id}", response_model=UserRead, tags=["users"])
async def patch_user(cmd: Commands, user_id: uuid.UUID, patch: UserPatch) -> UserRead:
    return UserRead.model_validate(await cmd.update_user(user_id, patch))


@router.delete("/users/{user_id}", status_code=204, tags=["users"])
async def delete_user(cmd: Commands, user_id: uuid.UUID) -> Response:
    await cmd.delete_user(user_id)
    return Response(status_code=204)


@router.post("/teams", response_model=TeamRead, status_code=201, tags=["teams"])
async def create_team(cmd: Commands, body: TeamCreate) -> TeamRead:
    return team_read(*await cmd.create_team(body))


@router.get("/teams", response_model=list[TeamRead], tags=["teams"])
async def list_teams(cmd: Commands) -> list[TeamRead]:
    return [team_read(*pair) for pair in await cmd.list_teams()]


@router.get("/teams/{team_id}", response_model=TeamRead, tags=["teams"])
async def get_team(cmd: Commands, team_id: uuid.UUID) -> TeamRead:
    return team_read(*await cmd.get_team(team_id))


@router.patch("/teams/{team_id}", response_model=TeamRead, tags=["teams"])
async def patch_team(cmd: Commands, team_id: uuid.UUID, patch: TeamPatch) -> TeamRead:
    return team_read(*await cmd.update_team(team_id, patch))


@router.delete("/teams/{team_id}", status_code=204, tags=["teams"])
async def delete_team(cmd: Commands, team_id: uuid.UUID) -> Response:
    await cmd.delete_team(team_id)
    return Response(status_code=204)


@router.post("/rotations", response_model=RotationRead, status_code=201, tags=["rotations"])
async def create_rotation(cmd: Commands, body: RotationCreate) -> RotationRead:
    return rotation_read(await cmd.create_rotation(body))


@router.get("/rotations", response_model=list[RotationRead], tags=["rotations"])
async def list_rotations(cmd: Commands, team_id: uuid.UUID | None = None) -> list[RotationRead]:
    return [rotation_read(r) for r in await cmd.list_rotations(team_id)]


@router.get("/rotations/{rotation_id}", response_model=RotationRead, tags=["rotations"])
async def get_rotation(cmd: Commands, rotation_id: uuid.UUID) -> RotationRead:
    return rotation_read(await cmd.get_rotation(rotation_id))


@router.patch("/rotations/{rotation_id}", response_model=RotationRead, tags=["rotations"])
async def patch_rotation(cmd: Commands, rotation_id: uuid.UUID, patch: RotationPatch) -> RotationRead:
    return rotation_read(await cmd.update_rotation(rotation_id, patch))


@router.delete("/rotations/{rotation_id}", status_code=204, tags=["rotations"])
async def delete_rotation(cmd: Commands, rotation_id: uuid.UUID) -> Response:
    await cmd.delete_rotation(rotation_id)
    return Response(status_code=204)


@router.get("/oncall/current", response_model=OnCallRead, tags=["oncall"])
async def current_oncall(
    cmd: Commands,
    team: Annotated[str | None, Query(max_length=200)] = None,
    service: Annotated[str | None, Query(max_length=200)] = None,
    at: Annotated[datetime | None, Query(description="RFC 3339 instant; now when absent")] = None,
) -> OnCallRead:
    return oncall_read(await cmd.current(team=team, service=service, at=at))


# --- schedules -----------------------------------------------------------------------------------

CALENDAR_PAST, CALENDAR_AHEAD = timedelta(days=7), timedelta(days=90)
Instant = Annotated[datetime | None, Query(description="RFC 3339 instant; now when absent")]


def _user_read(user: User | None) -> OnCallUserRead | None:
    return None if user is None else OnCallUserRead(id=user.id, name=user.name, email=user.email)


def layer_read(layer: ScheduleLayer) -> LayerRead:
    return LayerRead(
        id=layer.id,
        position=layer.position,
        name=layer.name,
        shift_length=layer.shift_length,
        shift_unit=layer.shift_unit,
        handoff_time=layer.handoff_time,
        start_date=layer.start_date,
        member_ids=[m.user_id for m in layer.members],
        restrictions=layer.restrictions,
    )


def override_read(row: ScheduleOverride) -> OverrideRead:
    return OverrideRead(
        id=row.id,
        user_id=row.user_id,
        replaces_user_id=row.replaces_user_id,
        start=row.start_at,
        end=row.end_at,
    )


def schedule_read(schedule: Schedule) -> ScheduleRead:
    return ScheduleRead(
        id=schedule.id,
        name=schedule.name,
        description=schedule.description,
        time_zone=schedule.time_zone,
        team_id=schedule.team_id,
        layers=[layer_read(layer) for layer in schedule.layers],
        overrides=[override_read(o) for o in schedule.overrides],
        created_at=schedule.created_at,
    )


@router.post("/schedules", response_model=ScheduleRead, status_code=201, tags=["schedules"])
async def create_schedule(cmd: Commands, body: ScheduleCreate) -> ScheduleRead:
    return schedule_read(await cmd.create_schedule(body))


@router.get("/schedules", response_model=list[ScheduleRead], tags=["schedules"])
async def list_schedules(cmd: Commands, team_id: uuid.UUID | None = None) -> list[ScheduleRead]:
    return [schedule_read(s) for s in await cmd.list_schedules(team_id)]


@router.get("/schedules/{schedule_id}", response_model=ScheduleRead, tags=["schedules"])
async def get_schedule(cmd: Commands, schedule_id: uuid.UUID) -> ScheduleRead:
    return schedule_read(await cmd.get_schedule(schedule_id))


@router.patch("/schedules/{schedule_id}", response_model=ScheduleRead, tags=["schedules"])
async def patch_schedule(cmd: Commands, schedule_id: uuid.UUID, patch: SchedulePatch) -> ScheduleRead:
    return schedule_read(await cmd.update_schedule(schedule_id, patch))


@router.delete("/schedules/{schedule_id}", status_code=204, tags=["schedules"])
async def delete_schedule(cmd: Commands, schedule_id: uuid.UUID) -> Response:
    await cmd.delete_schedule(schedule_id)
    return Response(status_code=204)


@router.post("/schedules/{schedule_id}/layers", response_model=LayerRead, status_code=201, tags=["schedules"])
async def create_layer(cmd: Commands, schedule_id: uuid.UUID, body: LayerCreate) -> LayerRead:
    return layer_read(await cmd.add_layer(schedule_id, body))


@router.patch("/schedules/{schedule_id}/layers/{layer_id}", response_model=LayerRead, tags=["schedules"])
async def patch_layer(
    cmd: Commands, schedule_id: uuid.UUID, layer_id: uuid.UUID, patch: LayerPatch
) -> LayerRead:
    return layer_read(await cmd.update_layer(schedule_id, layer_id, patch))


@router.delete("/schedules/{schedule_id}/layers/{layer_id}", status_code=204, tags=["schedules"])
async def delete_layer(cmd: Commands, schedule_id: uuid.UUID, layer_id: uuid.UUID) -> Response:
    await cmd.delete_layer(schedule_id, layer_id)
    return Response(status_code=204)


@router.get("/schedules/{schedule_id}/overrides", response_model=list[OverrideRead], tags=["schedules"])
async def list_overrides(cmd: Commands, schedule_id: uuid.UUID) -> list[OverrideRead]:
    return [override_read(o) for o in (await cmd.get_schedule(schedule_id)).overrides]


@router.post(
    "/schedules/{schedule_id}/overrides", response_model=OverrideRead, status_code=201, tags=["schedules"]
)
async def create_override(cmd: Commands, schedule_id: uuid.UUID, body: OverrideCreate) -> OverrideRead:
    return override_read(await cmd.add_override(schedule_id, body))


@router.delete("/schedules/{schedule_id}/overrides/{override_id}", status_code=204, tags=["schedules"])
async def delete_override(cmd: Commands, schedule_id: uuid.UUID, override_id: uuid.UUID) -> Response:
    await cmd.delete_override(schedule_id, override_id)
    return Response(status_code=204)


@router.get("/schedules/{schedule_id}/oncall", response_model=ScheduleOnCallRead, tags=["schedules"])
async def schedule_on_call(cmd: Commands, schedule_id: uuid.UUID, at: Instant = None) -> ScheduleOnCallRead:
    span, user = await cmd.schedule_on_call(schedule_id, at)
    at = at or utcnow()
    return ScheduleOnCallRead(
        schedule_id=schedule_id, at=at, user=_user_read(user), shift_start=span.start, shift_end=span.end
    )


@router.get("/schedules/{schedule_id}/shifts", response_model=ShiftsRead, tags=["schedules"])
async def schedule_shifts(
    cmd: Commands,
    schedule_id: uuid.UUID,
    start: Annotated[datetime, Query(alias="from")],
    end: Annotated[datetime, Query(alias="to")],
) -> ShiftsRead:
    """The final shifts covering [from, to) exactly; a gap has `user: null`."""
    schedule, found = await cmd.schedule_shifts(schedule_id, start, end)
    return ShiftsRead(
        schedule_id=schedule.id,
        time_zone=schedule.time_zone,
        start=start,
        end=end,
        shifts=[ShiftRead(start=s.start, end=s.end, user=_user_read(u)) for s, u in found],
    )


def _calendar_window(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    now = utcnow()
    return start or now - CALENDAR_PAST, end or now + CALENDAR_AHEAD


def _ics(body: bytes) -> Response:
    return Response(content=body, media_type="text/calendar; charset=utf-8")


@router.get("/schedules/{schedule_id}/calendar.ics", tags=["schedules"], response_class=Response)
async def schedule_calendar(
    cmd: Commands,
    schedule_id: uuid.UUID,
    start: Annotated[datetime | None, Query(alias="from")] = None,
    end: Annotated[datetime | None, Query(alias="to")] = None,
) -> Response:
    """Every staffed shift of the schedule as an event (7 days back to 90 days ahead by default)."""
    schedule, found = await cmd.schedule_shifts(schedule_id, *_calendar_window(start, end))
    shifts = [
        CalendarShift(f"{schedule.id}-{s.start:%Y%m%dT%H%M%SZ}@oncall", schedule.name, u.name, s.start, s.end)
        for s, u in found
        if u is not None
    ]
    return _ics(calendar(schedule.name, shifts, now=utcnow()))


@router.get("/users/{user_id}/calendar.ics", tags=["users"], response_class=Response)
async def user_calendar(
    cmd: Commands,
    user_id: uuid.UUID,
    start: Annotated[datetime | None, Query(alias="from")] = None,
    end: Annotated[datetime | None, Query(alias="to")] = None,
) -> Response:
    """The user's shifts in every schedule (7 days back to 90 days ahead by default)."""
    user, found = await cmd.user_shifts(user_id, *_calendar_window(start, end))
    shifts = [
        CalendarShift(
            f"{sch.id}-{user.id}-{s.start:%Y%m%dT%H%M%SZ}@oncall", sch.name, user.name, s.start, s.end
        )
        for sch, s in found
    ]
    return _ics(calendar(f"On call: {user.name}", shifts, now=utcnow()))


# --- escalation policies -------------------------------------------------------------------------


def policy_read(policy: EscalationPolicy) -> PolicyRead:
    levels = [
        LevelRead(
            delay_minutes=level.delay_minutes,
            targets=[
                TargetBody(type="user", id=t.user_id)
                if t.user_id
                else TargetBody(type="schedule", id=t.schedule_id)
                for t in level.targets
            ],
        )
        for level in policy.levels
    ]
    return PolicyRead(
        id=policy.id,
        name=policy.name,
        description=policy.description,
        repeat=policy.repeat,
        levels=levels,
        created_at=policy.created_at,
    )


@router.post("/escalation-policies", response_model=PolicyRead, status_code=201, tags=["escalation"])
async def create_policy(cmd: Commands, body: PolicyCreate) -> PolicyRead:
    return policy_read(await cmd.create_policy(body))


@router.get("/escalation-policies", response_model=list[PolicyRead], tags=["escalation"])
async def list_policies(cmd: Commands) -> list[PolicyRead]:
    return [policy_read(p) for p in await cmd.list_policies()]


@router.get("/escalation-policies/{policy_id}", response_model=PolicyRead, tags=["escalation"])
async def get_policy(cmd: Commands, policy_id: uuid.UUID) -> PolicyRead:
    return policy_read(await cmd.get_policy(policy_id))


@router.patch("/escalation-policies/{policy_id}", response_model=PolicyRead, tags=["escalation"])
async def patch_policy(cmd: Commands, policy_id: uuid.UUID, patch: PolicyPatch) -> PolicyRead:
    return policy_read(await cmd.update_policy(policy_id, patch))


@router.delete("/escalation-policies/{policy_id}", status_code=204, tags=["escalation"])
async def delete_policy(cmd: Commands, policy_id: uuid.UUID) -> Response:
    await cmd.delete_policy(policy_id)
    return Response(status_code=204)
