"""Use cases for users, teams, rotations and the on-call lookup; each runs in the caller's transaction."""

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.oncall_service import domain, schedules
from services.oncall_service import repository as repo
from services.oncall_service.models import Rotation, Team, User
from services.oncall_service.schemas import (
    CurrentOnCall,
    RotationCreate,
    RotationPatch,
    TeamCreate,
    TeamPatch,
    UserCreate,
    UserPatch,
)
from shared.errors import AlreadyExists, Conflict, InvalidInput, NotFound


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await repo.get_user(session, user_id=user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found", field="id")
    return user


async def _check_email_free(session: AsyncSession, email: str, *, user_id: uuid.UUID | None = None) -> None:
    other = await repo.get_user_by_email(session, email=email)
    if other is not None and other.id != user_id:
        raise AlreadyExists(f"email {email!r} is already used by another user", field="email")


async def create_user(
    session: AsyncSession, body: UserCreate, *, now: datetime, password_hash: str | None = None
) -> User:
    """A new user; with `password_hash`, one who can log in to the dashboard."""
    await _check_email_free(session, body.email)
    fields = body.model_dump() | ({"password_hash": password_hash} if password_hash else {})
    user = repo.create_user(session, fields=fields, now=now)
    await session.flush()
    return user


async def update_user(session: AsyncSession, user_id: uuid.UUID, patch: UserPatch) -> User:
    user = await get_user(session, user_id)
    if patch.role is not None and patch.role != "admin":
        await _keep_an_admin(session, user, "demoted")
    if patch.email is not None:
        await _check_email_free(session, patch.email, user_id=user_id)
    for name, value in patch.model_dump(exclude_none=True).items():
        setattr(user, name, value)
    await session.flush()
    return user


async def _keep_an_admin(session: AsyncSession, user: User, change: str) -> None:
    """Refuse to leave the platform without an admin (no one could configure it or make another)."""
    if user.role == "admin" and await repo.lock_admins(session) == [user.id]:
        raise Conflict(f"user {user.id} is the last admin and cannot be {change}; make another admin first")


async def get_notification_rules(
    session: AsyncSession, *, user_id: uuid.UUID | None, email: str | None
) -> User:
    """The user whose rules are asked for, by id or (case-insensitive) email."""
    user = None
    if user_id is not None:
        user = await repo.get_user(session, user_id=user_id)
    elif email:
        user = await repo.get_user_by_email(session, email=email.strip().lower())
    if user is None:
        raise NotFound(f"no user with id {user_id} or email {email!r}", field="email")
    return user


async def delete_user(session: AsyncSession, user_id: uuid.UUID) -> None:
    """Refused while the user is in a rotation: someone must take their shifts first."""
    rotations = await repo.list_rotation_names_of_user(session, user_id=user_id)
    if rotations:
        names = ", ".join(repr(n) for n in rotations)
        raise Conflict(
            f"user {user_id} is still a member of rotation(s) {names}; remove them first", field="id"
        )
    await _check_unreferenced(session, user_id)
    user = await repo.get_user(session, user_id=user_id)
    if user is not None:
        await _keep_an_admin(session, user, "deleted")
    if not await repo.delete_user(session, user_id=user_id):
        raise NotFound(f"user {user_id} not found", field="id")


async def _check_unreferenced(session: AsyncSession, user_id: uuid.UUID) -> None:
    """Schedules and escalation policies naming the user would silently page nobody."""
    schedules = [s.name for s in await repo.list_schedules_of_user(session, user_id=user_id)]
    policies = await repo.list_policy_names_referencing(session, user_id=user_id)
    if schedules or policies:
        names = ", ".join(repr(n) for n in schedules + policies)
        raise Conflict(
            f"user {user_id} is still in schedule(s) or escalation policy(ies) {names}", field="id"
        )


async def get_team(session: AsyncSession, team_id: uuid.UUID) -> tuple[Team, list[str]]:
    team = await repo.get_team(session, team_id=team_id)
    if team is None:
        raise NotFound(f"team {team_id} not found", field="id")
    services = await repo.list_services(session, team_ids=[team.id])
    return team, services[team.id]


async def list_teams(session: AsyncSession) -> list[tuple[Team, list[str]]]:
    teams = await repo.list_teams(session)
    services = await repo.list_services(session, team_ids=[t.id for t in teams])
    return [(team, services[team.id]) for team in teams]


async def _check_team_name_free(
    session: AsyncSession, name: str, *, team_id: uuid.UUID | None = None
) -> None:
    other = await repo.get_team_by_name(session, name=name)
    if other is not None and other.id != team_id:
        raise AlreadyExists(f"team name {name!r} is already taken", field="name")


async def _set_services(
    session: AsyncSession, team: Team, services: list[str], *, now: datetime
) -> list[str]:
    """Give the team exactly these services; one owned by another team is a conflict naming it."""
    wanted = sorted(set(services))
    for service, owner_id, owner_name in await repo.list_service_owners(session, services=wanted):
        if owner_id != team.id:
            raise AlreadyExists(
                f"service {service!r} is already owned by team {owner_name!r}", field="services"
            )
    await repo.replace_services(session, team_id=team.id, services=wanted, now=now)
    return wanted


async def create_team(session: AsyncSession, body: TeamCreate, *, now: datetime) -> tuple[Team, list[str]]:
    await _check_team_name_free(session, body.name)
    team = repo.create_team(session, name=body.name, now=now)
    await session.flush()
    services = await _set_services(session, team, body.services, now=now)
    await session.flush()
    return team, services


async def update_team(
    session: AsyncSession, team_id: uuid.UUID, patch: TeamPatch, *, now: datetime
) -> tuple[Team, list[str]]:
    team, services = await get_team(session, team_id)
    if patch.name is not None:
        await _check_team_name_free(session, patch.name, team_id=team_id)
        team.name = patch.name
    if patch.services is not None:
        services = await _set_services(session, team, patch.services, now=now)
    await session.flush()
    return team, services


async def delete_team(session: AsyncSession, team_id: uuid.UUID) -> None:
    """Its service ownerships and rotations go with it."""
    if not await repo.delete_team(session, team_id=team_id):
        raise NotFound(f"team {team_id} not found", field="id")


async def get_rotation(session: AsyncSession, rotation_id: uuid.UUID) -> Rotation:
    rotation = await repo.get_rotation(session, rotation_id=rotation_id)
    if rotation is None:
        raise NotFound(f"rotation {rotation_id} not found", field="id")
    return rotation


async def _check_refs(
    session: AsyncSession, team_id: uuid.UUID | None, member_ids: list[uuid.UUID] | None
) -> None:
    if team_id is not None and await repo.get_team(session, team_id=team_id) is None:
        raise InvalidInput(f"team {team_id} does not exist", field="team_id")
    if member_ids:
        missing = set(member_ids) - await repo.list_existing_user_ids(session, user_ids=member_ids)
        if missing:
            listed = ", ".join(sorted(str(m) for m in missing))
            raise InvalidInput(f"unknown user id(s) in member_ids: {listed}", field="member_ids")


async def create_rotation(session: AsyncSession, body: RotationCreate, *, now: datetime) -> Rotation:
    await _check_refs(session, body.team_id, body.member_ids)
    values = body.model_dump(exclude={"member_ids"})
    rotation = repo.create_rotation(session, values=values, member_ids=body.member_ids, now=now)
    await session.flush()
    return rotation


async def update_rotation(session: AsyncSession, rotation_id: uuid.UUID, patch: RotationPatch) -> Rotation:
    rotation = await get_rotation(session, rotation_id)
    await _check_refs(session, patch.team_id, patch.member_ids)
    for name, value in patch.model_dump(exclude_none=True, exclude={"member_ids"}).items():
        setattr(rotation, name, value)
    if patch.member_ids is not None:
        await repo.replace_members(session, rotation=rotation, member_ids=patch.member_ids)
    await session.flush()
    return rotation


async def delete_rotation(session: AsyncSession, rotation_id: uuid.UUID) -> None:
    if not await repo.delete_rotation(session, rotation_id=rotation_id):
        raise NotFound(f"rotation {rotation_id} not found", field="id")


async def _team_for(session: AsyncSession, *, team: str | None, service: str | None) -> Team:
    if team is not None and service is None:
        found = await repo.get_team_by_name(session, name=team)
        if found is None:
            raise NotFound(f"no team named {team!r}", field="team")
        return found
    if service is not None and team is None:
        found = (await repo.teams_by_service(session, services=[service])).get(service)
        if found is None:
            raise NotFound(f"no team owns service {service!r}", field="service")
        return found
    raise InvalidInput("give exactly one of team or service", field="team")


def _plan(rotation: Rotation) -> domain.RotationPlan:
    return domain.RotationPlan(
        time_zone=rotation.time_zone,
        handoff_weekday=rotation.handoff_weekday,
        handoff_time=rotation.handoff_time,
        start_date=rotation.start_date,
        member_count=len(rotation.members),
    )


async def current_on_call(
    session: AsyncSession, *, team: str | None, service: str | None, at: datetime
) -> CurrentOnCall:
    """Who is on call for a team, or a service's owning team, at `at`."""
    found = await _team_for(session, team=team, service=service)
    return (await current_for_teams(session, [found], at=at))[found.id]


async def current_for_services(
    session: AsyncSession, services: Sequence[str], *, at: datetime
) -> list[CurrentOnCall | None]:
    """`current_on_call` for each service's owning team, in order (None: no team owns it), in as many
    queries as for one service: an alert storm across many teams' services is answered at once."""
    owners = await repo.teams_by_service(session, services=set(services))
    answers = await current_for_teams(session, list({t.id: t for t in owners.values()}.values()), at=at)
    return [answers[owners[s].id] if s in owners else None for s in services]


async def current_for_teams(
    session: AsyncSession, teams: Sequence[Team], *, at: datetime
) -> dict[uuid.UUID, CurrentOnCall]:
    """Who is on call for each team at `at`. A team's schedules come first (oldest first), then its
    rotations, read only for the teams no schedule answered; each read for all the teams at once."""
    answers: dict[uuid.UUID, CurrentOnCall] = {}
    if not teams:
        return answers
    schedules_of = await repo.schedules_of_teams(session, team_ids=[team.id for team in teams])
    for team in teams:
        for schedule in schedules_of.get(team.id, []):
            span, user = await schedules.on_call(session, schedule, at=at)
            if user is not None:
                answers[team.id] = CurrentOnCall(
                    team.name, user, schedule.name, domain.Shift(0, span.start, span.end)
                )
                break
    rest = [team for team in teams if team.id not in answers]
    if rest:
        rotations_of = await repo.rotations_of_teams(session, team_ids=[team.id for team in rest])
        answers |= {team.id: _from_rotations(team, rotations_of.get(team.id, []), at) for team in rest}
    return answers


def _from_rotations(team: Team, rotations: list[Rotation], at: datetime) -> CurrentOnCall:
    """Several rotations: the oldest (created_at, then id) with someone on call wins, so a newer rotation
    only covers the gaps of older ones."""
    picked = domain.first_staffed([_plan(r) for r in rotations], at)
    if picked is None:
        return CurrentOnCall(team=team.name, user=None, rotation=None, shift=None)
    index, shift = picked
    rotation = rotations[index]
    return CurrentOnCall(team.name, rotation.members[shift.member].user, rotation.name, shift)
