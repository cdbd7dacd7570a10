"""Rules of credentials: API tokens (never more than their creator's role), the audit log's reads, and
the first admin."""

import uuid
from datetime import datetime

from sqlalchemy import func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.oncall_service import logins
from services.oncall_service import repository as repo
from services.oncall_service.access_schemas import ApiTokenCreate, AuditFilter
from services.oncall_service.models import ApiToken, AuditEntry, User
from shared.auth import Identity, Role, new_api_token
from shared.errors import InvalidInput, NotFound, PermissionDenied

ADMIN_NAME = "Administrator"


async def create_api_token(
    session: AsyncSession, body: ApiTokenCreate, *, creator: Identity, now: datetime
) -> tuple[ApiToken, str]:
    """A new token and its one-time text; refused above the creator's role or already expired."""
    if not creator.role.allows(body.role):
        raise PermissionDenied(
            f"role: a token cannot have more than its creator's role ({creator.role})", field="role"
        )
    if body.expires_at is not None and body.expires_at <= now:
        raise InvalidInput("expires_at: must be in the future", field="expires_at")
    made = new_api_token()
    token = ApiToken(
        id=uuid.uuid4(),
        name=body.name,
        role=body.role.value,
        prefix=made.prefix,
        token_hash=made.token_hash,
        created_by=creator.actor,
        created_at=now,
        expires_at=body.expires_at,
    )
    session.add(token)
    await session.flush()
    return token, made.token


async def get_api_token(session: AsyncSession, *, token_hash: str) -> ApiToken:
    """The token with this hash, else NotFound."""
    token = await repo.get_api_token_by_hash(session, token_hash=token_hash)
    if token is None:
        raise NotFound("no API token has this hash", field="token_hash")
    return token


async def list_api_tokens(session: AsyncSession) -> list[ApiToken]:
    return list(await session.scalars(select(ApiToken).order_by(ApiToken.created_at.desc())))


async def revoke_api_token(session: AsyncSession, token_id: uuid.UUID, *, now: datetime) -> ApiToken:
    """Revoked from now on (every replica refuses it within its cache's seconds); revoking twice is fine."""
    token = await session.get(ApiToken, token_id, with_for_update=True)
    if token is None:
        raise NotFound(f"API token {token_id} not found", field="id")
    if token.revoked_at is None:
        token.revoked_at = now
    return token


async def list_audit(session: AsyncSession, query: AuditFilter) -> tuple[list[AuditEntry], int]:
    """Newest first, filtered, one page, and how many match."""
    conditions = []
    if query.since is not None:
        conditions.append(AuditEntry.at >= query.since)
    if query.until is not None:
        conditions.append(AuditEntry.at < query.until)
    if query.actor:
        conditions.append(or_(AuditEntry.actor == query.actor, AuditEntry.actor_id == query.actor))
    if query.action:
        conditions.append(AuditEntry.action == query.action)
    if query.target_id:
        conditions.append(AuditEntry.target_id == query.target_id)
    total = await session.scalar(select(func.count()).select_from(AuditEntry).where(*conditions))
    page = select(AuditEntry).where(*conditions).order_by(AuditEntry.id.desc())
    entries = await session.scalars(page.limit(query.limit).offset(query.offset))
    return list(entries), int(total or 0)


async def ensure_first_admin(
    session: AsyncSession, *, email: str, password: str, now: datetime
) -> User | None:
    """When no admin exists, make `email` one with this password (creating the user); else None. A lock
    keeps two starting replicas from both making one."""
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext('oncall:first-admin'))"))
    if await session.scalar(select(User.id).where(User.role == Role.admin.value).limit(1)) is not None:
        return None
    result = await logins.set_password(session, email=email, password=password, name=ADMIN_NAME, now=now)
    result.user.role = Role.admin.value
    return result.user
