"""Schedules over REST and gRPC against real PostgreSQL: layers, overrides, shifts, calendars, bad input."""

import asyncio
from datetime import datetime, timedelta

import pytest
from icalendar import Calendar

from shared.gen.oncall.v1 import oncall_pb2
from tests.integration.oncall_fixtures import unique

pytestmark = pytest.mark.integration

BUSINESS_HOURS = [{"weekdays": [0, 1, 2, 3, 4], "start": "09:00", "end": "18:00"}]


def weekly(member_ids: list[str], **fields) -> dict:
    """A weekly layer handing off Mondays 09:00 from 2026-01-05."""
    return {
        "name": "primary",
        "shift_length": 1,
        "shift_unit": "weeks",
        "handoff_time": "09:00",
        "start_date": "2026-01-05",
        "member_ids": member_ids,
    } | fields


async def make_schedule(oncall, layers: list[dict], **fields) -> dict:
    body = {"name": unique("sched"), "time_zone": "Europe/Paris", "layers": layers} | fields
    reply = await oncall.http.post("/api/v1/schedules", json=body)
    assert reply.status_code == 201, reply.text
    return reply.json()


@pytest.fixture
async def people(oncall):
    return [await oncall.user(name) for name in ("Alice", "Bob", "Carol", "Dan")]


async def on_call(oncall, schedule: dict, at: str) -> dict:
    reply = await oncall.http.get(f"/api/v1/schedules/{schedule['id']}/oncall", params={"at": at})
    assert reply.status_code == 200, reply.text
    return reply.json()


async def test_schedule_is_created_with_layers_and_read_back(oncall, people):
    ids = [p["id"] for p in people]
    schedule = await make_schedule(oncall, [weekly(ids[:2]), weekly(ids[2:3], restrictions=BUSINESS_HOURS)])
    assert [layer["position"] for layer in schedule["layers"]] == [0, 1]
    assert schedule["layers"][1]["restrictions"] == BUSINESS_HOURS
    assert schedule["layers"][0]["handoff_time"] == "09:00"
    assert (await oncall.http.get(f"/api/v1/schedules/{schedule['id']}")).json() == schedule
    assert schedule in (await oncall.http.get("/api/v1/schedules")).json()


async def test_higher_restricted_layer_wins_in_business_hours_and_dst_keeps_the_handoff(oncall, people):
    alice, bob, carol, _ = people
    layers = [weekly([alice["id"], bob["id"]]), weekly([carol["id"]], restrictions=BUSINESS_HOURS)]
    schedule = await make_schedule(oncall, layers)
    # Monday 2026-03-30 is B's week index 12 -> alice; business hours belong to carol.
    night = await on_call(oncall, schedule, "2026-03-30T20:00:00Z")
    assert night["user"]["id"] == alice["id"]
    assert (night["shift_start"], night["shift_end"]) == ("2026-03-30T16:00:00Z", "2026-03-31T07:00:00Z")
    day = await on_call(oncall, schedule, "2026-03-31T08:00:00Z")
    assert day["user"]["id"] == carol["id"] and day["shift_end"] == "2026-03-31T16:00:00Z"


async def test_shifts_cover_the_window_with_explicit_gaps(oncall, people):
    schedule = await make_schedule(
        oncall, [weekly([people[0]["id"]], shift_unit="days", restrictions=BUSINESS_HOURS)], time_zone="UTC"
    )
    reply = await oncall.http.get(
        f"/api/v1/schedules/{schedule['id']}/shifts",
        params={"from": "2026-02-06T00:00:00Z", "to": "2026-02-07T00:00:00Z"},
    )
    assert reply.status_code == 200, reply.text
    shifts = [(s["start"], s["end"], s["user"] and s["user"]["name"]) for s in reply.json()["shifts"]]
    assert shifts == [
        ("2026-02-06T00:00:00Z", "2026-02-06T09:00:00Z", None),
        ("2026-02-06T09:00:00Z", "2026-02-06T18:00:00Z", "Alice"),
        ("2026-02-06T18:00:00Z", "2026-02-07T00:00:00Z", None),
    ]
    backwards = await oncall.http.get(
        f"/api/v1/schedules/{schedule['id']}/shifts",
        params={"from": "2026-02-07T00:00:00Z", "to": "2026-02-06T00:00:00Z"},
    )
    assert backwards.status_code == 422 and backwards.json()["field"] == "to"
    week = (await oncall.http.get(f"/api/v1/schedules/{schedule['id']}/shifts")).json()
    span = datetime.fromisoformat(week["end"]) - datetime.fromisoformat(week["start"])
    assert span == timedelta(days=7) and week["shifts"][0]["start"] == week["start"]
    assert week["shifts"][-1]["end"] == week["end"]


async def test_overrides_cover_someone_and_overlapping_ones_are_refused(oncall, people):
    alice, bob, _, dan = people
    schedule = await make_schedule(oncall, [weekly([alice["id"], bob["id"]])], time_zone="UTC")
    url = f"/api/v1/schedules/{schedule['id']}/overrides"
    body = {"user_id": dan["id"], "start": "2026-02-02T12:00:00Z", "end": "2026-02-03T12:00:00Z"}
    created = await oncall.http.post(url, json=body)
    assert created.status_code == 201, created.text
    assert (await on_call(oncall, schedule, "2026-02-02T18:00:00Z"))["user"]["id"] == dan["id"]
    clash = await oncall.http.post(
        url, json=body | {"start": "2026-02-03T00:00:00Z", "end": "2026-02-04T00:00:00Z"}
    )
    assert clash.status_code == 409 and clash.json()["field"] == "start"
    assert [o["id"] for o in (await oncall.http.get(url)).json()] == [created.json()["id"]]
    only_bob = {"user_id": dan["id"], "replaces_user_id": bob["id"], "start": "2026-02-09T00:00:00Z"}
    covered = await oncall.http.post(url, json=only_bob | {"end": "2026-02-20T00:00:00Z"})
    assert covered.status_code == 201, covered.text
    assert (await on_call(oncall, schedule, "2026-02-10T00:00:00Z"))["user"]["id"] == dan["id"]  # bob's week
    assert (await on_call(oncall, schedule, "2026-02-17T00:00:00Z"))["user"]["id"] == alice["id"]
    deleted = await oncall.http.delete(f"{url}/{created.json()['id']}")
    assert deleted.status_code == 204
    assert (await on_call(oncall, schedule, "2026-02-02T18:00:00Z"))["user"]["id"] == alice["id"]


async def test_simultaneous_overlapping_overrides_store_exactly_one(oncall, people):
    schedule = await make_schedule(oncall, [weekly([people[0]["id"]])], time_zone="UTC")
    url = f"/api/v1/schedules/{schedule['id']}/overrides"
    bodies = [
        {"user_id": p["id"], "start": f"2026-03-0{i + 1}T00:00:00Z", "end": "2026-03-09T00:00:00Z"}
        for i, p in enumerate(people)
    ]
    replies = await asyncio.gather(*(oncall.http.post(url, json=body) for body in bodies))
    assert sorted(r.status_code for r in replies) == [201, 409, 409, 409]
    assert len((await oncall.http.get(url)).json()) == 1


async def test_layers_are_added_patched_and_removed(oncall, people):
    schedule = await make_schedule(oncall, [weekly([people[0]["id"]])], time_zone="UTC")
    url = f"/api/v1/schedules/{schedule['id']}/layers"
    added = await oncall.http.post(url, json=weekly([people[1]["id"]], shift_length=12, shift_unit="hours"))
    assert added.status_code == 201 and added.json()["position"] == 1
    assert (await on_call(oncall, schedule, "2026-02-02T10:00:00Z"))["user"]["id"] == people[1]["id"]
    patched = await oncall.http.patch(f"{url}/{added.json()['id']}", json={"member_ids": [people[2]["id"]]})
    assert patched.status_code == 200 and patched.json()["member_ids"] == [people[2]["id"]]
    assert (await on_call(oncall, schedule, "2026-02-02T10:00:00Z"))["user"]["id"] == people[2]["id"]
    assert (await oncall.http.delete(f"{url}/{added.json()['id']}")).status_code == 204
    assert (await on_call(oncall, schedule, "2026-02-02T10:00:00Z"))["user"]["id"] == people[0]["id"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
        ({"layers": [weekly([], shift_length=0)]}, "shift_length"),
        ({"layers": [weekly([], shift_length=-3)]}, "shift_length"),
        ({"layers": [weekly([], shift_unit="months")]}, "shift_unit"),
        (
            {"layers": [weekly([], restrictions=[{"weekdays": [9], "start": "09:00", "end": "18:00"}])]},
            "weekdays",
        ),
    ],
)
async def test_bad_schedule_input_is_422_naming_the_field_and_stores_nothing(oncall, change, field):
    name = unique("bad")
    body = {"name": name, "time_zone": "UTC", "layers": []} | change
    reply = await oncall.http.post("/api/v1/schedules", json=body)
    assert reply.status_code == 422 and field in reply.text
    assert name not in [s["name"] for s in (await oncall.http.get("/api/v1/schedules")).json()]


async def test_unknown_members_and_override_users_are_422(oncall, people):
    ghost = "00000000-0000-4000-8000-000000000000"
    reply = await oncall.http.post(
        "/api/v1/schedules", json={"name": unique("s"), "time_zone": "UTC", "layers": [weekly([ghost])]}
    )
    assert (
        reply.status_code == 422 and reply.json()["field"] == "layers[0].member_ids" and ghost in reply.text
    )
    schedule = await make_schedule(oncall, [weekly([people[0]["id"]])])
    override = {"user_id": ghost, "start": "2026-02-02T12:00:00Z", "end": "2026-02-03T12:00:00Z"}
    bad = await oncall.http.post(f"/api/v1/schedules/{schedule['id']}/overrides", json=override)
    assert bad.status_code == 422 and bad.json()["field"] == "user_id"
    backwards = override | {"user_id": people[0]["id"], "end": "2026-02-01T00:00:00Z"}
    bad = await oncall.http.post(f"/api/v1/schedules/{schedule['id']}/overrides", json=backwards)
    assert bad.status_code == 422 and "end must be after start" in bad.text
    assert (await oncall.http.get(f"/api/v1/schedules/{schedule['id']}")).json() == schedule


async def test_user_in_a_schedule_cannot_be_deleted(oncall, people):
    await make_schedule(oncall, [weekly([people[3]["id"]])])
    reply = await oncall.http.delete(f"/api/v1/users/{people[3]['id']}")
    assert reply.status_code == 409 and reply.json()["field"] == "id"
    assert (await oncall.http.get(f"/api/v1/users/{people[3]['id']}")).status_code == 200


async def test_team_current_on_call_uses_its_schedule_over_rest_and_grpc(oncall, people):
    service = unique("svc")
    team = await oncall.team(service)
    await oncall.rotation(team["id"], [people[0]["id"]])
    schedule = await make_schedule(oncall, [weekly([people[1]["id"]])], team_id=team["id"])
    reply = await oncall.http.get(
        "/api/v1/oncall/current", params={"team": team["name"], "at": "2026-02-02T12:00:00Z"}
    )
    assert reply.json()["user"]["id"] == people[1]["id"] and reply.json()["rotation"] == schedule["name"]
    answer = await oncall.grpc.GetCurrentOnCall(
        oncall_pb2.GetCurrentOnCallRequest(service=service, at="2026-02-02T12:00:00Z")
    )
    assert answer.user.id == people[1]["id"]
    # Before the schedule starts, the team's rotation still answers.
    early = await oncall.grpc.GetCurrentOnCall(
        oncall_pb2.GetCurrentOnCallRequest(service=service, at="2026-01-01T12:00:00Z")
    )
    assert not early.HasField("user") or early.user.id == people[0]["id"]


async def test_schedule_and_user_calendars_are_valid_icalendar(oncall, people):
    alice, bob = people[0], people[1]
    schedule = await make_schedule(oncall, [weekly([alice["id"], bob["id"]])])
    window = {"from": "2026-02-02T00:00:00Z", "to": "2026-03-02T00:00:00Z"}
    reply = await oncall.http.get(f"/api/v1/schedules/{schedule['id']}/calendar.ics", params=window)
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(reply.content)
    assert calendar["VERSION"] == "2.0" and calendar["PRODID"]
    events = calendar.walk("VEVENT")
    assert len(events) == 5 and all(e["UID"] and e["DTSTAMP"] for e in events)
    assert len({str(e["UID"]) for e in events}) == 5
    first = events[0]
    assert first.decoded("DTSTART").isoformat() == "2026-02-02T00:00:00+00:00"
    assert "Bob" in str(first["SUMMARY"])
    mine = await oncall.http.get(f"/api/v1/users/{alice['id']}/calendar.ics", params=window)
    assert mine.status_code == 200
    starts = [e.decoded("DTSTART").isoformat() for e in Calendar.from_ical(mine.content).walk("VEVENT")]
    assert starts == ["2026-02-02T08:00:00+00:00", "2026-02-16T08:00:00+00:00"]


async def test_deleting_a_schedule_removes_it_but_not_when_a_policy_pages_it(oncall, people):
    schedule = await make_schedule(oncall, [weekly([people[0]["id"]])])
    policy = await oncall.http.post(
        "/api/v1/escalation-policies",
        json={"name": unique("pol"), "levels": [{"targets": [{"type": "schedule", "id": schedule["id"]}]}]},
    )
    url = f"/api/v1/schedules/{schedule['id']}"
    refused = await oncall.http.delete(url)
    assert refused.status_code == 409 and policy.json()["name"] in refused.json()["detail"]
    assert (await oncall.http.delete(f"/api/v1/escalation-policies/{policy.json()['id']}")).status_code == 204
    assert (await oncall.http.delete(url)).status_code == 204
    assert (await oncall.http.get(url)).status_code == 404
