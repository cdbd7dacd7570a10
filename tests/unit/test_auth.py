"""Access tokens, sessions, API tokens and roles (shared.auth): pure logic, time given as `now`."""

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from jose import jwt

from shared.auth import (
    API_AUDIENCE,
    ISSUER,
    SESSION_AUDIENCE,
    Claims,
    Role,
    TokenRecord,
    UserRecord,
    api_token_hash,
    bearer,
    csrf_matches,
    csrf_token,
    issue_jwt,
    new_api_token,
    read_jwt,
    token_identity,
    user_identity,
)

KEY = "k" * 40
NOW = 1_800_000_000
USER = uuid.UUID("2f1b7c3e-0000-4000-8000-000000000001")


def token(key: str = KEY, audience: str = API_AUDIENCE) -> str:
    return issue_jwt(key, user_id=USER, audience=audience, now=NOW, ttl_seconds=900)


def claims(**changes) -> dict:
    values = {"iss": ISSUER, "aud": API_AUDIENCE, "sub": str(USER), "iat": NOW, "exp": NOW + 900, "jti": "j1"}
    return {k: v for k, v in (values | changes).items() if v is not None}


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_a_fresh_token_gives_back_its_claims():
    read = read_jwt(KEY, token(), audience=API_AUDIENCE, now=NOW + 10)
    assert read is not None and (read.user_id, read.issued_at, read.expires_at) == (USER, NOW, NOW + 900)
    assert read.jti and read.jti != read_jwt(KEY, token(), audience=API_AUDIENCE, now=NOW).jti


def test_an_expired_token_is_refused():
    assert read_jwt(KEY, token(), audience=API_AUDIENCE, now=NOW + 900) is None


def test_a_token_signed_with_another_key_is_refused():
    assert read_jwt(KEY, token(key="x" * 40), audience=API_AUDIENCE, now=NOW) is None


def test_a_session_token_is_not_an_access_token_nor_the_reverse():
    assert read_jwt(KEY, token(audience=SESSION_AUDIENCE), audience=API_AUDIENCE, now=NOW) is None
    assert read_jwt(KEY, token(), audience=SESSION_AUDIENCE, now=NOW) is None


def test_a_tampered_payload_is_refused():
    header, _, signature = token().split(".")
    forged = _b64(claims(sub=str(uuid.uuid4())))
    assert read_jwt(KEY, f"{header}.{forged}.{signature}", audience=API_AUDIENCE, now=NOW) is None


def test_an_unsigned_alg_none_token_is_refused():
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims())}."
    assert read_jwt(KEY, unsigned, audience=API_AUDIENCE, now=NOW) is None


@pytest.mark.parametrize("algorithm", ["HS384", "HS512"])
def test_another_algorithm_with_the_same_key_is_refused(algorithm):
    assert (
        read_jwt(KEY, jwt.encode(claims(), KEY, algorithm=algorithm), audience=API_AUDIENCE, now=NOW) is None
    )


@pytest.mark.parametrize(
    "changes",
    [{"aud": "someone-else"}, {"iss": "another-issuer"}, {"iat": NOW + 3600}]
    + [{name: None} for name in ("iss", "aud", "sub", "iat", "exp", "jti")],
    ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()),
)
def test_a_token_with_a_wrong_or_missing_claim_is_refused(changes):
    assert (
        read_jwt(KEY, jwt.encode(claims(**changes), KEY, algorithm="HS256"), audience=API_AUDIENCE, now=NOW)
        is None
    )


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "..", "x" * 5000])
def test_garbage_is_refused_without_raising(garbage):
    assert read_jwt(KEY, garbage, audience=API_AUDIENCE, now=NOW) is None


def test_the_csrf_token_belongs_to_one_session():
    session = read_jwt(KEY, token(audience=SESSION_AUDIENCE), audience=SESSION_AUDIENCE, now=NOW)
    assert session is not None
    assert csrf_matches(KEY, session, csrf_token(KEY, session))
    later = Claims(USER, NOW + 1, NOW + 901, "another-jti")  # the same person's next login
    assert not csrf_matches(KEY, later, csrf_token(KEY, session))
    assert not csrf_matches(KEY, session, csrf_token("y" * 40, session))
    assert not csrf_matches(KEY, session, None)


def test_a_users_token_counts_until_the_login_is_disabled_or_its_credentials_change_after_it():
    session = Claims(USER, NOW, NOW + 900, "j")
    at = lambda seconds: datetime.fromtimestamp(seconds, UTC)  # noqa: E731
    user = UserRecord(USER, "Alice", "a@x.org", Role.responder, False, at(NOW - 60))
    assert user_identity(user, session).role == Role.responder
    assert (
        user_identity(UserRecord(**{**user.__dict__, "credentials_changed_at": at(NOW + 1)}), session) is None
    )
    assert user_identity(UserRecord(**{**user.__dict__, "login_disabled": True}), session) is None
    assert user_identity(None, session) is None


def test_an_api_token_counts_until_revoked_or_expired():
    now = datetime(2026, 12, 7, tzinfo=UTC)
    record = TokenRecord(uuid.uuid4(), "ci", Role.viewer, now + timedelta(days=1), None, None)
    assert token_identity(record, now=now).actor == "token ci"
    assert token_identity(TokenRecord(**{**record.__dict__, "revoked_at": now}), now=now) is None
    assert token_identity(record, now=now + timedelta(days=1)) is None


def test_an_api_token_is_random_recognisable_and_kept_only_as_its_hash():
    made, other = new_api_token(), new_api_token()
    assert made.token.startswith("ocp_") and made.token.startswith(made.prefix) and len(made.token) > 40
    assert made.token != other.token and made.token_hash == api_token_hash(made.token)
    assert made.token not in made.token_hash


@pytest.mark.parametrize(
    ("held", "needed", "allowed"),
    [
        ("viewer", "viewer", True),
        ("viewer", "responder", False),
        ("responder", "responder", True),
        ("responder", "admin", False),
        ("admin", "responder", True),
        ("admin", "admin", True),
    ],
)
def test_roles_are_ordered(held, needed, allowed):
    assert Role(held).allows(Role(needed)) is allowed


def test_only_a_bearer_header_carries_a_credential():
    assert bearer("Bearer abc") == "abc" and bearer("bearer  abc ") == "abc"
    assert bearer("Basic abc") is None and bearer("Bearer ") is None and bearer(None) is None


def test_a_cached_lookup_that_expires_while_read_is_looked_up_again():
    """The entry may expire between two reads of the cache (a membership test, then the read): the
    check must not fail with KeyError, it looks the record up again."""
    import asyncio
    import itertools

    from cachetools import TTLCache

    from shared.access import Authenticator

    ticks = itertools.count(0, 0.6)  # every look at the clock is 0.6 s later
    cache = TTLCache(maxsize=10, ttl=1, timer=lambda: next(ticks))
    cache["u"] = "old record"
    calls = []

    async def lookup(key):
        calls.append(key)
        return "new record"

    found = asyncio.run(Authenticator._cached(cache, "u", lookup))
    assert found in ("old record", "new record") and len(calls) == (found == "new record")
