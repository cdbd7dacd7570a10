"""POST /api/v1/auth/token: an access token for a right email and password, one 401 for any wrong pair,
and every attempt in the audit log."""

import httpx
import pytest

from services.oncall_service import logins
from shared.timeutil import utcnow

pytestmark = pytest.mark.integration

PASSWORD = "a long enough password"


async def test_a_right_password_gets_a_token_that_works_and_every_attempt_is_audited(oncall):
    async with oncall.runtime.commands.sessions.begin() as session:
        await logins.set_password(
            session, email="rita@example.com", name="Rita", password=PASSWORD, now=utcnow()
        )
    async with httpx.AsyncClient(base_url=str(oncall.http.base_url), timeout=10) as anonymous:
        assert (await anonymous.get("/api/v1/users")).status_code == 401
        wrong = await anonymous.post(
            "/api/v1/auth/token", json={"email": "rita@example.com", "password": "nope"}
        )
        assert wrong.status_code == 401 and wrong.headers["www-authenticate"].startswith("Bearer")
        right = await anonymous.post(
            "/api/v1/auth/token", json={"email": "Rita@example.com", "password": PASSWORD}
        )
        assert right.status_code == 200, right.text
        body = right.json()
        assert body["token_type"] == "bearer" and body["expires_in"] == 15 * 60
        headers = {"Authorization": f"Bearer {body['access_token']}"}
        assert (await anonymous.get("/api/v1/users", headers=headers)).status_code == 200  # a responder reads
        made = await anonymous.post("/api/v1/teams", json={"name": "x"}, headers=headers)
        assert made.status_code == 403 and "admin" in made.json()["detail"]
    entries = (await oncall.http.get("/api/v1/audit", params={"limit": 10})).json()["entries"]
    attempts = [e for e in entries if e["action"].startswith("login")]
    logins_seen = [(e["action"], e["actor"], e["actor_type"]) for e in attempts]
    assert ("login", "Rita", "user") in logins_seen
    assert ("login_failed", "rita@example.com", "anonymous") in logins_seen
    assert all(e["client_ip"] == "127.0.0.1" for e in attempts)
