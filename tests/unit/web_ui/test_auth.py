"""Session tokens, CSRF tokens and the login's `next` target: pure logic."""

import base64
import json
import uuid
from datetime import UTC, datetime

import pytest
from jose import jwt

from services.web_ui.auth import (
    HOME,
    SessionClaims,
    csrf_matches,
    csrf_token,
    issue_token,
    read_token,
    safe_next,
    session_counts,
)

SECRET = "k" * 40
NOW = 1_800_000_000
ACCOUNT = uuid.UUID("2f1b7c3e-0000-4000-8000-000000000001")


def token(**overrides) -> str:
    return issue_token(
        overrides.pop("secret", SECRET), user_id=ACCOUNT, name="Alice", now=NOW, ttl_seconds=3600
    )


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_a_fresh_token_gives_back_its_claims():
    assert read_token(SECRET, token(), now=NOW + 10) == SessionClaims(ACCOUNT, "Alice", NOW, NOW + 3600)


def test_an_expired_token_is_refused():
    assert read_token(SECRET, token(), now=NOW + 3600) is None


def test_a_token_signed_with_another_secret_is_refused():
    assert read_token(SECRET, token(secret="x" * 40), now=NOW) is None


def test_a_tampered_payload_is_refused():
    header, _, signature = token().split(".")
    forged = _b64({"sub": str(uuid.uuid4()), "name": "Mallory", "iat": NOW, "exp": NOW + 3600})
    assert read_token(SECRET, f"{header}.{forged}.{signature}", now=NOW) is None


def test_an_unsigned_alg_none_token_is_refused():
    claims = {"sub": str(ACCOUNT), "name": "Alice", "iat": NOW, "exp": NOW + 3600}
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
    assert read_token(SECRET, unsigned, now=NOW) is None


def test_another_algorithm_with_the_same_secret_is_refused():
    claims = {"sub": str(ACCOUNT), "name": "Alice", "iat": NOW, "exp": NOW + 3600}
    assert read_token(SECRET, jwt.encode(claims, SECRET, algorithm="HS512"), now=NOW) is None


@pytest.mark.parametrize("missing", ["sub", "name", "iat", "exp"])
def test_a_token_missing_a_claim_is_refused(missing):
    claims = {"sub": str(ACCOUNT), "name": "Alice", "iat": NOW, "exp": NOW + 3600}
    del claims[missing]
    assert read_token(SECRET, jwt.encode(claims, SECRET, algorithm="HS256"), now=NOW) is None


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "..", "x" * 5000])
def test_garbage_is_refused_without_raising(garbage):
    assert read_token(SECRET, garbage, now=NOW) is None


def test_the_csrf_token_belongs_to_one_session():
    claims = read_token(SECRET, token(), now=NOW)
    assert claims is not None
    assert csrf_matches(SECRET, claims, csrf_token(SECRET, claims))
    later = SessionClaims(ACCOUNT, "Alice", NOW + 1, NOW + 3601)  # the same person's next login
    assert not csrf_matches(SECRET, later, csrf_token(SECRET, claims))
    assert not csrf_matches(SECRET, claims, csrf_token("y" * 40, claims))
    assert not csrf_matches(SECRET, claims, None)
    assert not csrf_matches(SECRET, claims, "")


@pytest.mark.parametrize(
    "target",
    ["/ui/", "/ui/incidents/1?x=1", "/ui/oncall", "/ui/?status=open&offset=50"],
)
def test_next_keeps_local_paths(target):
    assert safe_next(target) == target


@pytest.mark.parametrize(
    "target",
    [
        None,
        "",
        "https://evil.example/",
        "//evil.example/ui/",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "ui/",
        "/ui/\r\nSet-Cookie: x=1",
        "/ui/ x",
        "http:/evil.example",
    ],
)
def test_next_refuses_anything_that_can_leave_the_site(target):
    assert safe_next(target) == HOME


def test_a_session_counts_until_the_login_is_disabled_or_its_credentials_change_after_it():
    claims = SessionClaims(ACCOUNT, "Alice", issued_at=NOW, expires_at=NOW + 3600)
    at = lambda seconds: datetime.fromtimestamp(seconds, UTC)  # noqa: E731
    assert session_counts(claims, login_disabled=False, credentials_changed_at=at(NOW))
    assert session_counts(claims, login_disabled=False, credentials_changed_at=at(NOW - 60))
    assert not session_counts(claims, login_disabled=False, credentials_changed_at=at(NOW + 1))
    assert not session_counts(claims, login_disabled=True, credentials_changed_at=at(NOW - 60))
