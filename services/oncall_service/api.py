"""REST routes for users, teams, rotations and the current on-call: parse, call one command, shape."""

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from services.oncall_service.commands import OnCallCommands
from services.oncall_service.models import Rotation, Team
from services.oncall_service.schemas import (
    CurrentOnCall,
    OnCallRead,
    OnCallUserRead,
    RotationCreate,
    RotationPatch,
    RotationRead,
    TeamCreate,
    TeamPatch,
    TeamRead,
    UserCreate,
    UserPatch,
    UserRead,
)
from shared.access import guard
from shared.auth import Role
from shared.timeutil import rfc3339

router = APIRouter(prefix="/api/v1", dependencies=[guard(write=Role.admin)])


async def commands(request: Request) -> OnCallCommands:
    found: OnCallCommands = request.app.state.commands
    return found


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
