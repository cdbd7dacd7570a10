"""Input PostgreSQL cannot store, and explicit nulls, are refused by name before they reach it."""

import json

import pytest

from tests.integration.oncall_fixtures import unique
from tests.integration.oncall_service.test_schedules import make_schedule, weekly

pytestmark = pytest.mark.integration

NUL = "a\x00b"
SURROGATE = "a\ud800b"


async def send(http, method: str, url: str, body: dict):
    """`body` as JSON with every non-ASCII character escaped, so a lone surrogate travels as `\\ud800`."""
    return await http.request(
        method, url, content=json.dumps(body), headers={"content-type": "application/json"}
    )


def refused(reply, field: str) -> bool:
    """A 422 naming `field` as holding text that cannot be stored (or as null)."""
    return reply.status_code == 422 and f"{field}: " in reply.json()["detail"]


@pytest.fixture
async def things(oncall) -> dict:
    user = await oncall.user()
    team = await oncall.team()
    rotation = await oncall.rotation(team["id"], [user["id"]])
    schedule = await make_schedule(oncall, [weekly([user["id"]])])
    policy = await oncall.http.post(
        "/api/v1/escalation-policies",
        json={"name": unique("pol"), "levels": [{"targets": [{"type": "user", "id": user["id"]}]}]},
    )
    assert policy.status_code == 201, policy.text
    return {"user": user, "team": team, "rotation": rotation, "schedule": schedule, "policy": policy.json()}


async def test_unstorable_text_in_any_body_is_422_naming_the_field(oncall, things):
    user, team = things["user"], things["team"]
    layer = things["schedule"]["layers"][0]
    rotation = {
        "team_id": team["id"],
        "name": NUL,
        "time_zone": "UTC",
        "handoff_weekday": 0,
        "handoff_time": "09:00",
        "start_date": "2026-01-05",
    }
    level = {"targets": [{"type": "user", "id": user["id"]}]}
    cases = [
        ("post", "/api/v1/users", {"name": NUL, "email": f"{unique('u')}@example.com"}, "name"),
        ("post", "/api/v1/users", {"name": "x", "email": f"{unique('u')}\x00@example.com"}, "email"),
        ("post", "/api/v1/users", {"name": SURROGATE, "email": f"{unique('u')}@example.com"}, "name"),
        ("post", "/api/v1/teams", {"name": unique("t"), "services": ["ok", NUL]}, "services"),
        ("post", "/api/v1/rotations", rotation, "name"),
        (
            "post",
            "/api/v1/schedules",
            {"name": unique("s"), "time_zone": "UTC", "description": NUL},
            "description",
        ),
        (
            "post",
            "/api/v1/schedules",
            {"name": unique("s"), "time_zone": "UTC", "layers": [weekly([], name=NUL)]},
            "layers.0.name",
        ),
        ("post", "/api/v1/escalation-policies", {"name": NUL, "levels": [level]}, "name"),
        ("patch", f"/api/v1/users/{user['id']}", {"name": NUL}, "name"),
        ("patch", f"/api/v1/teams/{team['id']}", {"services": [NUL]}, "services"),
        ("patch", f"/api/v1/rotations/{things['rotation']['id']}", {"name": NUL}, "name"),
        ("patch", f"/api/v1/schedules/{things['schedule']['id']}", {"description": SURROGATE}, "description"),
        (
            "patch",
            f"/api/v1/schedules/{things['schedule']['id']}/layers/{layer['id']}",
            {"name": NUL},
            "name",
        ),
        (
            "patch",
            f"/api/v1/escalation-policies/{things['policy']['id']}",
            {"description": NUL},
            "description",
        ),
        ("post", "/api/v1/auth/token", {"email": NUL, "password": "x"}, "email"),
    ]
    for method, url, body, field in cases:
        reply = await send(oncall.http, method, url, body)
        assert refused(reply, field), (url, body, reply.status_code, reply.text)
        assert "cannot be stored" in reply.text
    assert (await oncall.http.get(f"/api/v1/users/{user['id']}")).json() == user
    assert (await oncall.http.get(f"/api/v1/teams/{team['id']}")).json() == team


async def test_unstorable_query_parameter_is_422_naming_it(oncall, things):
    for url in ("/api/v1/oncall/current?team=a%00b", "/api/v1/audit?actor=x%00"):
        reply = await oncall.http.get(url)
        assert reply.status_code == 422, (url, reply.text)
        assert reply.json()["field"] in ("team", "actor") and "cannot be stored" in reply.json()["detail"]
    path = await oncall.http.get(f"/api/v1/users/{things['user']['id']}%00")
    assert path.status_code == 422 and path.json()["field"] == "path"


async def test_audit_offset_past_a_bigint_is_422_not_a_failed_query(oncall):
    reply = await oncall.http.get("/api/v1/audit", params={"offset": 2**63})
    assert refused(reply, "offset"), reply.text
    assert (await oncall.http.get("/api/v1/audit", params={"offset": 10_000_000})).status_code == 200


async def test_explicit_null_on_a_field_that_cannot_be_null_is_422_naming_it(oncall, things):
    layer = things["schedule"]["layers"][0]
    cases = [
        (f"/api/v1/users/{things['user']['id']}", "name"),
        (f"/api/v1/users/{things['user']['id']}", "email_notifications"),
        (f"/api/v1/teams/{things['team']['id']}", "services"),
        (f"/api/v1/rotations/{things['rotation']['id']}", "time_zone"),
        (f"/api/v1/schedules/{things['schedule']['id']}", "name"),
        (f"/api/v1/schedules/{things['schedule']['id']}/layers/{layer['id']}", "shift_length"),
        (f"/api/v1/escalation-policies/{things['policy']['id']}", "levels"),
    ]
    for url, field in cases:
        reply = await oncall.http.patch(url, json={field: None})
        assert refused(reply, field) and "may not be null" in reply.text, (url, reply.text)
    assert (await oncall.http.get(f"/api/v1/users/{things['user']['id']}")).json() == things["user"]
