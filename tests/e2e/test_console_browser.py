"""The on-call, configuration and analytics pages in a real browser (Debian's chromium driven by
Playwright) through the gateway: an admin creates a service and an integration in the configuration
page, copies the key shown once and sends an alert with it through the gateway; then every console page
is saved as a screenshot, light and dark, under var/screenshots/. Skipped where chromium is missing,
unless REQUIRE_CHROMIUM is set (CI)."""

import uuid

import pytest
from playwright.async_api import Page, expect

from tests.conftest import ROOT
from tests.e2e.chromium import system_chromium
from tests.e2e.test_gateway_flow import alert

pytestmark = pytest.mark.e2e
SCREENSHOTS = ROOT / "var" / "screenshots"
PAGES = {
    "oncall": "/ui/oncall",
    "config": "/ui/config",
    "users": "/ui/config/users",
    "policies": "/ui/config/policies",
    "schedules": "/ui/config/schedules",
    "audit": "/ui/config/audit",
    "webhooks": "/ui/config/webhooks",
    "analytics": "/ui/analytics",
}


@pytest.fixture
async def chromium():
    async with system_chromium() as browser:
        yield browser


@pytest.fixture
async def admin_login(gateway, dashboard_login):
    """A dashboard login with the admin role."""
    users = (await gateway.get("/api/v1/users")).json()
    user_id = next(u["id"] for u in users if u["email"] == dashboard_login.email)
    assert (await gateway.patch(f"/api/v1/users/{user_id}", json={"role": "admin"})).status_code == 200
    return dashboard_login


async def _logged_in(chromium, stack, login, scheme: str) -> Page:
    context = await chromium.new_context(color_scheme=scheme, viewport={"width": 1280, "height": 900})
    await context.grant_permissions(["clipboard-read", "clipboard-write"], origin=stack.gateway)
    page = await context.new_page()
    page.set_default_timeout(15_000)
    await page.goto(f"{stack.gateway}/ui/login?next=/ui/config")
    await page.get_by_label("Email").fill(login.email)
    await page.get_by_label("Password").fill(login.password)
    await page.get_by_role("button", name="Log in").click()
    await expect(page).to_have_url(f"{stack.gateway}/ui/config")
    return page


async def test_an_admin_creates_an_integration_and_pages_with_its_key(chromium, stack, gateway, admin_login):
    service = f"console-{uuid.uuid4().hex[:8]}"
    page = await _logged_in(chromium, stack, admin_login, "light")
    new_service = page.get_by_role("group", name="New service")
    await new_service.get_by_label("Name").fill(service)
    await new_service.get_by_role("button", name="Create service").click()

    row = page.locator("tr", has=page.locator("th", has_text=service))
    await row.get_by_text(f"Add an integration to {service}").click()
    await row.get_by_label("Name").fill("prometheus")
    await row.get_by_label("Type").select_option("api")
    await row.get_by_role("button", name="Create integration").click()

    key = (await page.locator("#new-key").text_content()).strip()
    await page.get_by_role("button", name="Copy key").click()
    await expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert await page.evaluate("navigator.clipboard.readText()") == key

    sent = await gateway.post(
        "/api/v1/alerts", json=alert("ignored"), headers={"Authorization": f"Bearer {key}"}
    )
    assert sent.status_code == 202, sent.text
    incident = (await gateway.get(f"/api/v1/incidents/{sent.json()['incident_id']}")).json()
    assert incident["service"] == service
    await page.goto(f"{stack.gateway}/ui/config")
    await expect(row).to_contain_text(f"{key[:4]}…")
    await expect(page.locator("#new-key")).to_have_count(0)


@pytest.mark.parametrize("scheme", ["light", "dark"])
async def test_every_console_page_renders_and_is_saved_as_a_screenshot(chromium, stack, admin_login, scheme):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = await _logged_in(chromium, stack, admin_login, scheme)
    for name, path in PAGES.items():
        reply = await page.goto(f"{stack.gateway}{path}")
        assert reply.status == 200, f"{path}: {reply.status}"
        await expect(page.locator("h1")).to_be_visible()
        await page.screenshot(path=SCREENSHOTS / f"{name}-{scheme}.png", full_page=True)
        assert (SCREENSHOTS / f"{name}-{scheme}.png").stat().st_size > 0


async def test_the_ical_link_of_my_shifts_opens_with_the_session(chromium, stack, admin_login):
    page = await _logged_in(chromium, stack, admin_login, "light")
    await page.goto(f"{stack.gateway}/ui/oncall")
    href = await page.get_by_role("link", name="My shifts as an iCal feed").get_attribute("href")
    feed = await page.request.get(f"{stack.gateway}{href}")
    assert feed.status == 200 and feed.headers["content-type"].startswith("text/calendar")
    assert (await feed.text()).startswith("BEGIN:VCALENDAR")
