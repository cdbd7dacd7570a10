"""The unit of work shared by REST and gRPC: one transaction per command."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.oncall_service import repository as repo
from services.oncall_service import roster
from services.oncall_service.schemas import (
    CurrentOnCall,
    RotationCreate,
    RotationPatch,
    TeamCreate,
    TeamPatch,
    UserCreate,
    UserPatch,
)
from shared.models import Rotation, Team, User
from shared.timeutil import utcnow

TeamWithServices = tuple[Team, list[str]]


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


@dataclass
class OnCallCommands:
    sessions: async_sessionmaker[AsyncSession]

    async def create_user(self, body: UserCreate) -> User:
        async with self.sessions.begin() as session:
            return await roster.create_user(session, body, now=utcnow())

    async def get_user(self, user_id: uuid.UUID) -> User:
        async with self.sessions() as session:
            return await roster.get_user(session, user_id)

    async def list_users(self) -> list[User]:
        async with self.sessions() as session:
            return list(await repo.list_users(session))

    async def update_user(self, user_id: uuid.UUID, patch: UserPatch) -> User:
        async with self.sessions.begin() as session:
            return await roster.update_user(session, user_id, patch)

    async def notification_rules(self, *, user_id: uuid.UUID | None, email: str | None) -> User:
        """The user (with their notification rules) by id or email."""
        async with self.sessions() as session:
            return await roster.get_notification_rules(session, user_id=user_id, email=email)

    async def delete_user(self, user_id: uuid.UUID) -> None:
        async with self.sessions.begin() as session:
            await roster.delete_user(session, user_id)

    async def create_team(self, body: TeamCreate) -> TeamWithServices:
        async with self.sessions.begin() as session:
            return await roster.create_team(session, body, now=utcnow())

    async def get_team(self, team_id: uuid.UUID) -> TeamWithServices:
        async with self.sessions() as session:
            return await roster.get_team(session, team_id)

    async def list_teams(self) -> list[TeamWithServices]:
        async with self.sessions() as session:
            return await roster.list_teams(session)

    async def update_team(self, team_id: uuid.UUID, patch: TeamPatch) -> TeamWithServices:
        async with self.sessions.begin() as session:
            return await roster.update_team(session, team_id, patch, now=utcnow())

    async def delete_team(self, team_id: uuid.UUID) -> None:
        async with self.sessions.begin() as session:
            await roster.delete_team(session, team_id)

    async def create_rotation(self, body: RotationCreate) -> Rotation:
        async with self.sessions.begin() as session:
            return await roster.create_rotation(session, body, now=utcnow())

    async def get_rotation(self, rotation_id: uuid.UUID) -> Rotation:
        async with self.sessions() as session:
            return await roster.get_rotation(session, rotation_id)

    async def list_rotations(self, team_id: uuid.UUID | None) -> list[Rotation]:
        async with self.sessions() as session:
            return list(await repo.list_rotations(session, team_id=team_id))

    async def update_rotation(self, rotation_id: uuid.UUID, patch: RotationPatch) -> Rotation:
        async with self.sessions.begin() as session:
            return await roster.update_rotation(session, rotation_id, patch)

    async def delete_rotation(self, rotation_id: uuid.UUID) -> None:
        async with self.sessions.begin() as session:
            await roster.delete_rotation(session, rotation_id)

    async def current(self, *, team: str | None, service: str | None, at: datetime | None) -> CurrentOnCall:
        """Who is on call at `at` (now when None; a naive time is taken as UTC)."""
        async with self.sessions() as session:
            return await roster.current_on_call(
                session, team=team or None, service=service or None, at=_aware(at or utcnow())
            )
