"""Use cases for escalation policies and resolving a level to users; in the caller's transaction."""

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.oncall_service import repository as repo
from services.oncall_service import schedule as engine
from services.oncall_service.models import EscalationLevel, EscalationPolicy, EscalationTarget, User
from services.oncall_service.schedules import plan_of
from services.oncall_service.schemas import EscalationAnswer, LevelBody, PolicyCreate, PolicyPatch
from shared.errors import AlreadyExists, InvalidInput, NotFound


async def get_policy(session: AsyncSession, policy_id: uuid.UUID) -> EscalationPolicy:
    policy = await repo.get_policy(session, policy_id=policy_id)
    if policy is None:
        raise NotFound(f"escalation policy {policy_id} not found", field="id")
    return policy


async def _check_name_free(session: AsyncSession, name: str, *, policy_id: uuid.UUID | None = None) -> None:
    other = await repo.get_policy_by_name(session, name=name)
    if other is not None and other.id != policy_id:
        raise AlreadyExists(f"escalation policy name {name!r} is already taken", field="name")


async def _check_targets(session: AsyncSession, levels: list[LevelBody]) -> None:
    """Every target must exist now; the field names the first one that does not."""
    user_ids = [t.id for level in levels for t in level.targets if t.type == "user"]
    schedule_ids = [t.id for level in levels for t in level.targets if t.type == "schedule"]
    users = await repo.list_existing_user_ids(session, user_ids=user_ids) if user_ids else set()
    schedules = (
        await repo.list_existing_schedule_ids(session, schedule_ids=schedule_ids) if schedule_ids else set()
    )
    for i, level in enumerate(levels):
        for j, target in enumerate(level.targets):
            if target.id not in (users if target.type == "user" else schedules):
                raise InvalidInput(
                    f"levels[{i}].targets[{j}]: unknown {target.type} {target.id}",
                    field=f"levels[{i}].targets[{j}].id",
                )


def _levels(levels: list[LevelBody]) -> list[EscalationLevel]:
    return [
        EscalationLevel(
            id=uuid.uuid4(),
            position=i,
            delay_minutes=level.delay_minutes,
            targets=[
                EscalationTarget(
                    position=j,
                    user_id=t.id if t.type == "user" else None,
                    schedule_id=t.id if t.type == "schedule" else None,
                )
                for j, t in enumerate(level.targets)
            ],
        )
        for i, level in enumerate(levels)
    ]


async def create_policy(session: AsyncSession, body: PolicyCreate, *, now: datetime) -> EscalationPolicy:
    await _check_name_free(session, body.name)
    await _check_targets(session, body.levels)
    values = body.model_dump(exclude={"levels"})
    policy = repo.create_policy(session, values=values, levels=_levels(body.levels), now=now)
    await session.flush()
    return policy


async def update_policy(session: AsyncSession, policy_id: uuid.UUID, patch: PolicyPatch) -> EscalationPolicy:
    policy = await get_policy(session, policy_id)
    if patch.name is not None:
        await _check_name_free(session, patch.name, policy_id=policy_id)
    if patch.levels is not None:
        await _check_targets(session, patch.levels)
        await repo.replace_levels(session, policy=policy, levels=_levels(patch.levels))
    for name, value in patch.model_dump(exclude_none=True, exclude={"levels"}).items():
        setattr(policy, name, value)
    await session.flush()
    return policy


async def delete_policy(session: AsyncSession, policy_id: uuid.UUID) -> None:
    if not await repo.delete_policy(session, policy_id=policy_id):
        raise NotFound(f"escalation policy {policy_id} not found", field="id")


async def resolve_level(
    session: AsyncSession, policy_id: uuid.UUID, *, level: int, at: datetime
) -> EscalationAnswer:
    """The users a level pages at `at` (schedules resolved to who is on call), deduplicated in order."""
    policy = await get_policy(session, policy_id)
    if not 0 <= level < len(policy.levels):
        raise InvalidInput(f"level {level} out of range 0..{len(policy.levels) - 1}", field="level")
    step = policy.levels[level]
    user_ids: list[uuid.UUID] = []
    empty: list[str] = []
    for target in step.targets:
        if target.user_id is not None:
            user_ids.append(target.user_id)
            continue
        schedule_id = target.schedule_id  # a target names a user or a schedule
        schedule = (
            await repo.get_schedule(session, schedule_id=schedule_id) if schedule_id is not None else None
        )
        span = engine.on_call_at(plan_of(schedule), at) if schedule is not None else None
        if span is None or span.user is None:
            empty.append(f"schedule {schedule.name if schedule else target.schedule_id}")
        else:
            user_ids.append(span.user)
    users = await repo.list_users_by_ids(session, user_ids=user_ids) if user_ids else {}
    ordered: list[User] = [users[i] for i in dict.fromkeys(user_ids) if i in users]
    return EscalationAnswer(
        policy.id, policy.name, level, len(policy.levels), policy.repeat, step.delay_minutes, ordered, empty
    )
