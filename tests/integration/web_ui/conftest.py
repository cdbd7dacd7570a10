"""web-ui running for real in front of a real incident-management and on-call (their gRPC servers, on
PostgreSQL); the people who log in are on-call users with a password."""

import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from services.oncall_service import logins
from services.oncall_service.models import User
from services.web_ui.config import WebUISettings
from services.web_ui.main import build_runtime, create_app
from shared.timeutil import utcnow
from tests.integration.incident_fixtures import (  # noqa: F401
    IncidentStack,
    alert,
    incidents,
    start_incident_stack,
)
from tests.integration.oncall_fixtures import OnCallStack, start_oncall_stack  # noqa: F401
from tests.integration.servers import dead_target, running_uvicorn

PASSWORD = "a long enough password"
MAX_FAILURES = 3
_CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


@dataclass
class WebUI:
    base_url: str
    settings: WebUISettings
    oncall: OnCallStack

    def client(self) -> httpx.AsyncClient:
        """A browser of its own: its own cookies, redirects not followed (the tests check them)."""
        return httpx.AsyncClient(base_url=self.base_url, timeout=10, follow_redirects=False)

    async def account(
        self, email: str = "alice@example.com", name: str = "Alice Martin", password=PASSWORD
    ) -> User:
        """The on-call user with this email (made when missing) given this password, as the CLI does."""
        async with self.oncall.runtime.commands.sessions.begin() as session:
            result = await logins.set_password(
                session, email=email, name=name, password=password, now=utcnow()
            )
        return result.user

    async def set_disabled(self, email: str, disabled: bool) -> None:
        async with self.oncall.runtime.commands.sessions.begin() as session:
            await logins.set_login_disabled(session, email=email, disabled=disabled, now=utcnow())


async def login(client: httpx.AsyncClient, email="alice@example.com", password=PASSWORD) -> httpx.Response:
    return await client.post("/ui/login", data={"email": email, "password": password, "next": "/ui/"})


def csrf_of(page: httpx.Response) -> str:
    found = _CSRF.search(page.text)
    assert found, "no CSRF token on the page"
    return found.group(1)


@pytest.fixture
async def oncall(start_oncall_stack) -> OnCallStack:  # noqa: F811
    """This test's on-call, refusing an email's logins after a few failures."""
    return await start_oncall_stack(login_max_failures=MAX_FAILURES)


@contextlib.asynccontextmanager
async def running_web(
    incidents: IncidentStack,  # noqa: F811
    oncall: OnCallStack,
    notifier_grpc_target: str | None = None,
) -> AsyncIterator[WebUI]:
    """The dashboard in front of these servers (no notifier unless its target is given)."""
    settings = WebUISettings(
        _env_file=None,
        incident_grpc_target=incidents.grpc_target,
        oncall_grpc_target=oncall.grpc_target,
        notifier_grpc_target=notifier_grpc_target or dead_target(),
        redis_url=incidents.settings.redis_url,
        events_channel=incidents.settings.events_channel,
        page_size=2,
    )
    runtime = build_runtime(settings)
    async with contextlib.AsyncExitStack() as stack:
        stack.push_async_callback(runtime.close)
        base = await stack.enter_async_context(running_uvicorn(create_app(runtime)))
        yield WebUI(base, settings, oncall)


@pytest.fixture
async def web(incidents: IncidentStack, oncall: OnCallStack) -> AsyncIterator[WebUI]:  # noqa: F811
    """The dashboard in front of this test's incident-management and on-call; stopped after the test."""
    async with running_web(incidents, oncall) as started:
        yield started


@pytest.fixture
async def browser(web: WebUI):
    async with web.client() as client:
        yield client


@pytest.fixture
async def signed_in(web: WebUI, browser):
    """The browser, logged in as Alice (a responder)."""
    await web.account()
    assert (await login(browser)).status_code == 303
    return browser


async def open_incident(incidents: IncidentStack, service: str, **fields) -> str:  # noqa: F811
    """An incident opened by an alert over gRPC; its id."""
    return (await incidents.grpc.IngestAlert(alert(service, **fields))).incident_id
