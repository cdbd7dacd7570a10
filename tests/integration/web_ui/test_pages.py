"""The pages against a real incident-management and on-call: lists, detail, actions, CSRF, escaping."""

import uuid

import pytest
from sqlalchemy import text

from tests.integration.web_ui.conftest import csrf_of, login, open_incident

pytestmark = pytest.mark.integration


def unique_service() -> str:
    return f"svc-{uuid.uuid4().hex[:8]}"


async def test_list_filters_pages_and_counts(incidents, signed_in):
    service = unique_service()
    ids = [await open_incident(incidents, service, severity=s) for s in ("critical", "high", "info")]
    await incidents.http.post(f"/api/v1/incidents/{ids[1]}/acknowledge")
    first = await signed_in.get("/ui/", params={"service": service})  # page size 2 in these tests
    assert first.status_code == 200
    assert _listed(first.text, ids) == [ids[0], ids[2]]  # open first, the most severe first
    assert '<span class="count" data-live="count">3</span>' in first.text and "1–2 of 3" in first.text
    assert f"/ui/?service={service}&amp;offset=2" in first.text and 'rel="prev"' not in first.text
    second = await signed_in.get("/ui/", params={"service": service, "offset": 2})
    assert (
        _listed(second.text, ids) == [ids[1]]
        and "3–3 of 3" in second.text
        and 'rel="next"' not in second.text
    )
    newest = await signed_in.get("/ui/", params={"service": service, "sort": "newest"})
    assert _listed(newest.text, ids) == [ids[2], ids[1]]
    acked = await signed_in.get("/ui/", params={"service": service, "status": "acknowledged", "severity": ""})
    assert _listed(acked.text, ids) == [ids[1]]
    critical = await signed_in.get("/ui/", params={"service": service, "severity": "critical"})
    assert _listed(critical.text, ids) == [ids[0]]


async def test_the_list_says_how_long_the_server_took(incidents, signed_in):
    await open_incident(incidents, unique_service())
    reply = await signed_in.get("/ui/")
    timing = reply.headers["server-timing"]
    assert "total;dur=" in timing and "rpc;dur=" in timing


async def test_a_bad_filter_is_a_422_naming_it(signed_in):
    reply = await signed_in.get("/ui/", params={"severity": "loud"})
    assert reply.status_code == 422 and "severity" in reply.text


async def test_acknowledge_then_resolve_as_the_logged_in_person(incidents, signed_in):
    incident_id = await open_incident(incidents, unique_service())
    page = await signed_in.get(f"/ui/incidents/{incident_id}")
    assert page.status_code == 200 and "Acknowledge" in page.text
    token = csrf_of(page)
    acked = await signed_in.post(f"/ui/incidents/{incident_id}/acknowledge", data={"csrf": token})
    assert acked.status_code == 303 and acked.headers["location"] == f"/ui/incidents/{incident_id}"
    body = (await incidents.http.get(f"/api/v1/incidents/{incident_id}")).json()
    assert body["status"] == "acknowledged" and body["acknowledged_by"] == "Alice Martin"
    resolved = await signed_in.post(f"/ui/incidents/{incident_id}/resolve", data={"csrf": token})
    assert resolved.status_code == 303
    body = (await incidents.http.get(f"/api/v1/incidents/{incident_id}")).json()
    assert body["status"] == "resolved" and body["resolved_by"] == "Alice Martin"
    assert any(t["actor"] == "Alice Martin" for t in body["timeline"])
    shown = await signed_in.get(f"/ui/incidents/{incident_id}")
    assert "resolved" in shown.text and "Alice Martin" in shown.text
    audit = (await incidents.http.get("/api/v1/audit")).status_code  # on-call's route, not here
    assert audit == 404
    async with incidents.runtime.engine.connect() as connection:
        rows = (
            await connection.execute(
                text("SELECT action, actor, client_ip FROM audit_log WHERE target_id = :id ORDER BY id"),
                {"id": incident_id},
            )
        ).all()
    assert [(r.action, r.actor) for r in rows] == [
        ("AcknowledgeIncident", "Alice Martin"),
        ("ResolveIncident", "Alice Martin"),
    ]
    assert all(r.client_ip == "127.0.0.1" for r in rows)


@pytest.mark.parametrize("csrf", [None, "", "0" * 64, "not-hex"])
async def test_a_post_without_this_sessions_csrf_token_is_refused_and_changes_nothing(
    incidents, signed_in, csrf
):
    incident_id = await open_incident(incidents, unique_service())
    data = {} if csrf is None else {"csrf": csrf}
    reply = await signed_in.post(f"/ui/incidents/{incident_id}/acknowledge", data=data)
    assert reply.status_code == 403 and "csrf" in reply.text
    body = (await incidents.http.get(f"/api/v1/incidents/{incident_id}")).json()
    assert body["status"] == "open" and body["acknowledged_by"] is None


async def test_another_sessions_csrf_token_is_refused(web, incidents, signed_in):
    incident_id = await open_incident(incidents, unique_service())
    await web.account(email="bob@example.com", name="Bob")
    async with web.client() as bob:
        await login(bob, email="bob@example.com")
        bobs_token = csrf_of(await bob.get("/ui/"))
    reply = await signed_in.post(f"/ui/incidents/{incident_id}/acknowledge", data={"csrf": bobs_token})
    assert reply.status_code == 403


async def test_a_post_without_a_session_goes_to_login_and_changes_nothing(web, incidents, browser):
    incident_id = await open_incident(incidents, unique_service())
    reply = await browser.post(f"/ui/incidents/{incident_id}/resolve", data={"csrf": "x"})
    assert reply.status_code == 303 and reply.headers["location"].startswith("/ui/login")
    assert (await incidents.http.get(f"/api/v1/incidents/{incident_id}")).json()["status"] == "open"


async def test_api_refusals_are_readable_pages(incidents, signed_in):
    incident_id = await open_incident(incidents, unique_service())
    token = csrf_of(await signed_in.get(f"/ui/incidents/{incident_id}"))
    await signed_in.post(f"/ui/incidents/{incident_id}/resolve", data={"csrf": token})
    again = await signed_in.post(f"/ui/incidents/{incident_id}/acknowledge", data={"csrf": token})
    assert again.status_code == 409 and "Could not acknowledge" in again.text and 'role="alert"' in again.text
    missing = await signed_in.get(f"/ui/incidents/{uuid.uuid4()}")
    assert missing.status_code == 404 and "not found" in missing.text.lower()
    malformed = await signed_in.get("/ui/incidents/not-a-uuid")
    assert malformed.status_code == 422 and "incident_id" in malformed.text


async def test_alert_text_is_escaped(incidents, signed_in):
    service = unique_service()
    incident_id = await open_incident(incidents, service, summary="<script>alert('x')</script> & more")
    listed = await signed_in.get("/ui/", params={"service": service})
    detail = await signed_in.get(f"/ui/incidents/{incident_id}")
    for page in (listed, detail):
        assert "<script>alert" not in page.text
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more" in page.text


async def test_who_is_on_call_now(oncall, signed_in):
    user = await oncall.user("Carol Oncall")
    team = await oncall.team(unique_service())
    await oncall.rotation(team["id"], [user["id"]])
    empty_team = await oncall.team()
    page = await signed_in.get("/ui/oncall")
    assert page.status_code == 200
    assert team["name"] in page.text and "Carol Oncall" in page.text and user["email"] in page.text
    assert empty_team["name"] in page.text and "nobody" in page.text


def _listed(html: str, ids: list[str]) -> list[str]:
    """The given incidents in the order the page lists them."""
    return sorted(
        (i for i in ids if f"/ui/incidents/{i}" in html), key=lambda i: html.index(f"/ui/incidents/{i}")
    )


async def test_a_viewer_sees_incidents_without_actions_and_cannot_act(web, browser, incidents):
    user = await web.account(email="vera@example.com", name="Vera Viewer")
    async with web.oncall.runtime.commands.sessions.begin() as session:
        await session.execute(text("UPDATE users SET role = 'viewer' WHERE id = :id"), {"id": user.id})
    assert (await login(browser, email="vera@example.com")).status_code == 303
    incident_id = await open_incident(incidents, unique_service())
    page = await browser.get(f"/ui/incidents/{incident_id}")
    assert page.status_code == 200 and "Vera Viewer (viewer)" in page.text
    assert 'action="/ui/incidents/' not in page.text
    forged = await browser.post(f"/ui/incidents/{incident_id}/acknowledge", data={"csrf": csrf_of(page)})
    assert forged.status_code == 403 and "responder" in forged.text
    body = (await incidents.http.get(f"/api/v1/incidents/{incident_id}")).json()
    assert body["status"] == "open"
