"""Use cases for schedules, layers and overrides, and who they put on call; in the caller's transaction."""

import uuid
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.oncall_service import repository as repo
from services.oncall_service import schedule as engine
from services.oncall_service.models import Schedule, ScheduleLayer, ScheduleOverride, User
from services.oncall_service.schemas import (
    LayerCreate,
    LayerPatch,
    OverrideCreate,
    ScheduleCreate,
    SchedulePatch,
)
from shared.errors import AlreadyExists, Conflict, InvalidInput, NotFound

# The longest window /shifts and the calendars compute at once.
MAX_WINDOW = timedelta(days=366)
# A final shift of a stored schedule: who is on call, by user id.
Shift = engine.Span[uuid.UUID]


async def get_schedule(
    session: AsyncSession, schedule_id: uuid.UUID, *, for_update: bool = False
) -> Schedule:
    schedule = await repo.get_schedule(session, schedule_id=schedule_id, for_update=for_update)
    if schedule is None:
        raise NotFound(f"schedule {schedule_id} not found", field="id")
    return schedule


async def _check_name_free(session: AsyncSession, name: str, *, schedule_id: uuid.UUID | None = None) -> None:
    other = await repo.get_schedule_by_name(session, name=name)
    if other is not None and other.id != schedule_id:
        raise AlreadyExists(f"schedule name {name!r} is already taken", field="name")


async def _check_users(session: AsyncSession, user_ids: list[uuid.UUID], *, field: str) -> None:
    missing = set(user_ids) - await repo.list_existing_user_ids(session, user_ids=user_ids)
    if missing:
        listed = ", ".join(sorted(str(m) for m in missing))
        raise InvalidInput(f"unknown user id(s) in {field}: {listed}", field=field)


async def _check_team(session: AsyncSession, team_id: uuid.UUID | None) -> None:
    if team_id is not None and await repo.get_team(session, team_id=team_id) is None:
        raise InvalidInput(f"team {team_id} does not exist", field="team_id")


def _layer_values(body: LayerCreate | LayerPatch) -> dict[str, Any]:
    values = body.model_dump(exclude_none=True, exclude={"member_ids", "restrictions"})
    if body.restrictions is not None:
        values["restrictions"] = [
            {"weekdays": sorted(set(r.weekdays)), "start": f"{r.start:%H:%M}", "end": f"{r.end:%H:%M}"}
            for r in body.restrictions
        ]
    return values


async def create_schedule(session: AsyncSession, body: ScheduleCreate, *, now: datetime) -> Schedule:
    await _check_name_free(session, body.name)
    await _check_team(session, body.team_id)
    for index, layer in enumerate(body.layers):
        await _check_users(session, layer.member_ids, field=f"layers[{index}].member_ids")
    values = body.model_dump(exclude={"layers"})
    schedule = repo.create_schedule(session, values=values, now=now)
    for position, layer in enumerate(body.layers):
        repo.create_layer(
            schedule, values=_layer_values(layer), member_ids=layer.member_ids, position=position
        )
    await session.flush()
    return schedule


async def update_schedule(session: AsyncSession, schedule_id: uuid.UUID, patch: SchedulePatch) -> Schedule:
    schedule = await get_schedule(session, schedule_id)
    if patch.name is not None:
        await _check_name_free(session, patch.name, schedule_id=schedule_id)
    await _check_team(session, patch.team_id)
    for name, value in patch.model_dump(exclude_none=True).items():
        setattr(schedule, name, value)
    await session.flush()
    return schedule


async def delete_schedule(session: AsyncSession, schedule_id: uuid.UUID) -> None:
    """Refused while an escalation policy pages it."""
    policies = await repo.list_policy_names_referencing(session, schedule_id=schedule_id)
    if policies:
        names = ", ".join(repr(n) for n in policies)
        raise Conflict(f"schedule {schedule_id} is used by escalation policy(ies) {names}", field="id")
    if not await repo.delete_schedule(session, schedule_id=schedule_id):
        raise NotFound(f"schedule {schedule_id} not found", field="id")


def _find_layer(schedule: Schedule, layer_id: uuid.UUID) -> ScheduleLayer:
    for layer in schedule.layers:
        if layer.id == layer_id:
            return layer
    raise NotFound(f"layer {layer_id} not found in schedule {schedule.id}", field="layer_id")


async def add_layer(session: AsyncSession, schedule_id: uuid.UUID, body: LayerCreate) -> ScheduleLayer:
    """Appended on top: the new layer wins where it has someone."""
    schedule = await get_schedule(session, schedule_id, for_update=True)
    await _check_users(session, body.member_ids, field="member_ids")
    position = max((layer.position for layer in schedule.layers), default=-1) + 1
    layer = repo.create_layer(
        schedule, values=_layer_values(body), member_ids=body.member_ids, position=position
    )
    await session.flush()
    return layer


async def update_layer(
    session: AsyncSession, schedule_id: uuid.UUID, layer_id: uuid.UUID, patch: LayerPatch
) -> ScheduleLayer:
    layer = _find_layer(await get_schedule(session, schedule_id, for_update=True), layer_id)
    if patch.member_ids is not None:
        await _check_users(session, patch.member_ids, field="member_ids")
        await repo.replace_layer_members(session, layer=layer, member_ids=patch.member_ids)
    for name, value in _layer_values(patch).items():
        setattr(layer, name, value)
    await session.flush()
    return layer


async def delete_layer(session: AsyncSession, schedule_id: uuid.UUID, layer_id: uuid.UUID) -> None:
    schedule = await get_schedule(session, schedule_id, for_update=True)
    schedule.layers.remove(_find_layer(schedule, layer_id))
    await session.flush()


def _as_override(row: ScheduleOverride) -> engine.Override[uuid.UUID]:
    return engine.Override(row.user_id, row.start_at, row.end_at, row.replaces_user_id)


async def add_override(
    session: AsyncSession, schedule_id: uuid.UUID, body: OverrideCreate, *, now: datetime
) -> ScheduleOverride:
    """Refused (409) when it overlaps another override of the schedule; the row lock serialises writers."""
    schedule = await get_schedule(session, schedule_id, for_update=True)
    await _check_users(session, [body.user_id], field="user_id")
    if body.replaces_user_id is not None:
        await _check_users(session, [body.replaces_user_id], field="replaces_user_id")
    candidate = engine.Override(body.user_id, body.start, body.end, body.replaces_user_id)
    clash = engine.overlapping([_as_override(o) for o in schedule.overrides], candidate)
    if clash is not None:
        raise Conflict(
            f"override overlaps another one of this schedule ({clash.start.isoformat()} to "
            f"{clash.end.isoformat()})",
            field="start",
        )
    values = {
        "user_id": body.user_id,
        "replaces_user_id": body.replaces_user_id,
        "start_at": body.start,
        "end_at": body.end,
    }
    override = repo.create_override(schedule, values=values, now=now)
    await session.flush()
    return override


async def delete_override(session: AsyncSession, schedule_id: uuid.UUID, override_id: uuid.UUID) -> None:
    schedule = await get_schedule(session, schedule_id, for_update=True)
    for override in schedule.overrides:
        if override.id == override_id:
            schedule.overrides.remove(override)
            await session.flush()
            return
    raise NotFound(f"override {override_id} not found in schedule {schedule_id}", field="override_id")


def plan_of(schedule: Schedule) -> engine.Plan[uuid.UUID]:
    """The engine's view of a stored schedule."""
    layers = tuple(
        engine.Layer(
            members=tuple(m.user_id for m in layer.members),
            shift_length=layer.shift_length,
            shift_unit=layer.shift_unit,
            handoff_time=layer.handoff_time,
            start_date=layer.start_date,
            restrictions=tuple(
                engine.Restriction(
                    frozenset(r["weekdays"]), time.fromisoformat(r["start"]), time.fromisoformat(r["end"])
                )
                for r in layer.restrictions
            ),
        )
        for layer in schedule.layers
    )
    return engine.Plan(schedule.time_zone, layers, tuple(_as_override(o) for o in schedule.overrides))


def check_window(start: datetime, end: datetime) -> None:
    if end <= start:
        raise InvalidInput("to must be after from", field="to")
    if end - start > MAX_WINDOW:
        raise InvalidInput(f"window longer than {MAX_WINDOW.days} days", field="to")


async def _with_users(session: AsyncSession, spans: list[Shift]) -> list[tuple[Shift, User | None]]:
    """Each span with its user (None in a gap), the users read in one query."""
    ids = list({s.user for s in spans if s.user is not None})
    users = await repo.list_users_by_ids(session, user_ids=ids) if ids else {}
    return [(span, None if span.user is None else users.get(span.user)) for span in spans]


async def shifts(
    session: AsyncSession, schedule: Schedule, *, start: datetime, end: datetime
) -> list[tuple[Shift, User | None]]:
    """The final shifts over [start, end), gaps included, each with its user."""
    check_window(start, end)
    return await _with_users(session, engine.final_spans(plan_of(schedule), start, end))


async def on_call(session: AsyncSession, schedule: Schedule, *, at: datetime) -> tuple[Shift, User | None]:
    """Who the schedule puts on call at `at`, and the bounds of that stretch."""
    [found] = await _with_users(session, [engine.on_call_at(plan_of(schedule), at)])
    return found


async def user_shifts(
    session: AsyncSession, user: User, *, start: datetime, end: datetime
) -> list[tuple[Schedule, Shift]]:
    """The user's final shifts in every schedule naming them."""
    check_window(start, end)
    found: list[tuple[Schedule, Shift]] = []
    for schedule in await repo.list_schedules_of_user(session, user_id=user.id):
        spans = engine.final_spans(plan_of(schedule), start, end)
        found.extend((schedule, span) for span in spans if span.user == user.id)
    return sorted(found, key=lambda pair: pair[1].start)
