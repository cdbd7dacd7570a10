"""Accounts: logging in, which sessions still count, creating and resetting accounts."""

import asyncio
import math
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.web_ui import passwords
from services.web_ui import repository as repo
from services.web_ui.auth import SessionClaims
from services.web_ui.throttle import LoginThrottle
from shared.errors import DomainError, InvalidInput
from shared.models import WebAccount

LOGIN_FAILED = "Wrong email or password."
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


class TooManyAttempts(DomainError):
    http_status = 429

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class SetAccountResult:
    account: WebAccount
    created: bool


def normalise_email(email: str) -> str:
    return email.strip().lower()


def valid_email(email: str) -> str:
    """The normalised email, or InvalidInput naming the field."""
    normalised = normalise_email(email)
    if not _EMAIL.match(normalised) or len(normalised) > 320:
        raise InvalidInput("email: not an email address", field="email")
    return normalised


async def authenticate(session: AsyncSession, *, email: str, password: str) -> WebAccount | None:
    """The enabled account with this email and password, else None. An unknown email, a disabled account
    and a wrong password cost the same hash verification, so the time does not tell them apart."""
    account = await repo.get_account_by_email(session, email=normalise_email(email))
    stored = account.password_hash if account is not None else None
    # argon2 takes ~50 ms of CPU: off the event loop, so other requests go on meanwhile.
    matched = await asyncio.to_thread(
        passwords.verify_password, stored, password[: passwords.MAX_PASSWORD_CHARS]
    )
    if not matched or account is None or account.disabled:
        return None
    return account


async def log_in(
    session: AsyncSession, throttle: LoginThrottle, *, email: str, password: str, now: float
) -> WebAccount | None:
    """`authenticate`, refused with TooManyAttempts while the email has had too many failures lately."""
    key = normalise_email(email)
    wait = throttle.retry_after(key, now=now)
    if wait > 0:
        minutes = math.ceil(wait / 60)
        raise TooManyAttempts(
            f"Too many failed logins for this email: try again in {minutes} min.", retry_after=wait
        )
    account = await authenticate(session, email=email, password=password)
    if account is None:
        throttle.failed(key, now=now)
    else:
        throttle.succeeded(key)
    return account


def session_valid(account: WebAccount | None, claims: SessionClaims) -> bool:
    """A token still counts while its account exists, is enabled and was not reset after it was issued."""
    if account is None or account.disabled:
        return False
    return claims.issued_at >= int(account.updated_at.timestamp())


async def set_account(
    session: AsyncSession, *, email: str, name: str, password: str, now: datetime
) -> SetAccountResult:
    """Create the account, or reset its name and password (and enable it) when the email exists."""
    email = valid_email(email)
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidInput("name: 1 to 200 characters", field="name")
    problem = passwords.password_problem(password)
    if problem:
        raise InvalidInput(problem, field="password")
    password_hash = passwords.hash_password(password)
    account = await repo.get_account_by_email(session, email=email)
    if account is None:
        account = repo.create_account(session, email=email, name=name, password_hash=password_hash)
        return SetAccountResult(account, created=True)
    account.name, account.password_hash, account.disabled, account.updated_at = (
        name,
        password_hash,
        False,
        now,
    )
    return SetAccountResult(account, created=False)


async def set_disabled(session: AsyncSession, *, email: str, disabled: bool, now: datetime) -> WebAccount:
    """Disable (logging the person out everywhere) or enable an account."""
    account = await repo.get_account_by_email(session, email=valid_email(email))
    if account is None:
        raise InvalidInput(f"email: no account {normalise_email(email)}", field="email")
    account.disabled, account.updated_at = disabled, now
    return account
