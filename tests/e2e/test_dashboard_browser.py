"""The dashboard in a real browser (Debian's chromium driven by Playwright) through the gateway: an on-call
user logs in, finds the incident an alert opened in the list, opens it, clicks Acknowledge and sees it
acknowledged by them. Skipped where chromium is missing, unless REQUIRE_CHROMIUM is set (CI)."""

import uuid

import pytest
from playwright.async_api import expect

from tests.e2e.chromium import system_chromium
from tests.e2e.test_gateway_flow import alert, paging_key

pytestmark = pytest.mark.e2e


@pytest.fixture
async def page():
    """A fresh page of the system's chromium."""
    async with system_chromium() as browser:
        page = await browser.new_page()
        page.set_default_timeout(15_000)
        yield page


async def test_an_on_call_user_acknowledges_an_alerts_incident_in_the_browser(
    page, stack, gateway, dashboard_login
):
    service = f"browser-{uuid.uuid4().hex[:8]}"
    summary = f"Checkout latency high {uuid.uuid4().hex[:6]}"
    sent = await gateway.post(
        "/api/v1/alerts", json=alert(service, summary=summary), headers=await paging_key(gateway, service)
    )
    assert sent.status_code == 202, sent.text
    incident_id = sent.json()["incident_id"]

    await page.goto(f"{stack.gateway}/ui/?service={service}")
    await expect(page).to_have_url(f"{stack.gateway}/ui/login?next=/ui/%3Fservice%3D{service}")
    await page.get_by_label("Email").fill(dashboard_login.email)
    await page.get_by_label("Password").fill(dashboard_login.password)
    await page.get_by_role("button", name="Log in").click()

    await expect(page).to_have_url(f"{stack.gateway}/ui/?service={service}")
    await expect(page.locator("header .who")).to_have_text(f"{dashboard_login.name} (responder)")
    row = page.locator("table.incidents tbody tr", has_text=summary)
    await expect(row).to_have_count(1)
    await expect(row.locator("td").nth(2)).to_have_text("open")
    await row.get_by_role("link", name=summary).click()

    await expect(page).to_have_url(f"{stack.gateway}/ui/incidents/{incident_id}")
    await page.get_by_role("button", name="Acknowledge").click()

    await expect(page.locator("dl.facts dd.status-acknowledged")).to_have_text("acknowledged")
    await expect(page.locator("dl.facts").first).to_contain_text(f"by {dashboard_login.name}")
    await expect(page.get_by_role("button", name="Acknowledge", exact=True)).to_have_count(0)
    await expect(page.locator("ol.timeline")).to_contain_text(dashboard_login.name)
