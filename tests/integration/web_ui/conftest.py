"""web-ui running for real on PostgreSQL, in front of a real incident-management and on-call."""

import contextlib
import re
import secrets
from dataclasses import dataclass

import httpx
import pytest

from services.web_ui import domain
from services.web_ui.config import WebUISettings
from services.web_ui.main import build_runtime, create_app
from shared.timeutil import utcnow
from tests.integration.incident_fixtures import IncidentStack, incidents, start_incident_stack  # noqa: F401
from tests.integration.oncall_fixtures import oncall  # noqa: F401
from tests.integration.servers import running_uvicorn

PASSWORD = "a long enough password"
_CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


@dataclass
class WebUI:
    base_url: str
    runtime: object
    settings: WebUISettings

    def client(self) -> httpx.AsyncClient:
        """A browser of its own: its own cookies, redirects not followed (the tests check them)."""
        return httpx.AsyncClient(base_url=self.base_url, timeout=10, follow_redirects=False)

    async def account(self, email: str = "alice@example.com", name: str = "Alice Martin", password=PASSWORD):
        async with self.runtime.sessions.begin() as session:
            result = await domain.set_account(
                session, email=email, name=name, password=password, now=utcnow()
            )
        return result.account

    async def set_disabled(self, email: str, disabled: bool) -> None:
        async with self.runtime.sessions.begin() as session:
            await domain.set_disabled(session, email=email, disabled=disabled, now=utcnow())


async def login(client: httpx.AsyncClient, email="alice@example.com", password=PASSWORD) -> httpx.Response:
    return await client.post("/ui/login", data={"email": email, "password": password, "next": "/ui/"})


def csrf_of(page: httpx.Response) -> str:
    found = _CSRF.search(page.text)
    assert found, "no CSRF token on the page"
    return found.group(1)


def web_settings(database_url: str, incident_url: str, oncall_url: str) -> WebUISettings:
    return WebUISettings(
        _env_file=None,
        database_url=database_url,
        incident_api_url=incident_url,
        oncall_api_url=oncall_url,
        web_ui_jwt_secret=secrets.token_hex(32),
        page_size=2,
        web_ui_login_max_failures=3,
    )


@pytest.fixture
async def web(database_url, incidents: IncidentStack, oncall) -> WebUI:  # noqa: F811
    """The dashboard in front of this test's incident-management and on-call; stopped after the test."""
    settings = web_settings(database_url, str(incidents.http.base_url), str(oncall.http.base_url))
    runtime = build_runtime(settings)
    async with contextlib.AsyncExitStack() as stack:
        stack.push_async_callback(runtime.close)
        app = create_app(runtime)
        base = await stack.enter_async_context(running_uvicorn(app))
        yield WebUI(base, runtime, settings)


@pytest.fixture
async def browser(web: WebUI):
    async with web.client() as client:
        yield client
