"""A layer's restriction windows on the schedule page, against a real on-call server: added, removed and
saved without JavaScript, a refused window shown next to its field as typed, responders and forged posts
refused; the change is in on-call's audit log."""

import re

import httpx
import pytest

from tests.integration.oncall_fixtures import unique
from tests.integration.web_ui.conftest import csrf_of
from tests.integration.web_ui.console import field_error, signed_in_as

pytestmark = pytest.mark.integration
WEEKEND_NIGHTS = {"weekdays": [5], "start": "22:00", "end": "06:00"}


@pytest.fixture
async def layered(web) -> tuple[str, str]:
    """A schedule with one layer (no restrictions yet): the page's path and the layer's form's action."""
    body = {
        "name": unique("sch"),
        "time_zone": "Europe/Paris",
        "layers": [
            {"shift_length": 1, "shift_unit": "weeks", "handoff_time": "09:00", "start_date": "2026-01-05"}
        ],
    }
    made = (await web.oncall.http.post("/api/v1/schedules", json=body)).json()
    page = f"/ui/config/schedules/{made['id']}"
    return page, f"{page}/layers/{made['layers'][0]['id']}/restrictions"


async def _stored(web, page: str) -> list[dict]:
    schedule = (await web.oncall.http.get(f"/api/v1/schedules/{page.rsplit('/', 1)[1]}")).json()
    return schedule["layers"][0]["restrictions"]


def _windows(*windows: dict) -> dict[str, str]:
    """The restrictions form posting these windows."""
    form = {"windows": str(len(windows))}
    for i, window in enumerate(windows):
        form |= {f"w{i}-day{d}": "on" for d in window["weekdays"]}
        form |= {f"w{i}-start": window["start"], f"w{i}-end": window["end"]}
    return form


def _checked(page: httpx.Response, window: int) -> list[int]:
    return [int(d) for d in re.findall(rf'name="w{window}-day(\d)" checked', page.text)]


async def test_an_admin_adds_saves_and_removes_windows_without_javascript(web, layered):
    page, action = layered
    name = unique("Ada")
    async with signed_in_as(web, "admin", name) as (admin, _):
        shown = await admin.get(page)
        assert "No windows: the layer applies at all times." in shown.text
        csrf = csrf_of(shown)

        added = await admin.post(action, data={"csrf": csrf, "windows": "0", "op": "add-window"})
        assert added.status_code == 200 and "Window 1" in added.text and "Window 2" not in added.text
        assert (
            _checked(added, 0) == [0, 1, 2, 3, 4] and 'name="w0-end" type="time" value="17:00"' in added.text
        )
        assert await _stored(web, page) == []  # adding a window is typing, not saving

        office = {"weekdays": [0, 2], "start": "09:00", "end": "17:00"}
        saved = await admin.post(action, data={"csrf": csrf, "op": "save"} | _windows(office, WEEKEND_NIGHTS))
        assert (
            saved.status_code == 303 and saved.headers["location"] == f"{page}?done=restrictions-saved#layers"
        )
        assert await _stored(web, page) == [office, WEEKEND_NIGHTS]
        shown = await admin.get(saved.headers["location"])
        assert "Restrictions saved." in shown.text
        assert (_checked(shown, 0), _checked(shown, 1)) == ([0, 2], [5])
        assert 'name="w1-start" type="time" value="22:00"' in shown.text

        form = {"csrf": csrf} | _windows(office, WEEKEND_NIGHTS)
        removed = await admin.post(action, data=form | {"op": "remove-window-0"})
        assert removed.status_code == 200 and _checked(removed, 0) == [5] and "Window 2" not in removed.text
        assert await _stored(web, page) == [office, WEEKEND_NIGHTS]
        saved = await admin.post(action, data={"csrf": csrf, "op": "save"} | _windows(WEEKEND_NIGHTS))
        assert saved.status_code == 303 and await _stored(web, page) == [WEEKEND_NIGHTS]

        cleared = await admin.post(action, data={"csrf": csrf, "op": "save", "windows": "0"})
        assert cleared.status_code == 303 and await _stored(web, page) == []
    layer_id = action.split("/")[-2]
    reply = await web.oncall.http.get("/api/v1/audit", params={"action": "SetScheduleLayerRestrictions"})
    assert {e["actor"] for e in reply.json()["entries"] if e["target_id"] == layer_id} == {name}


@pytest.mark.parametrize(
    ("window", "field", "says"),
    [
        ({"weekdays": [], "start": "09:00", "end": "17:00"}, "w1-days", "at least 1"),
        ({"weekdays": [1], "start": "09:00", "end": "25:00"}, "w1-end", "HH:MM"),
        ({"weekdays": [1], "start": "", "end": "17:00"}, "w1-start", "HH:MM"),
    ],
)
async def test_a_refused_window_is_shown_next_to_its_field_as_typed(web, layered, window, field, says):
    page, action = layered
    async with signed_in_as(web, "admin") as (admin, _):
        csrf = csrf_of(await admin.get(page))
        refused = await admin.post(
            action, data={"csrf": csrf, "op": "save"} | _windows(WEEKEND_NIGHTS, window)
        )
    assert refused.status_code == 422 and says in field_error(refused, field)
    assert f'name="w1-end" type="time" value="{window["end"]}"' in refused.text
    assert await _stored(web, page) == []


@pytest.mark.parametrize("role", ["viewer", "responder"])
async def test_only_admins_see_a_schedule_and_its_windows(web, layered, role):
    page, _ = layered
    async with signed_in_as(web, role) as (browser, _):
        shown = await browser.get(page)
    assert shown.status_code == 403 and "Save restrictions" not in shown.text


async def test_a_responder_post_and_a_forged_admin_post_change_no_window(web, layered):
    page, action = layered
    form = {"op": "save"} | _windows(WEEKEND_NIGHTS)
    async with signed_in_as(web, "responder") as (responder, _):
        csrf = csrf_of(await responder.get("/ui/oncall"))
        assert (await responder.post(action, data=form | {"csrf": csrf})).status_code == 403
    async with signed_in_as(web, "admin") as (admin, _):
        assert (await admin.post(action, data=form | {"csrf": "f" * 64})).status_code == 403
    assert await _stored(web, page) == []
