"""The incident console against a real incident-management and on-call: tabs and filters, bulk actions,
declaring, every action of the incident page, and the live feed."""

import asyncio
import uuid

import orjson
import pytest
from sqlalchemy import text

from tests.integration.web_ui.conftest import csrf_of, login, open_incident

pytestmark = pytest.mark.integration


def unique(prefix: str = "svc") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def _status(incidents, incident_id: str) -> dict:
    return (await incidents.http.get(f"/api/v1/incidents/{incident_id}")).json()


async def test_status_tabs_count_across_the_other_filters(incidents, signed_in):
    service = unique()
    ids = [await open_incident(incidents, service, severity=s) for s in ("critical", "high", "info")]
    await incidents.http.post(f"/api/v1/incidents/{ids[1]}/acknowledge")
    page = await signed_in.get("/ui/", params={"service": service, "status": "open"})
    tabs = page.text[
        page.text.index('class="tabs"') : page.text.index("</nav>", page.text.index('class="tabs"'))
    ]
    assert '>All<span class="n">3</span>' in tabs
    assert '>Open<span class="n">2</span>' in tabs and '>Acknowledged<span class="n">1</span>' in tabs
    assert ids[1] not in page.text and ids[0] in page.text


async def test_text_team_range_and_mine_filters(incidents, signed_in):
    team = unique("team")
    service = unique()
    made = await incidents.http.post("/api/v1/services", json={"name": service, "team": team})
    assert made.status_code == 201, made.text
    word = unique("disk")
    wanted = await open_incident(incidents, service, summary=f"{word} full on db-1")
    other = await open_incident(incidents, unique(), summary="unrelated")
    by_text = await signed_in.get("/ui/", params={"q": word.upper()})
    assert wanted in by_text.text and other not in by_text.text
    by_team = await signed_in.get("/ui/", params={"team": team, "range": "1h"})
    assert wanted in by_team.text and other not in by_team.text
    assert (
        "mine" in by_team.text
        and other not in (await signed_in.get("/ui/", params={"assignee": "mine"})).text
    )
    token = csrf_of(by_team)
    took = await signed_in.post(f"/ui/incidents/{other}/reassign", data={"csrf": token, "to": "me"})
    assert took.status_code == 303
    mine = await signed_in.get("/ui/", params={"assignee": "mine"})
    assert other in mine.text and wanted not in mine.text


async def test_bulk_acknowledge_then_resolve_skipping_what_cannot_change(incidents, signed_in):
    service = unique()
    ids = [await open_incident(incidents, service, severity=s) for s in ("critical", "warning")]
    token = csrf_of(await signed_in.get("/ui/", params={"service": service}))
    back = f"/ui/?service={service}"
    acked = await signed_in.post(
        "/ui/incidents/bulk", data={"csrf": token, "action": "acknowledge", "id": ids, "back": back}
    )
    assert acked.status_code == 303 and acked.headers["location"] == f"{back}&done=2&skipped=0"
    assert [(await _status(incidents, i))["status"] for i in ids] == ["acknowledged", "acknowledged"]
    again = await signed_in.post(
        "/ui/incidents/bulk", data={"csrf": token, "action": "acknowledge", "id": ids}
    )
    assert again.headers["location"] == "/ui/?&done=0&skipped=2"
    shown = await signed_in.get(again.headers["location"])
    assert "0 changed, 2 skipped" in shown.text
    await signed_in.post("/ui/incidents/bulk", data={"csrf": token, "action": "resolve", "id": ids})
    assert [(await _status(incidents, i))["status"] for i in ids] == ["resolved", "resolved"]
    no_csrf = await signed_in.post("/ui/incidents/bulk", data={"action": "resolve", "id": ids})
    assert no_csrf.status_code == 403


async def test_declaring_an_incident_by_hand_opens_it_through_the_alert_path(incidents, signed_in):
    form = await signed_in.get("/ui/incidents/new")
    assert form.status_code == 200 and 'name="title"' in form.text
    service = unique()
    declared = await signed_in.post(
        "/ui/incidents/new",
        data={
            "csrf": csrf_of(form),
            "service": service,
            "severity": "high",
            "title": "Checkout is down for EU customers",
            "description": "Seen by support",
        },
    )
    assert declared.status_code == 303
    incident_id = declared.headers["location"].rsplit("/", 1)[1]
    body = await _status(incidents, incident_id)
    assert body["service"] == service and body["severity"] == "high" and body["status"] == "open"
    assert body["title"] == "Checkout is down for EU customers" and body["alert_count"] == 1
    [stored] = body["alerts"]
    assert stored["source"] == "manual" and stored["annotations"]["declared_by"] == "Alice Martin"
    page = await signed_in.get(declared.headers["location"])
    assert "Seen by support" in page.text
    bad = await signed_in.post(
        "/ui/incidents/new",
        data={"csrf": csrf_of(form), "service": service, "severity": "loud", "title": "x"},
    )
    assert bad.status_code == 422 and "severity" in bad.text


async def test_note_unacknowledge_snooze_escalate_and_reassign_from_the_incident_page(
    web, incidents, signed_in
):
    incident_id = await open_incident(incidents, unique())
    page = await signed_in.get(f"/ui/incidents/{incident_id}")
    for label in ("Acknowledge", "Resolve", "Snooze", "Add note", "Assign to me"):
        assert label in page.text
    assert "Escalate now" not in page.text  # no policy to escalate along
    token = csrf_of(page)

    async def act(action: str, **fields) -> int:
        reply = await signed_in.post(f"/ui/incidents/{incident_id}/{action}", data={"csrf": token, **fields})
        return reply.status_code

    assert await act("note", note="Rolled back deploy 42") == 303
    assert await act("acknowledge") == 303
    shown = await signed_in.get(f"/ui/incidents/{incident_id}")
    assert 'class="mtta"' in shown.text and "Unacknowledge" in shown.text
    assert await act("unacknowledge") == 303
    assert (await _status(incidents, incident_id))["status"] == "open"
    assert await act("snooze", minutes="60") == 303
    assert (await _status(incidents, incident_id))["snoozed_until"] is not None
    assert await act("snooze", minutes="7") == 422
    refused = await signed_in.post(f"/ui/incidents/{incident_id}/escalate", data={"csrf": token})
    assert refused.status_code == 409 and "no escalation policy" in refused.text
    assert await act("reassign", to="me") == 303
    assert await act("reassign", user_id="not-a-uuid") == 422
    assert await act("explode") == 422
    assert "Rolled back deploy 42" in (await signed_in.get(f"/ui/incidents/{incident_id}")).text
    body = await _status(incidents, incident_id)
    assert body["assignee"]["id"] == str((await web.account()).id)  # (a new password ends the session)
    kinds = [t["kind"] for t in body["timeline"] if t["actor"] == "Alice Martin"]
    assert "note" in kinds and len(kinds) >= 5, kinds


async def test_a_viewer_sees_no_declare_nor_bulk_and_is_refused_both(web, browser, incidents):
    user = await web.account(email="vic@example.com", name="Vic Viewer")
    async with web.oncall.runtime.commands.sessions.begin() as session:
        await session.execute(text("UPDATE users SET role = 'viewer' WHERE id = :id"), {"id": user.id})
    await login(browser, email="vic@example.com")
    incident_id = await open_incident(incidents, unique())
    page = await browser.get("/ui/")
    assert "Declare an incident" not in page.text and 'action="/ui/incidents/bulk"' in page.text
    assert "Acknowledge selected" not in page.text and 'name="id"' not in page.text
    assert 'href="/ui/config"' not in page.text and 'href="/ui/analytics"' in page.text
    token = csrf_of(page)
    bulk = await browser.post(
        "/ui/incidents/bulk", data={"csrf": token, "action": "resolve", "id": incident_id}
    )
    assert bulk.status_code == 403
    assert (await browser.get("/ui/incidents/new")).status_code == 403
    declared = await browser.post(
        "/ui/incidents/new", data={"csrf": token, "service": "s", "severity": "info", "title": "t"}
    )
    assert declared.status_code == 403
    assert (await _status(incidents, incident_id))["status"] == "open"


async def test_the_pages_scripts_are_served_by_the_app(signed_in):
    page = await signed_in.get("/ui/")
    assert '<script src="/ui/static/theme.js">' in page.text and "/ui/static/incidents.js" in page.text
    for script in ("theme.js", "incidents.js"):
        served = await signed_in.get(f"/ui/static/{script}")
        assert served.status_code == 200 and "javascript" in served.headers["content-type"]


async def test_the_live_feed_needs_a_session(browser):
    reply = await browser.get("/ui/events")
    assert reply.status_code == 303 and reply.headers["location"].startswith("/ui/login")


class Feed:
    """A browser's live feed, read event by event."""

    def __init__(self, reply) -> None:
        self._lines = reply.aiter_lines()

    async def next(self) -> tuple[str, dict]:
        event_id = ""
        async for line in self._lines:
            if line.startswith("id: "):
                event_id = line[4:]
            elif line.startswith("data: "):
                return event_id, orjson.loads(line[6:])
        raise AssertionError("the feed ended")

    async def until(self, incident_id: str, event_type: str) -> str:
        """The id of the first event of this type about this incident."""
        while True:
            event_id, event = await self.next()
            if event.get("incident_id") == incident_id and event["type"] == event_type:
                return event_id

    async def connected(self) -> None:
        _, state = await asyncio.wait_for(self.next(), 5)
        if state["type"] == "live.down":  # the subscription is being made
            state = (await asyncio.wait_for(self.next(), 5))[1]
        assert state["type"] == "live.up"


async def test_a_change_reaches_the_live_feed_within_two_seconds(incidents, signed_in):
    incident_id = await open_incident(incidents, unique())
    async with signed_in.stream("GET", "/ui/events") as reply:
        assert reply.headers["content-type"].startswith("text/event-stream")
        feed = Feed(reply)
        await feed.connected()
        await incidents.http.post(f"/api/v1/incidents/{incident_id}/acknowledge")
        event_id = await asyncio.wait_for(feed.until(incident_id, "incident.acknowledged"), 2)
    await incidents.http.post(f"/api/v1/incidents/{incident_id}/resolve")
    await asyncio.sleep(0.5)
    async with signed_in.stream("GET", "/ui/events", headers={"Last-Event-ID": event_id}) as reply:
        await asyncio.wait_for(Feed(reply).until(incident_id, "incident.resolved"), 2)  # missed, resent


async def test_an_alert_joining_an_incident_reaches_the_live_feed(incidents, signed_in):
    service = unique()
    incident_id = await open_incident(incidents, service, fingerprint="fp-1")
    async with signed_in.stream("GET", "/ui/events") as reply:
        feed = Feed(reply)
        await feed.connected()
        joined = await open_incident(incidents, service, fingerprint="fp-2")
        assert joined == incident_id
        await asyncio.wait_for(feed.until(incident_id, "incident.alert_added"), 2)


async def test_reassign_offers_on_calls_people_and_policies_by_name(oncall, incidents, signed_in):
    carol = await oncall.user("Carol Picker")
    incident_id = await open_incident(incidents, unique())
    page = await signed_in.get(f"/ui/incidents/{incident_id}")
    assert f'<option value="{carol["id"]}"' in page.text and "Carol Picker (" in page.text
    moved = await signed_in.post(
        f"/ui/incidents/{incident_id}/reassign", data={"csrf": csrf_of(page), "user_id": carol["id"]}
    )
    assert moved.status_code == 303
    assert (await _status(incidents, incident_id))["assignee"]["id"] == carol["id"]
