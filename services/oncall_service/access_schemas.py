"""API shapes of credentials and the audit log: access tokens, API tokens, audit entries."""

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.oncall_service.schemas import _Body, _Read
from shared.auth import Role
from shared.http import PageOffset
from shared.text import InputModel
from shared.timeutil import Instant


class TokenRequest(_Body):
    email: str = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=1024)


class AccessToken(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


class ApiTokenCreate(_Body):
    name: str = Field(min_length=1, max_length=200)
    role: Role
    expires_at: Instant | None = None


class ApiTokenRead(_Read):
    id: uuid.UUID
    name: str
    role: Role
    prefix: str
    created_by: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class ApiTokenCreated(ApiTokenRead):
    token: str = Field(description="the token itself: shown in this answer only")


class AuditFilter(InputModel):
    model_config = ConfigDict(extra="forbid")

    since: Instant | None = None
    until: Instant | None = None
    actor: str | None = Field(default=None, max_length=400, description="an actor's name or id")
    action: str | None = Field(default=None, max_length=100)
    target_id: str | None = Field(default=None, max_length=64)
    limit: int = Field(default=100, ge=1, le=1000)
    offset: PageOffset = 0


class AuditRead(_Read):
    id: int
    at: datetime
    actor_type: str
    actor_id: str | None
    actor: str
    client_ip: str | None
    action: str
    target_type: str | None
    target_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class AuditPage(BaseModel):
    entries: list[AuditRead]
    limit: int
    offset: int
    total: int
