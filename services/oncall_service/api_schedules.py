"""REST routes for schedules (layers, overrides, shifts, calendars) and escalation policies."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Response

from services.oncall_service.api import Commands
from services.oncall_service.ics import CalendarShift, calendar
from services.oncall_service.models import EscalationPolicy, Schedule, ScheduleLayer, ScheduleOverride, User
from services.oncall_service.schemas import (
    LayerCreate,
    LayerPatch,
    LayerRead,
    LevelRead,
    OnCallUserRead,
    OverrideCreate,
    OverrideRead,
    PolicyCreate,
    PolicyPatch,
    PolicyRead,
    ScheduleCreate,
    ScheduleOnCallRead,
    SchedulePatch,
    ScheduleRead,
    ShiftRead,
    ShiftsRead,
    TargetBody,
)
from shared.access import guard
from shared.auth import Role
from shared.timeutil import utcnow

router = APIRouter(prefix="/api/v1", dependencies=[guard(write=Role.admin)])
# Responders take and give back shifts (overrides) themselves; the rest of a schedule is configuration.
overrides_router = APIRouter(prefix="/api/v1", dependencies=[guard(write=Role.responder)])

# --- schedules -----------------------------------------------------------------------------------

CALENDAR_PAST, CALENDAR_AHEAD = timedelta(days=7), timedelta(days=90)
SHIFTS_DEFAULT = timedelta(days=7)
Instant = Annotated[datetime | None, Query(description="RFC 3339 instant; now when absent")]


def _utc(value: datetime) -> datetime:
    """Naive query times are UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


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


@overrides_router.post(
    "/schedules/{schedule_id}/overrides", response_model=OverrideRead, status_code=201, tags=["schedules"]
)
async def create_override(cmd: Commands, schedule_id: uuid.UUID, body: OverrideCreate) -> OverrideRead:
    return override_read(await cmd.add_override(schedule_id, body))


@overrides_router.delete(
    "/schedules/{schedule_id}/overrides/{override_id}", status_code=204, tags=["schedules"]
)
async def delete_override(cmd: Commands, schedule_id: uuid.UUID, override_id: uuid.UUID) -> Response:
    await cmd.delete_override(schedule_id, override_id)
    return Response(status_code=204)


@router.get("/schedules/{schedule_id}/oncall", response_model=ScheduleOnCallRead, tags=["schedules"])
async def schedule_on_call(cmd: Commands, schedule_id: uuid.UUID, at: Instant = None) -> ScheduleOnCallRead:
    at = _utc(at or utcnow())
    span, user = await cmd.schedule_on_call(schedule_id, at)
    return ScheduleOnCallRead(
        schedule_id=schedule_id, at=at, user=_user_read(user), shift_start=span.start, shift_end=span.end
    )


@router.get("/schedules/{schedule_id}/shifts", response_model=ShiftsRead, tags=["schedules"])
async def schedule_shifts(
    cmd: Commands,
    schedule_id: uuid.UUID,
    start: Annotated[datetime | None, Query(alias="from", description="default now")] = None,
    end: Annotated[datetime | None, Query(alias="to", description="default a week after from")] = None,
) -> ShiftsRead:
    """The final shifts covering [from, to) exactly; a gap has `user: null`."""
    start = _utc(start or utcnow())
    end = _utc(end or start + SHIFTS_DEFAULT)
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
