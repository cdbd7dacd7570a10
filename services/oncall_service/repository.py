"""On-call queries on an AsyncSession. Never commits: the edge owns the transaction."""

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.models import Rotation, RotationMember, ServiceOwnership, Team, User


async def get_user(session: AsyncSession, *, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


async def get_user_by_email(session: AsyncSession, *, email: str) -> User | None:
    return (await session.execute(select(User).where(User.email == email))).scalar_one_or_none()


async def list_users(session: AsyncSession) -> Sequence[User]:
    return (await session.execute(select(User).order_by(User.name, User.id))).scalars().all()


def create_user(session: AsyncSession, *, fields: dict, now: datetime) -> User:
    """A new user from validated fields (name, email, time zone, notification rules)."""
    user = User(id=uuid.uuid4(), created_at=now, **fields)
    session.add(user)
    return user


async def delete_user(session: AsyncSession, *, user_id: uuid.UUID) -> bool:
    """True when a row was deleted."""
    return (await session.execute(delete(User).where(User.id == user_id))).rowcount > 0


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


async def get_team_by_service(session: AsyncSession, *, service: str) -> Team | None:
    stmt = select(Team).join(ServiceOwnership, ServiceOwnership.team_id == Team.id)
    return (await session.execute(stmt.where(ServiceOwnership.service == service))).scalar_one_or_none()


async def list_teams(session: AsyncSession) -> Sequence[Team]:
    return (await session.execute(select(Team).order_by(Team.name))).scalars().all()


def create_team(session: AsyncSession, *, name: str, now: datetime) -> Team:
    team = Team(id=uuid.uuid4(), name=name, created_at=now)
    session.add(team)
    return team


async def delete_team(session: AsyncSession, *, team_id: uuid.UUID) -> bool:
    """True when a row was deleted; the database cascades to its services and rotations."""
    return (await session.execute(delete(Team).where(Team.id == team_id))).rowcount > 0


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


def create_rotation(
    session: AsyncSession, *, values: dict, member_ids: list[uuid.UUID], now: datetime
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
    return (await session.execute(delete(Rotation).where(Rotation.id == rotation_id))).rowcount > 0


def _members(member_ids: list[uuid.UUID]) -> list[RotationMember]:
    return [RotationMember(position=i, user_id=user_id) for i, user_id in enumerate(member_ids)]
