"""Rotations over REST against real PostgreSQL."""

import uuid

import pytest

pytestmark = pytest.mark.integration


async def test_rotation_is_created_read_filtered_patched_and_deleted(oncall):
    team, other_team = await oncall.team(), await oncall.team()
    alice, bob = await oncall.user("Alice"), await oncall.user("Bob")
    created = await oncall.rotation(team["id"], [alice["id"], bob["id"]], handoff_time="17:30")
    assert created["member_ids"] == [alice["id"], bob["id"]]
    assert (created["handoff_time"], created["start_date"], created["team_id"]) == (
        "17:30",
        "2026-01-05",
        team["id"],
    )
    url = f"/api/v1/rotations/{created['id']}"
    assert (await oncall.http.get(url)).json() == created
    assert (await oncall.http.get("/api/v1/rotations", params={"team_id": team["id"]})).json() == [created]
    assert (await oncall.http.get("/api/v1/rotations", params={"team_id": other_team["id"]})).json() == []
    patched = await oncall.http.patch(
        url,
        json={
            "member_ids": [bob["id"], alice["id"], bob["id"]],
            "handoff_weekday": 4,
            "team_id": other_team["id"],
        },
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["member_ids"] == [bob["id"], alice["id"], bob["id"]]
    assert (patched.json()["handoff_weekday"], patched.json()["team_id"]) == (4, other_team["id"])
    assert (await oncall.http.get(url)).json() == patched.json()
    assert (await oncall.http.delete(url)).status_code == 204
    assert (await oncall.http.get(url)).status_code == 404


async def test_rotation_may_have_no_members(oncall):
    team = await oncall.team()
    assert (await oncall.rotation(team["id"], []))["member_ids"] == []


async def test_unknown_team_or_users_are_422_naming_the_field(oncall):
    team, user = await oncall.team(), await oncall.user()
    ghost = str(uuid.uuid4())
    base = {
        "team_id": team["id"],
        "name": "primary",
        "time_zone": "UTC",
        "handoff_weekday": 0,
        "handoff_time": "09:00",
        "start_date": "2026-01-05",
        "member_ids": [user["id"], ghost],
    }
    reply = await oncall.http.post("/api/v1/rotations", json=base)
    assert (
        reply.status_code == 422 and reply.json()["field"] == "member_ids" and ghost in reply.json()["detail"]
    )
    reply = await oncall.http.post("/api/v1/rotations", json=base | {"team_id": ghost, "member_ids": []})
    assert reply.status_code == 422 and reply.json()["field"] == "team_id"
    rotation = await oncall.rotation(team["id"], [user["id"]])
    reply = await oncall.http.patch(f"/api/v1/rotations/{rotation['id']}", json={"member_ids": [ghost]})
    assert reply.status_code == 422 and reply.json()["field"] == "member_ids"
    assert (await oncall.http.get(f"/api/v1/rotations/{rotation['id']}")).json()["member_ids"] == [user["id"]]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"handoff_weekday": 7}, "handoff_weekday"),
        ({"handoff_time": "9am"}, "handoff_time"),
        ({"handoff_time": "24:00"}, "handoff_time"),
        ({"time_zone": "Europe/Atlantis"}, "time_zone"),
        ({"start_date": "2026-02-30"}, "start_date"),
    ],
)
async def test_invalid_rotation_fields_are_422_naming_the_field(oncall, fields, field):
    team = await oncall.team()
    body = {
        "team_id": team["id"],
        "name": "primary",
        "time_zone": "UTC",
        "handoff_weekday": 0,
        "handoff_time": "09:00",
        "start_date": "2026-01-05",
    }
    reply = await oncall.http.post("/api/v1/rotations", json=body | fields)
    assert reply.status_code == 422 and reply.json()["detail"].startswith(f"{field}:")


async def test_unknown_rotation_id_is_404(oncall):
    missing = f"/api/v1/rotations/{uuid.uuid4()}"
    assert (await oncall.http.get(missing)).status_code == 404
    assert (await oncall.http.patch(missing, json={"name": "x"})).json()["field"] == "id"
    assert (await oncall.http.delete(missing)).status_code == 404
