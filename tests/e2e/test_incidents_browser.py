"""The incident console in Debian's chromium (Playwright) through Traefik on the native stack: an alert
shows up in the open list by itself, the incident's page is worked through to resolved, a viewer can do
nothing, an email's link opens the page after a login, and the pages render dark and on a phone.
Screenshots of each page, light and dark, land in var/screenshots/."""

import asyncio
import email
import email.policy
import uuid

import pytest
from playwright.async_api import Page, expect

from scripts.devstack.settings import ROOT
from tests.e2e.conftest import make_dashboard_login
from tests.e2e.test_dashboard_browser import page  # noqa: F401 (the fixture)
from tests.e2e.test_gateway_flow import alert, make_team_on_call, paging_key

pytestmark = pytest.mark.e2e

SHOTS = ROOT / "var" / "screenshots"


async def log_in(tab: Page, gateway_url: str, login, path: str = "/ui/") -> None:
    await tab.goto(f"{gateway_url}{path}")
    await tab.get_by_label("Email").fill(login.email)
    await tab.get_by_label("Password").fill(login.password)
    await tab.get_by_role("button", name="Log in").click()
    await expect(tab.locator("header .who")).to_contain_text(login.name)


async def shoot(tab: Page, name: str) -> None:
    """The page light and dark, as the system's preference would show it."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for scheme in ("light", "dark"):
        await tab.emulate_media(color_scheme=scheme)
        await tab.screenshot(path=SHOTS / f"{name}-{scheme}.png", full_page=True)
    await tab.emulate_media(color_scheme="light")


async def test_an_alert_appears_live_and_is_worked_to_resolved(page, stack, gateway, dashboard_login):  # noqa: F811
    service = f"console-{uuid.uuid4().hex[:8]}"
    key = await paging_key(gateway, service)
    await log_in(page, stack.gateway, dashboard_login, f"/ui/?service={service}")
    await expect(page.locator("p.empty")).to_be_visible()
    await shoot(page, "incidents-empty")
    await expect(page.locator("html[data-live=up]")).to_have_count(1)  # the live feed is connected

    summary = f"Checkout latency high {uuid.uuid4().hex[:6]}"
    sent = await gateway.post("/api/v1/alerts", json=alert(service, summary=summary), headers=key)
    assert sent.status_code == 202, sent.text
    row = page.locator("table.incidents tbody tr", has_text=summary)
    await expect(row).to_have_count(1, timeout=2000)  # no reload: the live feed brought it
    await expect(row.locator(".status")).to_have_text("open")
    await shoot(page, "incidents")

    await row.get_by_role("link", name=summary).click()
    await expect(page).to_have_url(f"{stack.gateway}/ui/incidents/{sent.json()['incident_id']}")
    await page.get_by_label("Add a note").fill("Rolled back the 14:02 deploy")
    await page.get_by_role("button", name="Add note").click()
    await expect(page.locator("ol.timeline")).to_contain_text("Rolled back the 14:02 deploy")
    await page.get_by_role("button", name="Acknowledge", exact=True).click()
    await expect(page.locator("dd.status")).to_have_text("acknowledged")
    await expect(page.locator("dd.mtta")).to_be_visible()
    await shoot(page, "incident")
    await page.get_by_role("button", name="Resolve").click()
    await expect(page.locator("dd.status")).to_have_text("resolved")
    await expect(page.locator("dd.mttr")).to_be_visible()
    await expect(page.get_by_role("button", name="Resolve")).to_have_count(0)

    await page.goto(f"{stack.gateway}/ui/incidents/new")
    await shoot(page, "declare")


async def test_the_list_updates_itself_when_someone_else_acknowledges(page, stack, gateway, dashboard_login):  # noqa: F811
    service = f"console-{uuid.uuid4().hex[:8]}"
    key = await paging_key(gateway, service)
    sent = await gateway.post("/api/v1/alerts", json=alert(service), headers=key)
    await log_in(page, stack.gateway, dashboard_login, f"/ui/incidents/{sent.json()['incident_id']}")
    await expect(page.locator("html[data-live=up]")).to_have_count(1)
    acked = await gateway.post(f"/api/v1/incidents/{sent.json()['incident_id']}/acknowledge")
    assert acked.status_code == 200, acked.text
    await expect(page.locator("dd.status")).to_have_text("acknowledged", timeout=2000)


async def test_a_viewer_sees_no_actions_and_a_forged_post_is_refused(page, stack, gateway):  # noqa: F811
    viewer = await make_dashboard_login(gateway, stack.database_url)
    users = (await gateway.get("/api/v1/users", params={"limit": 500})).json()
    users = users["users"] if isinstance(users, dict) else users
    [user] = [u for u in users if u["email"] == viewer.email]
    made = await gateway.patch(f"/api/v1/users/{user['id']}", json={"role": "viewer"})
    assert made.status_code == 200, made.text
    service = f"console-{uuid.uuid4().hex[:8]}"
    sent = await gateway.post(
        "/api/v1/alerts", json=alert(service), headers=await paging_key(gateway, service)
    )
    incident_id = sent.json()["incident_id"]

    await log_in(page, stack.gateway, viewer, f"/ui/incidents/{incident_id}")
    await expect(page.locator("header .who")).to_have_text(f"{viewer.name} (viewer)")
    await expect(page.locator("main form[method=post]")).to_have_count(0)
    await expect(page.locator("main button")).to_have_count(0)
    csrf = await page.locator("header input[name=csrf]").get_attribute("value")
    forged = await page.request.post(
        f"{stack.gateway}/ui/incidents/{incident_id}/acknowledge", form={"csrf": csrf}, max_redirects=0
    )
    assert forged.status == 403
    assert (await gateway.get(f"/api/v1/incidents/{incident_id}")).json()["status"] == "open"


async def test_an_emails_link_opens_the_incident_after_logging_in(page, stack, gateway, dashboard_login):  # noqa: F811
    service = f"mail-{uuid.uuid4().hex[:8]}"
    user = await make_team_on_call(gateway, service)
    key = await paging_key(gateway, service)
    sent = await gateway.post("/api/v1/alerts", json={"severity": "high", "summary": "mail me"}, headers=key)
    incident_id = sent.json()["incident_id"]
    link = None
    for _ in range(150):
        for path in sorted(stack.settings.mail_dir.glob("*.eml")):
            mail = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if user["email"] not in mail["X-Sink-Rcpt-To"]:
                continue
            text = mail.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
            link = next((w for w in text.split() if w.endswith(f"/incidents/{incident_id}")), link)
        if link:
            break
        await asyncio.sleep(0.1)
    assert link == f"{stack.gateway}/incidents/{incident_id}"
    await page.goto(link)
    await expect(page).to_have_url(f"{stack.gateway}/ui/login?next=/ui/incidents/{incident_id}")
    await shoot(page, "login")
    await page.get_by_label("Email").fill(dashboard_login.email)
    await page.get_by_label("Password").fill(dashboard_login.password)
    await page.get_by_role("button", name="Log in").click()
    await expect(page).to_have_url(f"{stack.gateway}/ui/incidents/{incident_id}")
    await expect(page.locator("h1")).to_contain_text("mail me")


async def test_dark_mode_and_a_phone_render(page, stack, gateway, dashboard_login):  # noqa: F811
    service = f"phone-{uuid.uuid4().hex[:8]}"
    sent = await gateway.post(
        "/api/v1/alerts", json=alert(service), headers=await paging_key(gateway, service)
    )
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.emulate_media(color_scheme="dark")
    await log_in(page, stack.gateway, dashboard_login, f"/ui/?service={service}")
    background = await page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(14, 19, 27)"  # the dark theme's
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=SHOTS / "incidents-phone-dark.png", full_page=True)
    await page.goto(f"{stack.gateway}/ui/incidents/{sent.json()['incident_id']}")
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390
    await page.screenshot(path=SHOTS / "incident-phone-dark.png", full_page=True)
    # The toggle overrides the system's choice, and is remembered.
    await page.locator(".theme-toggle").click()
    await page.reload()
    assert await page.evaluate("document.documentElement.dataset.theme") == "light"
    assert await page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(245, 246, 248)"
