"""REST routes of credentials and the audit log: access tokens, API tokens (admins), audit (admins)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request

from services.oncall_service.access_schemas import (
    AccessToken,
    ApiTokenCreate,
    ApiTokenCreated,
    ApiTokenRead,
    AuditFilter,
    AuditPage,
    AuditRead,
    TokenRequest,
)
from services.oncall_service.api import Commands
from shared.access import CurrentIdentity, client_ip, guard
from shared.auth import Role

# Public (shared.access.PUBLIC_ROUTES): this is how a person gets credentials.
login_router = APIRouter(prefix="/api/v1/auth", tags=["auth"])
admin_router = APIRouter(prefix="/api/v1", dependencies=[guard(read=Role.admin, write=Role.admin)])


@login_router.post("/token", response_model=AccessToken)
async def access_token(cmd: Commands, request: Request, body: TokenRequest) -> AccessToken:
    """An access token for an email and password: 401 for any wrong pair, 403 for a disabled login, 429
    after too many failures for the email."""
    token, ttl = await cmd.issue_access_token(
        email=body.email, password=body.password, client_ip=client_ip(request)
    )
    return AccessToken(access_token=token, expires_in=ttl)


@admin_router.post("/tokens", response_model=ApiTokenCreated, status_code=201, tags=["tokens"])
async def create_token(cmd: Commands, who: CurrentIdentity, body: ApiTokenCreate) -> ApiTokenCreated:
    token, text = await cmd.create_api_token(body, creator=who)
    return ApiTokenCreated(**ApiTokenRead.model_validate(token).model_dump(), token=text)


@admin_router.get("/tokens", response_model=list[ApiTokenRead], tags=["tokens"])
async def list_tokens(cmd: Commands) -> list[ApiTokenRead]:
    return [ApiTokenRead.model_validate(t) for t in await cmd.list_api_tokens()]


@admin_router.delete("/tokens/{token_id}", response_model=ApiTokenRead, tags=["tokens"])
async def revoke_token(cmd: Commands, token_id: uuid.UUID) -> ApiTokenRead:
    """Revoked, not deleted: it stays listed with `revoked_at`, and every replica refuses it within 5 s."""
    return ApiTokenRead.model_validate(await cmd.revoke_api_token(token_id))


@admin_router.get("/audit", response_model=AuditPage, tags=["audit"])
async def audit_log(cmd: Commands, query: Annotated[AuditFilter, Query()]) -> AuditPage:
    entries, total = await cmd.list_audit(query)
    return AuditPage(
        entries=[AuditRead.model_validate(e) for e in entries],
        limit=query.limit,
        offset=query.offset,
        total=total,
    )
