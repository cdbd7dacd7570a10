"""Helpers of the console pages' tests: a browser logged in with a given role, the refusal next to a field."""

import contextlib
import html
import re
from collections.abc import AsyncIterator

import httpx

from tests.integration.oncall_fixtures import unique
from tests.integration.web_ui.conftest import WebUI, login


@contextlib.asynccontextmanager
async def signed_in_as(
    web: WebUI, role: str, name: str | None = None
) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """A new browser logged in as a new user with `role`, and that user's id."""
    email = f"{unique(role)}@example.com"
    user = await web.account(email=email, name=name or f"{role.title()} {unique('n')}")
    reply = await web.oncall.http.patch(f"/api/v1/users/{user.id}", json={"role": role})
    assert reply.status_code == 200, reply.text
    async with web.client() as browser:
        assert (await login(browser, email=email)).status_code == 303
        yield browser, str(user.id)


def field_error(page: httpx.Response, field: str) -> str:
    """The message shown next to `field`."""
    found = re.search(
        rf'<span class="field-error" id="{re.escape(field)}-error" role="alert">([^<]*)</span>', page.text
    )
    assert found, f"no error next to {field}"
    return html.unescape(found.group(1))
