"""The unit of work shared by REST and gRPC: one transaction per command."""

import asyncio
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.oncall_service import credentials, logins, passwords, policies, roster, schedules
from services.oncall_service import repository as repo
from services.oncall_service.access_schemas import ApiTokenCreate, AuditFilter
from services.oncall_service.models import (
    ApiToken,
    AuditEntry,
    EscalationPolicy,
    Rotation,
    Schedule,
    ScheduleLayer,
    ScheduleOverride,
    Team,
    User,
)
from services.oncall_service.schemas import (
    CurrentOnCall,
    EscalationAnswer,
    LayerCreate,
    LayerPatch,
    OverrideCreate,
    PolicyCreate,
    PolicyPatch,
    RotationCreate,
    RotationPatch,
    ScheduleCreate,
    SchedulePatch,
    TeamCreate,
    TeamPatch,
    UserCreate,
    UserPatch,
)
from services.oncall_service.throttle import LoginThrottle
from shared import audit
from shared.auth import API_AUDIENCE, Identity, Role, issue_jwt
from shared.errors import DomainError, InvalidInput
from shared.timeutil import utcnow

TeamWithServices = tuple[Team, list[str]]


@dataclass(frozen=True)
class AccessTokens:
    key: str
    ttl_seconds: float


# A bound on one GetCurrentOnCallForServices call (incident-management sends a transaction's new incidents).
MAX_SERVICES_PER_LOOKUP = 1000


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


@dataclass
class OnCallCommands:
    sessions: async_sessionmaker[AsyncSession]
    # Failed dashboard logins per email (AuthenticateUser), kept in this process.
    throttle: LoginThrottle
    # The lookups incident-management makes for every new incident and escalation step; without one, they
    # use `sessions`. A roster edit landing between their statements is seen by the later ones only.
    readers: async_sessionmaker[AsyncSession] | None = None
    # Signs the access tokens of POST /api/v1/auth/token.
    access: AccessTokens = field(default_factory=lambda: AccessTokens("", 0))

    def _reader(self) -> AsyncSession:
        return (self.readers or self.sessions)()

    async def create_user(self, body: UserCreate) -> User:
        async with self.sessions.begin() as session:
            return await roster.create_user(session, body, now=utcnow())

    async def create_login_user(self, body: UserCreate) -> tuple[User, str]:
        """A new user who can log in, and their generated password (only its hash is kept)."""
        password = logins.generated_password()
        # argon2 takes ~50 ms of CPU: off the event loop, as logins hash checks are.
        password_hash = await asyncio.to_thread(passwords.hash_password, password)
        async with self.sessions.begin() as session:
            user = await roster.create_user(session, body, now=utcnow(), password_hash=password_hash)
            return user, password

    async def set_login_disabled(self, user_id: uuid.UUID, *, disabled: bool) -> User:
        """Disable (logging the person out everywhere) or enable the user's login, as the CLI does."""
        async with self.sessions.begin() as session:
            user = await roster.get_user(session, user_id)
            return await logins.set_login_disabled(session, email=user.email, disabled=disabled, now=utcnow())

    async def get_user(self, user_id: uuid.UUID) -> User:
        """One user; the dashboard asks on every page (its session check), so one autocommit read."""
        async with self._reader() as session:
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
        async with self._reader() as session:
            return await roster.current_on_call(
                session, team=team or None, service=service or None, at=_aware(at or utcnow())
            )

    async def current_for_services(
        self, services: Sequence[str], *, at: datetime | None
    ) -> list[CurrentOnCall | None]:
        """Who is on call at `at` for each service's owning team, in order; None for one no team owns."""
        if not 1 <= len(services) <= MAX_SERVICES_PER_LOOKUP:
            raise InvalidInput(
                f"give 1 to {MAX_SERVICES_PER_LOOKUP} services, not {len(services)}", field="services"
            )
        if not all(services):
            raise InvalidInput("a service name is empty", field="services")
        async with self._reader() as session:
            return await roster.current_for_services(session, services, at=_aware(at or utcnow()))

    async def current_for_every_team(self, *, at: datetime | None) -> list[CurrentOnCall]:
        """Who is on call at `at` (now when None) for each team, teams in name order."""
        when = _aware(at or utcnow())
        async with self._reader() as session:
            teams = sorted(await repo.list_teams(session), key=lambda t: t.name)
            answers = await roster.current_for_teams(session, teams, at=when)
            return [answers[team.id] for team in teams]

    async def log_in(self, *, email: str, password: str, client_ip: str | None, via: str) -> User:
        """The user these credentials log in, else Unauthenticated, PermissionDenied or TooManyRequests;
        the audit log gets the login or the failure either way."""
        try:
            async with self.sessions() as session:
                user = await logins.authenticate(
                    session,
                    self.throttle,
                    email=email,
                    password=password,
                    client_ip=client_ip,
                    now=time.time(),
                )
        except DomainError as refused:
            failed = audit.entry(
                identity=None,
                client_ip=client_ip,
                action="login_failed",
                actor=logins.normalise_email(email),
                after={"via": via, "reason": refused.message},
            )
            await self._append_audit(failed)
            raise
        who = Identity("user", user.id, user.name, Role(user.role), user.email)
        row = audit.entry(
            identity=who, client_ip=client_ip, action="login", target_type="users", target_id=user.id
        )
        await self._append_audit(row | {"after": {"via": via}})
        return user

    async def issue_access_token(
        self, *, email: str, password: str, client_ip: str | None
    ) -> tuple[str, int]:
        """An API access token (JWT) for these credentials and its life in seconds."""
        user = await self.log_in(email=email, password=password, client_ip=client_ip, via="api")
        ttl = int(self.access.ttl_seconds)
        token = issue_jwt(
            self.access.key, user_id=user.id, audience=API_AUDIENCE, now=int(time.time()), ttl_seconds=ttl
        )
        return token, ttl

    async def _append_audit(self, row: dict[str, Any]) -> None:
        async with self.sessions.begin() as session:
            await audit.append(session, row)

    async def create_api_token(self, body: ApiTokenCreate, *, creator: Identity) -> tuple[ApiToken, str]:
        async with self.sessions.begin() as session:
            return await credentials.create_api_token(session, body, creator=creator, now=utcnow())

    async def get_api_token(self, token_hash: str) -> ApiToken:
        """One API token; other services' credential checks ask (each at most every AUTH_CACHE_SECONDS)."""
        async with self._reader() as session:
            return await credentials.get_api_token(session, token_hash=token_hash)

    async def touch_api_token(self, token_id: uuid.UUID, at: datetime) -> None:
        """Record a use of the token at `at` (at most once a minute: shared.identities.token_touch)."""
        async with self.sessions.begin() as session:
            await repo.touch_api_token(session, token_id=token_id, at=_aware(at))

    async def list_api_tokens(self) -> list[ApiToken]:
        async with self.sessions() as session:
            return await credentials.list_api_tokens(session)

    async def revoke_api_token(self, token_id: uuid.UUID) -> ApiToken:
        async with self.sessions.begin() as session:
            return await credentials.revoke_api_token(session, token_id, now=utcnow())

    async def list_audit(self, query: AuditFilter) -> tuple[list[AuditEntry], int]:
        async with self.sessions() as session:
            return await credentials.list_audit(session, query)

    async def ensure_first_admin(self, *, email: str, password: str) -> User | None:
        async with self.sessions.begin() as session:
            return await credentials.ensure_first_admin(session, email=email, password=password, now=utcnow())

    async def create_schedule(self, body: ScheduleCreate) -> Schedule:
        async with self.sessions.begin() as session:
            return await schedules.create_schedule(session, body, now=utcnow())

    async def get_schedule(self, schedule_id: uuid.UUID) -> Schedule:
        async with self.sessions() as session:
            return await schedules.get_schedule(session, schedule_id)

    async def list_schedules(self, team_id: uuid.UUID | None) -> list[Schedule]:
        async with self.sessions() as session:
            return list(await repo.list_schedules(session, team_id=team_id))

    async def update_schedule(self, schedule_id: uuid.UUID, patch: SchedulePatch) -> Schedule:
        async with self.sessions.begin() as session:
            return await schedules.update_schedule(session, schedule_id, patch)

    async def delete_schedule(self, schedule_id: uuid.UUID) -> None:
        async with self.sessions.begin() as session:
            await schedules.delete_schedule(session, schedule_id)

    async def add_layer(self, schedule_id: uuid.UUID, body: LayerCreate) -> ScheduleLayer:
        async with self.sessions.begin() as session:
            return await schedules.add_layer(session, schedule_id, body)

    async def update_layer(
        self, schedule_id: uuid.UUID, layer_id: uuid.UUID, patch: LayerPatch
    ) -> ScheduleLayer:
        async with self.sessions.begin() as session:
            return await schedules.update_layer(session, schedule_id, layer_id, patch)

    async def delete_layer(self, schedule_id: uuid.UUID, layer_id: uuid.UUID) -> None:
        async with self.sessions.begin() as session:
            await schedules.delete_layer(session, schedule_id, layer_id)

    async def add_override(self, schedule_id: uuid.UUID, body: OverrideCreate) -> ScheduleOverride:
        async with self.sessions.begin() as session:
            return await schedules.add_override(session, schedule_id, body, now=utcnow())

    async def delete_override(self, schedule_id: uuid.UUID, override_id: uuid.UUID) -> None:
        async with self.sessions.begin() as session:
            await schedules.delete_override(session, schedule_id, override_id)

    async def schedule_on_call(
        self, schedule_id: uuid.UUID, at: datetime | None
    ) -> tuple[schedules.Shift, User | None]:
        """(span, user or None) at `at`, now when None."""
        async with self.sessions() as session:
            schedule = await schedules.get_schedule(session, schedule_id)
            return await schedules.on_call(session, schedule, at=_aware(at or utcnow()))

    async def schedule_shifts(
        self, schedule_id: uuid.UUID, start: datetime, end: datetime
    ) -> tuple[Schedule, list[tuple[schedules.Shift, User | None]]]:
        """The schedule and its final shifts (span, user or None) over [start, end)."""
        async with self.sessions() as session:
            schedule = await schedules.get_schedule(session, schedule_id)
            found = await schedules.shifts(session, schedule, start=_aware(start), end=_aware(end))
            return schedule, found

    async def user_shifts(
        self, user_id: uuid.UUID, start: datetime, end: datetime
    ) -> tuple[User, list[tuple[Schedule, schedules.Shift]]]:
        """The user and their (schedule, span) shifts over [start, end)."""
        async with self.sessions() as session:
            user = await roster.get_user(session, user_id)
            return user, await schedules.user_shifts(session, user, start=_aware(start), end=_aware(end))

    async def create_policy(self, body: PolicyCreate) -> EscalationPolicy:
        async with self.sessions.begin() as session:
            return await policies.create_policy(session, body, now=utcnow())

    async def get_policy(self, policy_id: uuid.UUID) -> EscalationPolicy:
        async with self.sessions() as session:
            return await policies.get_policy(session, policy_id)

    async def list_policies(self) -> list[EscalationPolicy]:
        async with self.sessions() as session:
            return list(await repo.list_policies(session))

    async def update_policy(self, policy_id: uuid.UUID, patch: PolicyPatch) -> EscalationPolicy:
        async with self.sessions.begin() as session:
            return await policies.update_policy(session, policy_id, patch)

    async def delete_policy(self, policy_id: uuid.UUID) -> None:
        async with self.sessions.begin() as session:
            await policies.delete_policy(session, policy_id)

    async def resolve_escalation(
        self, policy_id: uuid.UUID, level: int, at: datetime | None
    ) -> EscalationAnswer:
        async with self._reader() as session:
            return await policies.resolve_level(session, policy_id, level=level, at=_aware(at or utcnow()))
