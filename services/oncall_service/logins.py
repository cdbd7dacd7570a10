"""Dashboard logins of on-call users: checking a password, setting one, switching a login off or on."""

import asyncio
import math
import secrets
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from services.oncall_service import passwords
from services.oncall_service import repository as repo
from services.oncall_service.models import User
from services.oncall_service.schemas import UserCreate
from services.oncall_service.throttle import LoginThrottle
from shared.errors import InvalidInput, PermissionDenied, TooManyRequests, Unauthenticated
from shared.http import invalid_input

LOGIN_FAILED = "wrong email or password"


@dataclass(frozen=True)
class SetPasswordResult:
    user: User
    created: bool


def normalise_email(email: str) -> str:
    return email.strip().lower()


async def _check_password(session: AsyncSession, *, email: str, password: str) -> User | None:
    """The user whose email and password these are, else None. An unknown email, a user without a
    password and a wrong password cost the same hash verification, so the time does not tell them apart."""
    user = await repo.get_user_by_email(session, email=normalise_email(email))
    stored = user.password_hash if user is not None else None
    # argon2 takes ~50 ms of CPU: off the event loop, so other requests go on meanwhile.
    matched = await asyncio.to_thread(
        passwords.verify_password, stored, password[: passwords.MAX_PASSWORD_CHARS]
    )
    return user if matched else None


async def authenticate(
    session: AsyncSession,
    throttle: LoginThrottle,
    *,
    email: str,
    password: str,
    client_ip: str | None,
    now: float,
) -> User:
    """The user, else Unauthenticated (one answer for every wrong pair), PermissionDenied (right password,
    login disabled) or TooManyRequests while the email, or the client's address, has had too many
    failures lately."""
    key = normalise_email(email)
    wait, counted = throttle.retry_after(email=key, address=client_ip, now=now)
    if wait > 0:
        minutes = math.ceil(wait / 60)
        raise TooManyRequests(
            f"too many failed logins {counted}: try again in {minutes} min", retry_after=wait
        )
    user = await _check_password(session, email=email, password=password)
    if user is None:
        throttle.failed(email=key, address=client_ip, now=now)
        raise Unauthenticated(LOGIN_FAILED)
    throttle.succeeded(email=key)
    if user.login_disabled:
        raise PermissionDenied("this user's login is disabled")
    return user


def generated_password() -> str:
    """A new login's password, shown once to the admin who made it: 128 random bits, URL-safe."""
    return secrets.token_urlsafe(16)


def _new_password_hash(password: str) -> str:
    problem = passwords.password_problem(password)
    if problem:
        raise InvalidInput(problem, field="password")
    return passwords.hash_password(password)


async def set_password(
    session: AsyncSession, *, email: str, password: str, name: str | None, now: datetime
) -> SetPasswordResult:
    """Set the user's password (and enable their login), ending their older sessions; with `name`, a
    missing user is created first (an existing user keeps their name: the REST API edits users)."""
    try:
        # Validates the email (and the name, when a user is to be made) as the REST API does.
        fields = UserCreate(name=name or "(none)", email=email)
    except ValidationError as error:
        raise invalid_input(error) from error
    password_hash = _new_password_hash(password)
    user = await repo.get_user_by_email(session, email=fields.email)
    created = user is None
    if user is None:
        if name is None:
            raise InvalidInput(f"email: no user {fields.email} (give --name to create one)", field="email")
        user = repo.create_user(session, fields=fields.model_dump(), now=now)
    user.password_hash, user.login_disabled, user.credentials_changed_at = password_hash, False, now
    return SetPasswordResult(user, created)


async def set_login_disabled(session: AsyncSession, *, email: str, disabled: bool, now: datetime) -> User:
    """Disable (logging the person out everywhere) or enable a user's login."""
    user = await repo.get_user_by_email(session, email=normalise_email(email))
    if user is None:
        raise InvalidInput(f"email: no user {normalise_email(email)}", field="email")
    user.login_disabled, user.credentials_changed_at = disabled, now
    return user
