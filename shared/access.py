"""The credential check of every route (a FastAPI dependency) and the explicit list of public routes.

A router states the role its writes need, `guard(write=Role.admin)`; reads need `viewer` unless it says
otherwise. A route is public only by being in `PUBLIC_ROUTES`; tests/unit/test_access.py walks every
service's routes against that list.
"""

import asyncio
import enum
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal, Protocol, TypeVar

from cachetools import TTLCache
from fastapi import Depends, Request

from shared import audit
from shared.auth import (
    API_AUDIENCE,
    API_TOKEN_PREFIX,
    CSRF_HEADER,
    SESSION_AUDIENCE,
    SESSION_COOKIE,
    Claims,
    Identity,
    Role,
    TokenRecord,
    UserRecord,
    api_token_hash,
    bearer,
    csrf_matches,
    read_jwt,
    token_identity,
    user_identity,
)
from shared.config import AuthSettings
from shared.errors import PermissionDenied, Unauthenticated

log = logging.getLogger(__name__)

# (method, path template) answered without credentials: alert ingestion (integration keys), health, metrics,
# getting credentials (the login form, access tokens) and the dashboard's static files.
PUBLIC_ROUTES = frozenset(
    {
        ("POST", "/api/v1/alerts"),
        ("POST", "/api/v1/alerts/batch"),
        ("POST", "/api/v1/integrations/alertmanager"),
        ("POST", "/api/v1/integrations/grafana"),
        ("POST", "/api/v1/integrations/webhook"),
        ("POST", "/api/v1/heartbeats/{key}"),
        ("POST", "/v2/enqueue"),
        ("GET", "/health"),
        ("GET", "/health/ready"),
        ("GET", "/health/live"),
        # Prometheus scrapes each instance's own port; the gateway answers 404 for /metrics.
        ("GET", "/metrics"),
        ("GET", "/ui/login"),
        ("POST", "/ui/login"),
        ("POST", "/api/v1/auth/token"),
        # The API's description (no data): each service's OpenAPI document and its viewers.
        ("GET", "/openapi.json"),
        ("GET", "/docs"),
        ("GET", "/docs/oauth2-redirect"),
        ("GET", "/redoc"),
    }
)
# The gateway's error answers (shared/http.py), served by every app.
PUBLIC_MOUNTS = frozenset({"/ui/static", "/errors"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
NO_CREDENTIALS = "credentials required: an access token, an API token or a dashboard session"
# last_used_at is kept to the minute: one UPDATE per token and process per minute at most.
TOUCH_EVERY = timedelta(minutes=1)


class _Missing(enum.Enum):
    """Not cached (a cached None means "no such user or token"); an enum member, so types tell it apart."""

    MISSING = enum.auto()


_MISSING = _Missing.MISSING
Key = TypeVar("Key", bound=Hashable)
Found = TypeVar("Found")


class Directory(Protocol):
    """Where the check finds users and API tokens (the database, or on-call over gRPC)."""

    async def user(self, user_id: uuid.UUID) -> UserRecord | None: ...

    async def token(self, token_hash: str) -> TokenRecord | None: ...

    async def touch_token(self, token_id: uuid.UUID, at: datetime) -> None: ...


class Authenticator:
    """Turns a request's credentials into an Identity; users and tokens are looked up at most every
    `cache_seconds` per process."""

    def __init__(
        self, key: str, directory: Directory, *, cache_seconds: float, csrf_header: bool = True
    ) -> None:
        self.key = key
        self._directory = directory
        self._users: TTLCache[uuid.UUID, UserRecord | None] = TTLCache(maxsize=10_000, ttl=cache_seconds)
        self._tokens: TTLCache[str, TokenRecord | None] = TTLCache(maxsize=10_000, ttl=cache_seconds)
        self._touching: set[asyncio.Task[None]] = set()
        # The dashboard's forms carry their CSRF token in a field it checks itself.
        self._csrf_header = csrf_header

    async def identify(self, request: Request) -> Identity:
        """The caller, else Unauthenticated (no or bad credentials) or PermissionDenied (a session's
        write without its CSRF token)."""
        now = time.time()
        credential = bearer(request.headers.get("authorization"))
        if credential is not None and credential.startswith(API_TOKEN_PREFIX):
            return await self._api_token(credential, now)
        if credential is not None:
            claims = read_jwt(self.key, credential, audience=API_AUDIENCE, now=int(now))
            return await self._user(claims, "invalid or expired access token")
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie is None:
            raise Unauthenticated(NO_CREDENTIALS)
        claims = read_jwt(self.key, cookie, audience=SESSION_AUDIENCE, now=int(now))
        who = await self._user(claims, "the dashboard session has ended: log in again")
        if self._csrf_header and request.method not in SAFE_METHODS:
            if not csrf_matches(self.key, claims, request.headers.get(CSRF_HEADER)):  # type: ignore[arg-type]
                raise PermissionDenied("csrf: a session's write needs its X-CSRF-Token header")
        return who

    async def session(self, cookie: str | None) -> tuple[Identity, Claims] | None:
        """The dashboard's session of a cookie, when it still counts."""
        claims = (
            read_jwt(self.key, cookie, audience=SESSION_AUDIENCE, now=int(time.time())) if cookie else None
        )
        if claims is None:
            return None
        who = user_identity(await self._cached(self._users, claims.user_id, self._directory.user), claims)
        return None if who is None else (who, claims)

    async def _user(self, claims: Claims | None, refusal: str) -> Identity:
        if claims is not None:
            record = await self._cached(self._users, claims.user_id, self._directory.user)
            who = user_identity(record, claims)
            if who is not None:
                return who
        raise Unauthenticated(refusal)

    async def _api_token(self, token: str, now: float) -> Identity:
        key = api_token_hash(token)
        record = await self._cached(self._tokens, key, self._directory.token)
        at = datetime.fromtimestamp(now, UTC)
        who = token_identity(record, now=at)
        if who is None or record is None:
            raise Unauthenticated("invalid, revoked or expired API token")
        if record.last_used_at is None or at - record.last_used_at >= TOUCH_EVERY:
            self._touch(key, record, at)
        return who

    def _touch(self, key: str, record: TokenRecord, at: datetime) -> None:
        """Record the use in the background; the cached record says so at once, so it is written once."""
        self._tokens[key] = replace(record, last_used_at=at)
        task = asyncio.create_task(self._directory.touch_token(record.id, at))
        self._touching.add(task)
        task.add_done_callback(self._touched)

    def _touched(self, task: asyncio.Task[None]) -> None:
        # A lost write only makes last_used_at a minute older: say so, without failing the request.
        self._touching.discard(task)
        error = None if task.cancelled() else task.exception()
        if error is not None:
            log.warning("an API token's use was not recorded", extra={"fields": {"error": str(error)}})

    @staticmethod
    async def _cached(
        cache: TTLCache[Key, Found], key: Key, lookup: Callable[[Key], Awaitable[Found]]
    ) -> Found:
        # One read: a `key in cache` test followed by `cache[key]` fails when the entry expires in between.
        found: Found | Literal[_Missing.MISSING] = cache.get(key, _MISSING)
        if found is not _MISSING:
            return found
        found = await lookup(key)
        cache[key] = found
        return found


def authenticator(settings: AuthSettings, directory: Directory, *, csrf_header: bool = True) -> Authenticator:
    """A service's credential check reading `directory`."""
    return Authenticator(
        settings.auth_jwt_secret.get_secret_value(),
        directory,
        cache_seconds=settings.auth_cache_seconds,
        csrf_header=csrf_header,
    )


async def identity(request: Request) -> Identity:
    """The authenticated caller of this request (401 without credentials); the audit log's actor."""
    authenticator: Authenticator = request.app.state.authenticator
    who = await authenticator.identify(request)
    route = request.scope.get("route")
    audit.acting(who, client_ip(request), action=getattr(route, "name", request.url.path))
    return who


CurrentIdentity = Annotated[Identity, Depends(identity)]


def guard(*, write: Role, read: Role = Role.viewer) -> Any:
    """A router's check: reads need `read`, every other method `write`; 403 names the role needed."""

    async def check(request: Request, who: CurrentIdentity) -> None:
        needed = read if request.method in SAFE_METHODS else write
        if not who.role.allows(needed):
            raise PermissionDenied(f"needs the {needed} role (this caller is {who.role})")

    return Depends(check)


def client_ip(request: Request) -> str | None:
    """The caller's address (uvicorn takes it from the gateway's X-Forwarded-For)."""
    return request.client.host if request.client else None
