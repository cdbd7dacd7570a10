"""On-call queries on an AsyncSession. Never commits: the edge owns the transaction."""

import uuid
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    CursorResult,
    Delete,
    SQLColumnExpression,
    String,
    Uuid,
    any_,
    delete,
    literal,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload
from sqlalchemy.types import TypeEngine

from services.oncall_service.models import (
    ApiToken,
    EscalationLevel,
    EscalationPolicy,
    EscalationTarget,
    Rotation,
    RotationMember,
    Schedule,
    ScheduleLayer,
    ScheduleLayerMember,
    ScheduleOverride,
    ServiceOwnership,
    Team,
    User,
)
from shared.identities import token_touch

Grouped = TypeVar("Grouped", Rotation, Schedule)


async def get_user(session: AsyncSession, *, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


async def get_api_token_by_hash(session: AsyncSession, *, token_hash: str) -> ApiToken | None:
    return (
        await session.execute(select(ApiToken).where(ApiToken.token_hash == token_hash))
    ).scalar_one_or_none()


async def touch_api_token(session: AsyncSession, *, token_id: uuid.UUID, at: datetime) -> None:
    await session.execute(token_touch(token_id, at))


async def get_user_by_email(session: AsyncSession, *, email: str) -> User | None:
    return (await session.execute(select(User).where(User.email == email))).scalar_one_or_none()


async def list_users(session: AsyncSession) -> Sequence[User]:
    return (await session.execute(select(User).order_by(User.name, User.id))).scalars().all()


def create_user(session: AsyncSession, *, fields: dict[str, Any], now: datetime) -> User:
    """A new user from validated fields (name, email, time zone, notification rules)."""
    user = User(id=uuid.uuid4(), created_at=now, **fields)
    session.add(user)
    return user


async def lock_admins(session: AsyncSession) -> list[uuid.UUID]:
    """The admins' ids, their rows locked: two demotions at once then see each other's."""
    stmt = select(User.id).where(User.role == "admin").order_by(User.id).with_for_update()
    return list(await session.scalars(stmt))


async def delete_user(session: AsyncSession, *, user_id: uuid.UUID) -> bool:
    """True when a row was deleted."""
    return await _deleted(session, delete(User).where(User.id == user_id))


async def list_existing_user_ids(session: AsyncSession, *, user_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    return set((await session.execute(select(User.id).where(User.id.in_(user_ids)))).scalars().all())


async def list_rotation_names_of_user(session: AsyncSession, *, user_id: uuid.UUID) -> list[str]:
    stmt = (
        select(Rotation.name)
        .join(RotationMember, RotationMember.rotation_id == Rotation.id)
        .where(RotationMember.user_id == user_id)
        .distinct()
        .order_by(Rotation.name)
    )
    return list((await session.execute(stmt)).scalars().all())


async def get_team(session: AsyncSession, *, team_id: uuid.UUID) -> Team | None:
    return await session.get(Team, team_id)


async def get_team_by_name(session: AsyncSession, *, name: str) -> Team | None:
    return (await session.execute(select(Team).where(Team.name == name))).scalar_one_or_none()


async def _deleted(session: AsyncSession, statement: Delete) -> bool:
    """Run a DELETE; True when it deleted a row."""
    result = await session.execute(statement)
    return cast(CursorResult[Any], result).rowcount > 0  # a DML statement's result is a CursorResult


def _among(
    column: SQLColumnExpression[Any], values: Collection[object], kind: TypeEngine[Any]
) -> ColumnElement[bool]:
    """`column = ANY($1)`, the values in one array parameter: the statement's text is the same whatever
    their number, where an IN list's text changes with its length (each length a statement of its own to
    parse and plan on every pooled connection: an alert storm asks about any number of services at once)."""
    return column == any_(literal(list(values), ARRAY(kind)))


async def teams_by_service(session: AsyncSession, *, services: Collection[str]) -> dict[str, Team]:
    """The owning team of each of `services` that has one."""
    stmt = select(ServiceOwnership.service, Team).join(Team, ServiceOwnership.team_id == Team.id)
    rows = await session.execute(stmt.where(_among(ServiceOwnership.service, services, String())))
    return {service: team for service, team in rows.tuples()}


async def list_teams(session: AsyncSession) -> Sequence[Team]:
    return (await session.execute(select(Team).order_by(Team.name))).scalars().all()


def create_team(session: AsyncSession, *, name: str, now: datetime) -> Team:
    team = Team(id=uuid.uuid4(), name=name, created_at=now)
    session.add(team)
    return team


async def delete_team(session: AsyncSession, *, team_id: uuid.UUID) -> bool:
    """True when a row was deleted; the database cascades to its services and rotations."""
    return await _deleted(session, delete(Team).where(Team.id == team_id))


async def list_services(session: AsyncSession, *, team_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    """Each team's service names, sorted."""
    stmt = select(ServiceOwnership).where(ServiceOwnership.team_id.in_(team_ids))
    owned: dict[uuid.UUID, list[str]] = {team_id: [] for team_id in team_ids}
    for row in (await session.execute(stmt.order_by(ServiceOwnership.service))).scalars():
        owned[row.team_id].append(row.service)
    return owned


async def list_service_owners(
    session: AsyncSession, *, services: list[str]
) -> list[tuple[str, uuid.UUID, str]]:
    """(service, team id, team name) for those of `services` some team owns."""
    stmt = (
        select(ServiceOwnership.service, Team.id, Team.name)
        .join(Team, Team.id == ServiceOwnership.team_id)
        .where(ServiceOwnership.service.in_(services))
        .order_by(ServiceOwnership.service)
    )
    return [tuple(row) for row in (await session.execute(stmt)).all()]


async def replace_services(
    session: AsyncSession, *, team_id: uuid.UUID, services: list[str], now: datetime
) -> None:
    await session.execute(delete(ServiceOwnership).where(ServiceOwnership.team_id == team_id))
    session.add_all(ServiceOwnership(service=s, team_id=team_id, created_at=now) for s in services)


async def get_rotation(session: AsyncSession, *, rotation_id: uuid.UUID) -> Rotation | None:
    return await session.get(Rotation, rotation_id)


async def list_rotations(session: AsyncSession, *, team_id: uuid.UUID | None = None) -> Sequence[Rotation]:
    """Oldest first, ties broken by id: the order on-call lookups try them in."""
    stmt = select(Rotation).order_by(Rotation.created_at, Rotation.id)
    if team_id is not None:
        stmt = stmt.where(Rotation.team_id == team_id)
    return (await session.execute(stmt)).scalars().all()


async def rotations_of_teams(
    session: AsyncSession, *, team_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, list[Rotation]]:
    """Each team's rotations in `list_rotations`' order, with their members and users, in one query."""
    stmt = (
        select(Rotation)
        .where(_among(Rotation.team_id, team_ids, Uuid()))
        .options(joinedload(Rotation.members))
    )
    return _by_team(
        (await session.execute(stmt.order_by(Rotation.created_at, Rotation.id))).unique().scalars()
    )


def _by_team(rows: Iterable[Grouped]) -> dict[uuid.UUID, list[Grouped]]:
    found: dict[uuid.UUID, list[Grouped]] = {}
    for row in rows:
        if row.team_id is not None:  # always: the rows were selected by team
            found.setdefault(row.team_id, []).append(row)
    return found


def create_rotation(
    session: AsyncSession, *, values: dict[str, Any], member_ids: list[uuid.UUID], now: datetime
) -> Rotation:
    rotation = Rotation(id=uuid.uuid4(), created_at=now, members=_members(member_ids), **values)
    session.add(rotation)
    return rotation


async def replace_members(session: AsyncSession, *, rotation: Rotation, member_ids: list[uuid.UUID]) -> None:
    """Old rows go before new ones arrive: positions are part of the primary key."""
    rotation.members.clear()
    await session.flush()
    rotation.members.extend(_members(member_ids))


async def delete_rotation(session: AsyncSession, *, rotation_id: uuid.UUID) -> bool:
    return await _deleted(session, delete(Rotation).where(Rotation.id == rotation_id))


def _members(member_ids: list[uuid.UUID]) -> list[RotationMember]:
    return [RotationMember(position=i, user_id=user_id) for i, user_id in enumerate(member_ids)]


async def list_users_by_ids(session: AsyncSession, *, user_ids: list[uuid.UUID]) -> dict[uuid.UUID, User]:
    rows = (await session.execute(select(User).where(User.id.in_(user_ids)))).scalars().all()
    return {user.id: user for user in rows}


async def get_schedule(
    session: AsyncSession, *, schedule_id: uuid.UUID, for_update: bool = False
) -> Schedule | None:
    """With `for_update`, writers of the same schedule (e.g. overrides) queue behind each other."""
    stmt = select(Schedule).where(Schedule.id == schedule_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_schedule_by_name(session: AsyncSession, *, name: str) -> Schedule | None:
    return (await session.execute(select(Schedule).where(Schedule.name == name))).scalar_one_or_none()


async def list_schedules(session: AsyncSession, *, team_id: uuid.UUID | None = None) -> Sequence[Schedule]:
    """Oldest first, ties broken by id: the order a team's on-call lookup tries them in."""
    stmt = select(Schedule).order_by(Schedule.created_at, Schedule.id)
    if team_id is not None:
        stmt = stmt.where(Schedule.team_id == team_id)
    return (await session.execute(stmt)).scalars().all()


async def schedules_of_teams(
    session: AsyncSession, *, team_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, list[Schedule]]:
    """Each team's schedules in `list_schedules`' order, in one query (and one each for their layers and
    overrides)."""
    stmt = select(Schedule).where(_among(Schedule.team_id, team_ids, Uuid()))
    return _by_team((await session.execute(stmt.order_by(Schedule.created_at, Schedule.id))).scalars())


async def list_schedules_of_user(session: AsyncSession, *, user_id: uuid.UUID) -> Sequence[Schedule]:
    """Schedules naming the user in a layer or an override."""
    in_layer = (
        select(ScheduleLayer.schedule_id)
        .join(ScheduleLayerMember, ScheduleLayerMember.layer_id == ScheduleLayer.id)
        .where(ScheduleLayerMember.user_id == user_id)
    )
    in_override = select(ScheduleOverride.schedule_id).where(
        or_(ScheduleOverride.user_id == user_id, ScheduleOverride.replaces_user_id == user_id)
    )
    stmt = select(Schedule).where(or_(Schedule.id.in_(in_layer), Schedule.id.in_(in_override)))
    return (await session.execute(stmt.order_by(Schedule.name))).scalars().all()


async def list_existing_schedule_ids(
    session: AsyncSession, *, schedule_ids: list[uuid.UUID]
) -> set[uuid.UUID]:
    stmt = select(Schedule.id).where(Schedule.id.in_(schedule_ids))
    return set((await session.execute(stmt)).scalars().all())


def create_schedule(session: AsyncSession, *, values: dict[str, Any], now: datetime) -> Schedule:
    schedule = Schedule(id=uuid.uuid4(), created_at=now, layers=[], overrides=[], **values)
    session.add(schedule)
    return schedule


async def delete_schedule(session: AsyncSession, *, schedule_id: uuid.UUID) -> bool:
    return await _deleted(session, delete(Schedule).where(Schedule.id == schedule_id))


def create_layer(
    schedule: Schedule, *, values: dict[str, Any], member_ids: list[uuid.UUID], position: int
) -> ScheduleLayer:
    layer = ScheduleLayer(id=uuid.uuid4(), position=position, members=_layer_members(member_ids), **values)
    schedule.layers.append(layer)
    return layer


async def replace_layer_members(
    session: AsyncSession, *, layer: ScheduleLayer, member_ids: list[uuid.UUID]
) -> None:
    """Old rows go before new ones arrive: positions are part of the primary key."""
    layer.members.clear()
    await session.flush()
    layer.members.extend(_layer_members(member_ids))


def _layer_members(member_ids: list[uuid.UUID]) -> list[ScheduleLayerMember]:
    return [ScheduleLayerMember(position=i, user_id=user_id) for i, user_id in enumerate(member_ids)]


def create_override(schedule: Schedule, *, values: dict[str, Any], now: datetime) -> ScheduleOverride:
    override = ScheduleOverride(id=uuid.uuid4(), schedule_id=schedule.id, created_at=now, **values)
    schedule.overrides.append(override)
    return override


async def list_policy_names_referencing(
    session: AsyncSession, *, user_id: uuid.UUID | None = None, schedule_id: uuid.UUID | None = None
) -> list[str]:
    """Names of escalation policies with a level targeting this user or schedule."""
    stmt = (
        select(EscalationPolicy.name)
        .join(EscalationLevel, EscalationLevel.policy_id == EscalationPolicy.id)
        .join(EscalationTarget, EscalationTarget.level_id == EscalationLevel.id)
        .distinct()
        .order_by(EscalationPolicy.name)
    )
    if user_id is not None:
        stmt = stmt.where(EscalationTarget.user_id == user_id)
    if schedule_id is not None:
        stmt = stmt.where(EscalationTarget.schedule_id == schedule_id)
    return list((await session.execute(stmt)).scalars().all())


async def get_policy(session: AsyncSession, *, policy_id: uuid.UUID) -> EscalationPolicy | None:
    return await session.get(EscalationPolicy, policy_id)


async def get_policy_by_name(session: AsyncSession, *, name: str) -> EscalationPolicy | None:
    stmt = select(EscalationPolicy).where(EscalationPolicy.name == name)
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_policies(session: AsyncSession) -> Sequence[EscalationPolicy]:
    stmt = select(EscalationPolicy).order_by(EscalationPolicy.name, EscalationPolicy.id)
    return (await session.execute(stmt)).scalars().all()


def create_policy(
    session: AsyncSession, *, values: dict[str, Any], levels: list[EscalationLevel], now: datetime
) -> EscalationPolicy:
    policy = EscalationPolicy(id=uuid.uuid4(), created_at=now, levels=levels, **values)
    session.add(policy)
    return policy


async def replace_levels(
    session: AsyncSession, *, policy: EscalationPolicy, levels: list[EscalationLevel]
) -> None:
    """Old levels go before new ones arrive: (policy, position) is unique."""
    policy.levels.clear()
    await session.flush()
    policy.levels.extend(levels)


async def delete_policy(session: AsyncSession, *, policy_id: uuid.UUID) -> bool:
    return await _deleted(session, delete(EscalationPolicy).where(EscalationPolicy.id == policy_id))
