"""The configuration editors against real on-call and incident-management servers: an admin creates a user
who then logs in, a policy of two levels that a service's paging then uses, and a schedule whose layer
puts someone on call; refusals are shown next to their field; responders get 403 and forged posts are
refused; every change is in on-call's audit log under the admin's name."""

import html
import re
from datetime import timedelta

import httpx
import pytest

from shared.timeutil import utcnow
from tests.integration.oncall_fixtures import unique
from tests.integration.web_ui.conftest import csrf_of, login
from tests.integration.web_ui.console import field_error, signed_in_as

pytestmark = pytest.mark.integration
_PASSWORD = re.compile(r'<code id="new-password">([^<]+)</code>')


async def _audited(web, action: str) -> list[dict]:
    reply = await web.oncall.http.get("/api/v1/audit", params={"action": action})
    return reply.json()["entries"]


def _section(page: httpx.Response, section: str) -> str:
    return page.text.split(f'id="{section}"', 1)[1].split("</section>", 1)[0]


async def test_an_admin_creates_a_user_who_then_logs_in(web):
    email = f"{unique('new')}@example.com"
    async with signed_in_as(web, "admin", name="Ada Admin") as (admin, _):
        page = await admin.get("/ui/config/users")
        assert page.status_code == 200
        form = {
            "csrf": csrf_of(page),
            "name": "Nora New",
            "email": email,
            "role": "viewer",
            "time_zone": "Asia/Tokyo",
        }
        made = await admin.post("/ui/config/users", data=form)
        assert made.status_code == 201 and "Nora New" in made.text
        password = html.unescape(_PASSWORD.search(made.text).group(1))
        assert password not in (await admin.get("/ui/config/users")).text
    async with web.client() as newcomer:
        assert (await login(newcomer, email=email, password=password)).status_code == 303
        assert "Nora New (viewer)" in (await newcomer.get("/ui/oncall")).text
    [entry] = [e for e in await _audited(web, "CreateUser") if e["after"]["email"] == email]
    assert entry["actor"] == "Ada Admin"


@pytest.mark.parametrize(
    ("fields", "field", "status", "says"),
    [
        ({"email": "nope"}, "email", 422, "email:"),
        ({"time_zone": "Mars/Base"}, "time_zone", 422, "IANA time zone"),
        ({"email": "taken"}, "email", 409, "already used"),
    ],
)
async def test_a_refused_user_is_shown_next_to_its_field_as_typed(web, fields, field, status, says):
    async with signed_in_as(web, "admin") as (admin, _):
        page = await admin.get("/ui/config/users")
        if fields.get("email") == "taken":
            fields = {"email": (await web.oncall.user())["email"]}
        form = {"csrf": csrf_of(page), "name": "Typed Name", "email": f"{unique('x')}@example.com"} | fields
        refused = await admin.post("/ui/config/users", data=form)
    assert refused.status_code == status and says in field_error(refused, field)
    assert 'value="Typed Name"' in refused.text


async def test_an_admin_disables_a_login_and_cannot_delete_a_scheduled_user(web):
    async with signed_in_as(web, "admin") as (admin, _):
        page = await admin.get("/ui/config/users")
        email = f"{unique('d')}@example.com"
        made = await admin.post(
            "/ui/config/users",
            data={"csrf": csrf_of(page), "name": "Dee", "email": email, "role": "responder"},
        )
        password = html.unescape(_PASSWORD.search(made.text).group(1))
        user_id = next(
            u["id"] for u in (await web.oncall.http.get("/api/v1/users")).json() if u["email"] == email
        )
        off = await admin.post(
            f"/ui/config/users/{user_id}/login", data={"csrf": csrf_of(page), "disabled": "true"}
        )
        assert (
            off.status_code == 303
            and "logged out everywhere" in (await admin.get(off.headers["location"])).text
        )
        async with web.client() as dee:
            assert (await login(dee, email=email, password=password)).status_code == 403

        schedule = (
            await web.oncall.http.post(
                "/api/v1/schedules",
                json={
                    "name": unique("s"),
                    "time_zone": "UTC",
                    "layers": [
                        {
                            "shift_length": 1,
                            "shift_unit": "days",
                            "handoff_time": "09:00",
                            "start_date": "2026-01-05",
                            "member_ids": [user_id],
                        }
                    ],
                },
            )
        ).json()
        refused = await admin.post(f"/ui/config/users/{user_id}/delete", data={"csrf": csrf_of(page)})
        assert refused.status_code == 409 and schedule["name"] in html.unescape(refused.text)
        await web.oncall.http.delete(f"/api/v1/schedules/{schedule['id']}")
        gone = await admin.post(f"/ui/config/users/{user_id}/delete", data={"csrf": csrf_of(page)})
        assert gone.status_code == 303
    assert (await web.oncall.http.get(f"/api/v1/users/{user_id}")).status_code == 404


async def test_a_policy_of_two_levels_is_built_without_javascript_and_pages_a_service(web):
    alice = await web.account(email=f"{unique('alice')}@example.com", name=unique("Alice"))
    schedule = (
        await web.oncall.http.post("/api/v1/schedules", json={"name": unique("sch"), "time_zone": "UTC"})
    ).json()
    name = unique("pol")
    async with signed_in_as(web, "admin") as (admin, _):
        page = await admin.get("/ui/config/policies")
        typed = {
            "csrf": csrf_of(page),
            "name": name,
            "repeat": "1",
            "levels": "1",
            "delay-0": "5",
            f"t0:user:{alice.id}": "on",
        }
        two = await admin.post("/ui/config/policies", data=typed | {"op": "add-level"})
        assert (
            two.status_code == 200 and 'name="levels" value="2"' in two.text and 'name="delay-1"' in two.text
        )
        assert f'name="t0:user:{alice.id}" checked' in two.text and f'value="{name}"' in two.text
        three = await admin.post("/ui/config/policies", data=typed | {"levels": "3", "op": "remove-level-2"})
        assert 'name="levels" value="2"' in three.text

        levels = typed | {"levels": "2", f"t1:schedule:{schedule['id']}": "on", "op": "save"}
        saved = await admin.post("/ui/config/policies", data=levels)
        assert saved.status_code == 303 and saved.headers["location"].endswith("?done=created")
        policy_id = saved.headers["location"].split("/")[-1].split("?")[0]
        stored = (await web.oncall.http.get(f"/api/v1/escalation-policies/{policy_id}")).json()
        assert [lv["delay_minutes"] for lv in stored["levels"]] == [5, None] and stored["repeat"] == 1
        assert stored["levels"][1]["targets"] == [{"type": "schedule", "id": schedule["id"]}]

        service = unique("svc")
        await admin.post(
            "/ui/config/services",
            data={"csrf": csrf_of(page), "name": service, "escalation_policy_id": policy_id},
        )
        paged = (await admin.get("/ui/oncall")).text.split(f">{service}<", 1)[1].split("</tr>", 1)[0]
        assert f"policy {name}, level 1 of 2" in paged and alice.name in paged

        renamed = unique("renamed")
        edit = await admin.post(f"/ui/config/policies/{policy_id}", data=levels | {"name": renamed})
        assert edit.status_code == 303 and "saved" in (await admin.get(edit.headers["location"])).text
        assert (await web.oncall.http.get(f"/api/v1/escalation-policies/{policy_id}")).json()[
            "name"
        ] == renamed
        deleted = await admin.post(f"/ui/config/policies/{policy_id}/delete", data={"csrf": csrf_of(page)})
        assert deleted.status_code == 303
    assert (await web.oncall.http.get(f"/api/v1/escalation-policies/{policy_id}")).status_code == 404
    assert {"CreateEscalationPolicy", "UpdateEscalationPolicy", "DeleteEscalationPolicy"} <= {
        e["action"]
        for e in (await web.oncall.http.get("/api/v1/audit", params={"limit": 200})).json()["entries"]
        if e["target_id"] == policy_id
    }


async def test_a_refused_policy_is_shown_next_to_its_field(web):
    async with signed_in_as(web, "admin") as (admin, _):
        page = await admin.get("/ui/config/policies")
        refused = await admin.post(
            "/ui/config/policies", data={"csrf": csrf_of(page), "name": "No targets", "levels": "1"}
        )
        assert refused.status_code == 422 and "levels.0.targets" in field_error(refused, "levels")
        bad = await admin.post(
            "/ui/config/policies", data={"csrf": csrf_of(page), "name": "x", "repeat": "many"}
        )
        assert bad.status_code == 422 and "repeat" in field_error(bad, "repeat")


async def test_a_schedule_with_a_layer_shows_who_is_on_call(web):
    alice = await web.account(email=f"{unique('alice')}@example.com", name=unique("Alice"))
    bob = await web.account(email=f"{unique('bob')}@example.com", name=unique("Bob"))
    team = await web.oncall.team()
    name = unique("sch")
    async with signed_in_as(web, "admin") as (admin, _):
        page = await admin.get("/ui/config/schedules")
        made = await admin.post(
            "/ui/config/schedules",
            data={"csrf": csrf_of(page), "name": name, "time_zone": "Europe/Paris", "team_id": team["id"]},
        )
        assert made.status_code == 303
        detail = await admin.get(made.headers["location"])
        assert "Schedule created" in detail.text and team["name"] in detail.text
        assert "<strong>nobody</strong>" in _section(detail, "now")
        schedule_id = made.headers["location"].split("/")[-1].split("?")[0]

        start = (utcnow() - timedelta(days=1)).date().isoformat()
        layer = {
            "csrf": csrf_of(page),
            "name": "Primary",
            "shift_length": "1",
            "shift_unit": "weeks",
            "handoff_time": "09:00",
            "start_date": start,
            "member-0": str(alice.id),
            "member-2": str(bob.id),
        }
        added = await admin.post(f"/ui/config/schedules/{schedule_id}/layers", data=layer)
        assert added.status_code == 303
        detail = await admin.get(f"/ui/config/schedules/{schedule_id}")
        assert alice.name in _section(detail, "now")
        assert name in (await admin.get("/ui/oncall")).text
        stored = (await web.oncall.http.get(f"/api/v1/schedules/{schedule_id}")).json()["layers"][0]
        assert stored["member_ids"] == [str(alice.id), str(bob.id)] and stored["name"] == "Primary"

        edited = await admin.post(
            f"/ui/config/schedules/{schedule_id}/layers/{stored['id']}",
            data=layer | {"member-0": str(bob.id), "member-2": str(alice.id)},
        )
        assert edited.status_code == 303
        assert bob.name in _section(await admin.get(f"/ui/config/schedules/{schedule_id}"), "now")

        bad = await admin.post(
            f"/ui/config/schedules/{schedule_id}/layers", data=layer | {"shift_length": "0", "name": "Typed"}
        )
        assert (
            bad.status_code == 422
            and "shift_length" in field_error(bad, "shift_length")
            and 'value="Typed"' in bad.text
        )

        removed = await admin.post(
            f"/ui/config/schedules/{schedule_id}/layers/{stored['id']}/delete", data={"csrf": csrf_of(page)}
        )
        assert removed.status_code == 303
        assert "<strong>nobody</strong>" in _section(
            await admin.get(f"/ui/config/schedules/{schedule_id}"), "now"
        )
        gone = await admin.post(f"/ui/config/schedules/{schedule_id}/delete", data={"csrf": csrf_of(page)})
        assert gone.status_code == 303
    assert (await web.oncall.http.get(f"/api/v1/schedules/{schedule_id}")).status_code == 404
    actions = {e["action"] for e in await _audited(web, "AddScheduleLayer")} | {
        e["action"] for e in await _audited(web, "DeleteSchedule")
    }
    assert actions == {"AddScheduleLayer", "DeleteSchedule"}


async def test_a_refused_schedule_is_shown_next_to_its_field(web):
    async with signed_in_as(web, "admin") as (admin, _):
        page = await admin.get("/ui/config/schedules")
        refused = await admin.post(
            "/ui/config/schedules", data={"csrf": csrf_of(page), "name": "Tz", "time_zone": "Mars/Base"}
        )
    assert refused.status_code == 422 and "IANA" in field_error(refused, "time_zone")


PAGES = ["/ui/config/users", "/ui/config/policies", "/ui/config/schedules"]
POSTS = [
    ("/ui/config/users", {"name": "Mallory", "email": "mallory@example.com"}),
    ("/ui/config/policies", {"name": "Mallory's", "op": "save"}),
    ("/ui/config/schedules", {"name": "Mallory's", "time_zone": "UTC"}),
]


@pytest.mark.parametrize("path", PAGES)
async def test_a_responder_gets_403_on_the_editors(web, path):
    async with signed_in_as(web, "responder") as (browser, _):
        assert (await browser.get(path)).status_code == 403


@pytest.mark.parametrize(("path", "form"), POSTS)
async def test_a_responder_post_and_a_forged_admin_post_change_nothing(web, path, form):
    async with signed_in_as(web, "responder") as (responder, _):
        csrf = csrf_of(await responder.get("/ui/oncall"))
        assert (await responder.post(path, data=form | {"csrf": csrf})).status_code == 403
    async with signed_in_as(web, "admin") as (admin, _):
        assert (await admin.post(path, data=form | {"csrf": "f" * 64})).status_code == 403
    users = (await web.oncall.http.get("/api/v1/users")).text
    policies = (await web.oncall.http.get("/api/v1/escalation-policies")).text
    schedules = (await web.oncall.http.get("/api/v1/schedules")).text
    assert "Mallory" not in users + policies + schedules
