"""Who is asking and what they may do: the one place every service checks credentials.

Three ways to prove who you are, all as `Authorization: Bearer …` or the dashboard's cookie:
- an access token from `POST /api/v1/auth/token` (a JWT, HS256, audience `oncall-api`, minutes long);
- an API token (`ocp_…`), of which the database keeps only the SHA-256;
- the dashboard's session cookie (a JWT of audience `oncall-dashboard`); a write through it also needs the
  session's CSRF token (the form field `csrf` or the header `X-CSRF-Token`).
Each resolves to an `Identity` whose role comes from the database at most `auth_cache_seconds` ago, so a
disabled login, a changed role or a revoked token stops working within seconds on every replica.

Pure functions take the time as `now` (Unix seconds), so expiry is tested without waiting.
"""

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from jose import JWTError, jwt

ALGORITHM = "HS256"
ISSUER = "oncall-platform"
API_AUDIENCE = "oncall-api"
SESSION_AUDIENCE = "oncall-dashboard"
API_TOKEN_PREFIX = "ocp_"  # nosec B105 - the visible prefix of API tokens, not one
SESSION_COOKIE = "oncall_session"
CSRF_HEADER = "x-csrf-token"


class Role(StrEnum):
    viewer = "viewer"  # reads
    responder = "responder"  # also acts on incidents and schedule overrides
    admin = "admin"  # also configures

    def allows(self, needed: "Role") -> bool:
        """Whether this role may do what `needed` may."""
        return _RANK[self] >= _RANK[needed]


_RANK = {Role.viewer: 0, Role.responder: 1, Role.admin: 2}


@dataclass(frozen=True)
class Identity:
    """A checked caller: a user (by access token or session) or an API token."""

    kind: str  # "user" or "token"
    id: uuid.UUID
    name: str
    role: Role
    email: str | None = None

    @property
    def actor(self) -> str:
        """How incident timelines and the audit log name this caller."""
        return self.name if self.kind == "user" else f"token {self.name}"


@dataclass(frozen=True)
class Claims:
    user_id: uuid.UUID
    issued_at: int
    expires_at: int
    jti: str


def issue_jwt(key: str, *, user_id: uuid.UUID, audience: str, now: int, ttl_seconds: int) -> str:
    """A signed token for `user_id`, with iss, aud, sub, iat, exp and a unique jti."""
    claims = {
        "iss": ISSUER,
        "aud": audience,
        "sub": str(user_id),
        "iat": now,
        "exp": now + ttl_seconds,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, key, algorithm=ALGORITHM)


def read_jwt(key: str, token: str, *, audience: str, now: int) -> Claims | None:
    """The claims of a token this key signed with HS256 for `audience`, unexpired at `now`, else None:
    tampered, unsigned (`alg: none`), another algorithm or key, another issuer or audience, malformed,
    missing a claim, issued in the future or expired."""
    try:
        if jwt.get_unverified_header(token).get("alg") != ALGORITHM:
            return None
        # Expiry is checked against `now` below, not the library's clock.
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=audience,
            issuer=ISSUER,
            options={"verify_exp": False},
        )
        if claims.get("aud") != audience or claims.get("iss") != ISSUER:  # the library lets absent ones by
            return None
        issued, expires, jti = claims.get("iat"), claims.get("exp"), claims.get("jti")
        if not (isinstance(issued, int) and isinstance(expires, int) and isinstance(jti, str) and jti):
            return None
        if expires <= now or issued > now + 60:
            return None
        return Claims(uuid.UUID(str(claims.get("sub"))), issued, expires, jti)
    except (JWTError, ValueError, TypeError, AttributeError):
        return None


def csrf_token(key: str, claims: Claims) -> str:
    """The token a session's writes carry: an HMAC of the session, worthless with any other session."""
    message = f"csrf|{claims.user_id}|{claims.jti}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def csrf_matches(key: str, claims: Claims, submitted: str | None) -> bool:
    """Whether a write's CSRF token is this session's, compared in constant time."""
    return hmac.compare_digest(csrf_token(key, claims).encode(), (submitted or "").encode())


@dataclass(frozen=True)
class NewApiToken:
    token: str  # shown once
    prefix: str  # kept and listed, so people recognise their tokens
    token_hash: str  # kept


def new_api_token() -> NewApiToken:
    """A random API token (256 bits): `ocp_` + 8 visible characters + the rest."""
    token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    return NewApiToken(token, token[: len(API_TOKEN_PREFIX) + 8], api_token_hash(token))


def api_token_hash(token: str) -> str:
    """What the database keeps of an API token. A fast hash is enough: the token is random, 256 bits."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class UserRecord:
    """What the credential check needs of a user."""

    id: uuid.UUID
    name: str
    email: str
    role: Role
    login_disabled: bool
    credentials_changed_at: datetime


@dataclass(frozen=True)
class TokenRecord:
    id: uuid.UUID
    name: str
    role: Role
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


def user_identity(user: UserRecord | None, claims: Claims) -> Identity | None:
    """The identity of a JWT's user while their login counts: enabled, and their password or login not
    changed since the token was issued (a deleted user has none)."""
    if user is None or user.login_disabled:
        return None
    if claims.issued_at < int(user.credentials_changed_at.timestamp()):
        return None
    return Identity("user", user.id, user.name, user.role, user.email)


def token_identity(record: TokenRecord | None, *, now: datetime) -> Identity | None:
    """The identity of an API token that is neither revoked nor expired."""
    if record is None or record.revoked_at is not None:
        return None
    if record.expires_at is not None and record.expires_at <= now:
        return None
    return Identity("token", record.id, record.name, record.role)


def bearer(authorization: str | None) -> str | None:
    """The credential of an `Authorization: Bearer …` header."""
    if not authorization:
        return None
    scheme, _, credential = authorization.partition(" ")
    return credential.strip() or None if scheme.lower() == "bearer" else None
