"""Logging in and out, and every way a session is refused, on a real database."""

import asyncio
import base64
import json
import time
import uuid

import pytest
from jose import jwt

from shared.auth import SESSION_AUDIENCE, issue_jwt
from shared.auth import SESSION_COOKIE as COOKIE_NAME
from tests.integration.web_ui.conftest import MAX_FAILURES, PASSWORD, csrf_of, login

pytestmark = pytest.mark.integration


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def test_good_password_sets_an_httponly_lax_cookie_and_goes_to_next(web, browser):
    await web.account(email="Alice@Example.com")
    reply = await browser.post(
        "/ui/login", data={"email": "ALICE@example.com ", "password": PASSWORD, "next": "/ui/oncall"}
    )
    assert reply.status_code == 303 and reply.headers["location"] == "/ui/oncall"
    cookie = reply.headers["set-cookie"]
    assert f"{COOKIE_NAME}=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Path=/;" in cookie and "Max-Age=43200" in cookie and "Secure" not in cookie
    claims = jwt.get_unverified_claims(browser.cookies[COOKIE_NAME])
    assert (
        set(claims) == {"iss", "aud", "sub", "iat", "exp", "jti"} and claims["exp"] - claims["iat"] == 43200
    )
    assert claims["aud"] == SESSION_AUDIENCE
    page = await browser.get("/ui/")
    assert page.status_code == 200 and "Alice Martin" in page.text


async def test_wrong_password_and_unknown_email_get_the_same_401(web, browser):
    await web.account()
    wrong = await login(browser, password="not the password at all")
    unknown = await login(browser, email="nobody@example.com")
    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong email or password." in wrong.text and "Wrong email or password." in unknown.text
    assert wrong.text.replace("alice@example.com", "E") == unknown.text.replace("nobody@example.com", "E")
    assert COOKIE_NAME not in browser.cookies


async def test_too_many_failures_for_an_email_are_refused_even_with_the_right_password(web, browser):
    await web.account()
    for _ in range(MAX_FAILURES):
        assert (await login(browser, password="wrong wrong wrong")).status_code == 401
    refused = await login(browser)
    assert refused.status_code == 429 and "Too many failed logins" in refused.text
    assert int(refused.headers["retry-after"]) > 0 and COOKIE_NAME not in browser.cookies
    for _ in range(MAX_FAILURES):  # unknown emails are counted the same way
        await login(browser, email="nobody@example.com")
    assert (await login(browser, email="nobody@example.com")).status_code == 429
    assert (await login(browser, email="other@example.com")).status_code == 401


async def test_a_disabled_login_is_refused_and_its_sessions_stop(web, browser):
    await web.account()
    assert (await login(browser)).status_code == 303
    await web.set_disabled("alice@example.com", True)
    refused = await browser.get("/ui/")
    assert refused.status_code == 303 and refused.headers["location"] == "/ui/login?next=/ui/"
    disabled = await login(browser)
    assert disabled.status_code == 403 and "This login is disabled" in disabled.text
    assert (await login(browser, password="wrong wrong wrong")).status_code == 401  # no hint without it
    await web.set_disabled("alice@example.com", False)
    assert (await login(browser)).status_code == 303


async def test_a_user_without_a_password_cannot_log_in(web, oncall, browser):
    user = await oncall.user("Dan", email="dan@example.com")
    assert (await login(browser, email=user["email"])).status_code == 401
    assert (await login(browser, email=user["email"], password="")).status_code == 401


async def test_a_password_reset_ends_older_sessions(web, browser):
    await web.account()
    assert (await login(browser)).status_code == 303
    await asyncio.sleep(1.1)  # tokens carry whole seconds
    await web.account(password="the brand new password")
    assert (await browser.get("/ui/")).status_code == 303


async def test_a_deleted_user_is_refused(web, oncall, browser):
    user = await web.account()
    assert (await login(browser)).status_code == 303
    assert (await oncall.http.delete(f"/api/v1/users/{user.id}")).status_code == 204
    assert (await browser.get("/ui/")).status_code == 303


@pytest.mark.parametrize("path", ["/ui/", "/ui/oncall", f"/ui/incidents/{uuid.uuid4()}", "/ui/?status=open"])
async def test_pages_without_a_session_redirect_to_login_with_next(web, browser, path):
    reply = await browser.get(path)
    assert reply.status_code == 303
    assert reply.headers["location"] == "/ui/login?next=" + path.replace("?", "%3F").replace("=", "%3D")


async def test_tampered_expired_and_unsigned_tokens_redirect_to_login(web, browser):
    user = await web.account()
    secret = web.settings.auth_jwt_secret.get_secret_value()
    now = int(time.time())

    def session(key: str = secret, at: int = now, audience: str = SESSION_AUDIENCE) -> str:
        return issue_jwt(key, user_id=user.id, audience=audience, now=at, ttl_seconds=600)

    good = session()
    header, payload, signature = good.split(".")
    claims = jwt.get_unverified_claims(good)
    tokens = {
        "tampered": f"{header}.{_b64(claims | {'sub': str(uuid.uuid4())})}.{signature}",
        "expired": session(at=now - 700),
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}.",
        "other secret": session(key="z" * 40),
        "an API access token": session(audience="oncall-api"),
    }
    for what, token in tokens.items():
        browser.cookies.set(COOKIE_NAME, token)
        reply = await browser.get("/ui/")
        assert reply.status_code == 303 and reply.headers["location"].startswith("/ui/login"), what
    browser.cookies.set(COOKIE_NAME, good)
    assert (await browser.get("/ui/")).status_code == 200


async def test_login_never_sends_the_browser_off_site(web, browser):
    await web.account()
    reply = await browser.post(
        "/ui/login", data={"email": "alice@example.com", "password": PASSWORD, "next": "//evil.example/"}
    )
    assert reply.status_code == 303 and reply.headers["location"] == "/ui/"
    form = await browser.get("/ui/login", params={"next": "https://evil.example/"})
    assert 'name="next" value="/ui/"' in form.text


async def test_logout_needs_the_csrf_token_and_clears_the_cookie(web, browser):
    await web.account()
    await login(browser)
    page = await browser.get("/ui/")
    assert (await browser.post("/ui/logout", data={"csrf": "0" * 64})).status_code == 403
    reply = await browser.post("/ui/logout", data={"csrf": csrf_of(page)})
    assert reply.status_code == 303 and reply.headers["location"] == "/ui/login"
    assert COOKIE_NAME not in browser.cookies
    assert (await browser.get("/ui/")).status_code == 303


async def test_health_routes_and_readiness_without_the_notifier(web, browser):
    """The `web` fixture has no notifier: only the webhooks page needs one, so the dashboard stays ready."""
    assert (await browser.get("/health/live")).json() == {"status": "ok"}
    assert (await browser.get("/health/ready")).status_code == 200
    health = await browser.get("/health")
    assert health.status_code == 503 and health.json()["down"] == ["notifier"]
    assert {k: v for k, v in health.json()["checks"].items() if k != "notifier"} == {
        "incident-management": "ok",
        "oncall": "ok",
    }


async def test_a_form_field_that_cannot_be_stored_is_422_naming_it(web, browser):
    await web.account()
    reply = await login(browser, email="alice\x00@example.com")
    assert reply.status_code == 422 and "email" in reply.text and "cannot be stored" in reply.text
    assert (await login(browser)).status_code == 303
