"""Session tokens (HS256 JWTs), the CSRF token bound to each, and where a login may send the browser back.

Pure functions: time comes in as `now` (Unix seconds), so expiry is tested without waiting.
"""

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from jose import JWTError, jwt

ALGORITHM = "HS256"
HOME = "/ui/"
COOKIE_NAME = "oncall_session"


@dataclass(frozen=True)
class SessionClaims:
    user_id: uuid.UUID
    name: str
    issued_at: int
    expires_at: int


def issue_token(secret: str, *, user_id: uuid.UUID, name: str, now: int, ttl_seconds: int) -> str:
    """A signed token with sub (the on-call user's id), name, iat and exp."""
    claims = {"sub": str(user_id), "name": name, "iat": now, "exp": now + ttl_seconds}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def read_token(secret: str, token: str, *, now: int) -> SessionClaims | None:
    """The claims of a token this secret signed with HS256 and that has not expired at `now`, else None:
    tampered, unsigned (`alg: none`), another algorithm, malformed, missing a claim or expired."""
    try:
        if jwt.get_unverified_header(token).get("alg") != ALGORITHM:
            return None
        # Expiry is checked below against `now`, not the library's clock.
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"verify_exp": False})
        claims_ok = isinstance(claims.get("iat"), int) and isinstance(claims.get("exp"), int)
        if not claims_ok or not isinstance(claims.get("name"), str) or claims["exp"] <= now:
            return None
        return SessionClaims(uuid.UUID(str(claims.get("sub"))), claims["name"], claims["iat"], claims["exp"])
    except (JWTError, ValueError, TypeError, AttributeError):
        return None


def csrf_token(secret: str, claims: SessionClaims) -> str:
    """The token POST forms carry: an HMAC of this session (user and issue time), so it is worthless
    with any other session and cannot be made without the secret."""
    message = f"csrf|{claims.user_id}|{claims.issued_at}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def csrf_matches(secret: str, claims: SessionClaims, submitted: str | None) -> bool:
    """Whether a form's CSRF token is this session's, compared in constant time."""
    return hmac.compare_digest(csrf_token(secret, claims).encode(), (submitted or "").encode())


def session_counts(claims: SessionClaims, *, login_disabled: bool, credentials_changed_at: datetime) -> bool:
    """A token still counts while its user may log in and their password or login was not changed after
    it was issued (a deleted user has no session at all)."""
    return not login_disabled and claims.issued_at >= int(credentials_changed_at.timestamp())


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a local path only (no scheme, host, `//host` or backslash trick),
    else the incident list."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return HOME
    if "\\" in target or any(ord(c) < 33 or ord(c) == 127 for c in target):
        return HOME
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return HOME
    return target
