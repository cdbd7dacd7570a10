"""The on-call page against real on-call and incident-management servers: it names whom paging picks,
shows the week's shifts, and lets responders (only) create and remove overrides."""

import asyncio
import re
from datetime import timedelta

import pytest

from shared.gen.oncall.v1 import incident_pb2
from shared.timeutil import utcnow
from tests.integration.incident_fixtures import alert
from tests.integration.oncall_fixtures import unique
from tests.integration.web_ui.conftest import csrf_of
from tests.integration.web_ui.console import signed_in_as

pytestmark = pytest.mark.integration


@pytest.fixture
async def incidents(start_incident_stack, oncall):
    """incident-management paging through this test's on-call (the page must agree with it)."""
    return await start_incident_stack(oncall_grpc_target=oncall.grpc_target)


async def _schedule(oncall, member_ids: list[str]) -> dict:
    layer = {"shift_length": 1, "shift_unit": "weeks", "handoff_time": "09:00", "start_date": "2026-01-05"}
    body = {"name": unique("sched"), "time_zone": "UTC", "layers": [layer | {"member_ids": member_ids}]}
    reply = await oncall.http.post("/api/v1/schedules", json=body)
    assert reply.status_code == 201, reply.text
    return reply.json()


@pytest.fixture
async def setup(web, incidents, oncall):
    """Bob on call for a team owning one service; Carol on call in a schedule a second service's policy
    pages."""
    bob, carol = await oncall.user(f"Bob {unique('b')}"), await oncall.user(f"Carol {unique('c')}")
    by_team, by_policy = unique("svc-team"), unique("svc-policy")
    team = await oncall.team(by_team)
    await oncall.rotation(team["id"], [bob["id"]])
    schedule = await _schedule(oncall, [carol["id"]])
    policy = await oncall.http.post(
        "/api/v1/escalation-policies",
        json={"name": unique("pol"), "levels": [{"targets": [{"type": "schedule", "id": schedule["id"]}]}]},
    )
    for body in (
        {"name": by_team, "team": team["name"]},
        {"name": by_policy, "escalation_policy_id": policy.json()["id"]},
    ):
        assert (await incidents.http.post("/api/v1/services", json=body)).status_code == 201
    return {
        "bob": bob,
        "carol": carol,
        "team_service": by_team,
        "policy_service": by_policy,
        "schedule": schedule,
    }


def _paged(page: str, service: str) -> str:
    found = re.search(rf'<th scope="row">{re.escape(service)}</th>\s*<td>(.*?)</td>', page, re.S)
    assert found, f"{service} not on the page"
    return found.group(1)


async def _assignee(incidents, service: str) -> str:
    incident_id = (await incidents.grpc.IngestAlert(alert(service))).incident_id
    for _ in range(50):
        reply = await incidents.grpc.GetIncident(incident_pb2.GetIncidentRequest(id=incident_id))
        name = reply.incident.assignee_name
        if name:
            return name
        await asyncio.sleep(0.1)
    raise AssertionError("the incident was never assigned")


async def test_the_page_names_whom_paging_picks_for_each_service(web, incidents, setup):
    async with signed_in_as(web, "viewer") as (browser, _):
        page = (await browser.get("/ui/oncall")).text
    for service, person in ((setup["team_service"], setup["bob"]), (setup["policy_service"], setup["carol"])):
        shown = _paged(page, service)
        assert person["name"] in shown
        assert await _assignee(incidents, service) == person["name"]


async def test_the_week_shows_each_schedule_as_a_timeline_with_its_ical_feed(web, setup):
    async with signed_in_as(web, "viewer") as (browser, _):
        page = (await browser.get("/ui/oncall")).text
    schedule = setup["schedule"]
    assert f'aria-label="Shifts of {schedule["name"]} over the next 7 days"' in page
    assert f"/api/v1/schedules/{schedule['id']}/calendar.ics" in page
    assert setup["carol"]["name"] in page and "<rect" in page


def _local(at) -> str:
    return at.strftime("%Y-%m-%dT%H:%M")


async def test_a_responder_takes_a_shift_with_an_override_and_gives_it_back(web, setup):
    schedule = setup["schedule"]
    async with signed_in_as(web, "responder", name="Dana Override") as (browser, me):
        page = await browser.get("/ui/oncall")
        assert "You have no shifts" in page.text
        form = {
            "csrf": csrf_of(page),
            "schedule_id": schedule["id"],
            "user_id": me,
            "start": _local(utcnow() - timedelta(hours=1)),
            "end": _local(utcnow() + timedelta(hours=2)),
        }
        created = await browser.post("/ui/oncall/overrides", data=form)
        assert created.status_code == 303, created.text
        page = await browser.get("/ui/oncall")
        assert "Dana Override" in _paged(page.text, setup["policy_service"])
        assert "You have no shifts" not in page.text
        override_id = (await web.oncall.http.get(f"/api/v1/schedules/{schedule['id']}/overrides")).json()[0][
            "id"
        ]
        action = f"/ui/oncall/overrides/{schedule['id']}/{override_id}/delete"
        assert action in page.text
        removed = await browser.post(action, data={"csrf": csrf_of(page)})
        assert removed.status_code == 303
        assert setup["carol"]["name"] in _paged(
            (await browser.get("/ui/oncall")).text, setup["policy_service"]
        )


async def test_a_viewer_gets_no_override_form_and_its_post_is_refused(web, setup):
    async with signed_in_as(web, "viewer") as (browser, me):
        page = await browser.get("/ui/oncall")
        assert 'action="/ui/oncall/overrides"' not in page.text
        form = {"csrf": csrf_of(page), "schedule_id": setup["schedule"]["id"], "user_id": me}
        form |= {"start": _local(utcnow()), "end": _local(utcnow() + timedelta(hours=1))}
        assert (await browser.post("/ui/oncall/overrides", data=form)).status_code == 403
    assert (await web.oncall.http.get(f"/api/v1/schedules/{setup['schedule']['id']}/overrides")).json() == []


async def test_a_forged_override_post_is_refused(web, setup):
    async with signed_in_as(web, "responder") as (browser, me):
        form = {"csrf": "0" * 64, "schedule_id": setup["schedule"]["id"], "user_id": me}
        form |= {"start": _local(utcnow()), "end": _local(utcnow() + timedelta(hours=1))}
        assert (await browser.post("/ui/oncall/overrides", data=form)).status_code == 403


async def test_a_bad_override_span_is_a_422_naming_the_field(web, setup):
    async with signed_in_as(web, "responder") as (browser, me):
        page = await browser.get("/ui/oncall")
        form = {
            "csrf": csrf_of(page),
            "schedule_id": setup["schedule"]["id"],
            "user_id": me,
            "start": "soon",
            "end": "",
        }
        reply = await browser.post("/ui/oncall/overrides", data=form)
        assert reply.status_code == 422 and "start" in reply.text
