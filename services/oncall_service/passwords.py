"""Password hashes: argon2id (argon2-cffi's defaults, RFC 9106's low-memory choice)."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Verified against when the email is unknown, so that answer takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not a password of anyone")
MIN_PASSWORD_CHARS = 12
MAX_PASSWORD_CHARS = 1024


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; with no hash (unknown account) it spends the same time and is False."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str) -> str | None:
    """Why a new password is refused, or None."""
    if len(password) < MIN_PASSWORD_CHARS:
        return f"password: at least {MIN_PASSWORD_CHARS} characters"
    if len(password) > MAX_PASSWORD_CHARS:
        return f"password: at most {MAX_PASSWORD_CHARS} characters"
    return None
