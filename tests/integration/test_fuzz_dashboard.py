"""Hostile input never costs a 5xx on the dashboard either: random form fields and queries posted to the
login form, the incident list's filters and an incident's actions, by a logged-in browser."""

import asyncio
from urllib.parse import quote

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.integration.fuzzing import assert_no_server_error, fuzz_settings
from tests.integration.incident_fixtures import alert, start_incident_stack  # noqa: F401
from tests.integration.oncall_fixtures import start_oncall_stack  # noqa: F401
from tests.integration.web_ui.conftest import PASSWORD, csrf_of, incidents, oncall, web  # noqa: F401

pytestmark = pytest.mark.integration

# Any text, NUL and other control characters included; sometimes a plausible value.
_TEXT = st.text(max_size=40) | st.sampled_from(["", " ", "\x00", "alice@example.com", PASSWORD, "/ui/"])
_FILTERS = ("status", "severity", "service", "offset", "next")


def _fields(*names: str):
    """A form or query: the named fields (or some of them) with random values, and random others."""
    known = st.dictionaries(st.sampled_from(names), _TEXT | st.integers().map(str), max_size=len(names))
    return st.tuples(known, st.dictionaries(st.text(max_size=10), _TEXT, max_size=3)).map(
        lambda pair: pair[1] | pair[0]
    )


def _segment():
    """A path segment: random text (quoted) or one of the words the route knows."""
    return st.sampled_from(["acknowledge", "resolve", "snooze"]) | st.text(min_size=1, max_size=20).map(
        lambda text: quote(text, safe="")
    )


def _fuzz_login(base_url: str) -> None:
    @fuzz_settings()
    @given(form=_fields("email", "password", "next"))
    def run(form: dict) -> None:
        with httpx.Client(base_url=base_url, timeout=15) as anonymous:
            reply = anonymous.post("/ui/login", data=form)
        assert_no_server_error(reply.status_code, reply.text, f"POST /ui/login {form!r}")

    run()


def _fuzz_signed_in(base_url: str, incident_id: str) -> None:
    with httpx.Client(base_url=base_url, timeout=15) as browser:
        signed = browser.post("/ui/login", data={"email": "alice@example.com", "password": PASSWORD})
        assert signed.status_code == 303, signed.text
        csrf = csrf_of(browser.get(f"/ui/incidents/{incident_id}"))
        targets = st.sampled_from([incident_id, "not-a-uuid", "00000000-0000-0000-0000-000000000000"])

        @fuzz_settings()
        @given(query=_fields(*_FILTERS), form=_fields("csrf"), target=targets, action=_segment())
        def run(query: dict, form: dict, target: str, action: str) -> None:
            listed = browser.get("/ui/", params=query)
            assert_no_server_error(listed.status_code, listed.text, f"GET /ui/ {query!r}")
            path = f"/ui/incidents/{target}/{action}"
            for body in (form, form | {"csrf": csrf}):
                acted = browser.post(path, data=body)
                assert_no_server_error(acted.status_code, acted.text, f"POST {path} {body!r}")

        run()


async def test_login_form_never_answers_5xx(web):  # noqa: F811
    await web.account()
    await asyncio.to_thread(_fuzz_login, web.base_url)


async def test_signed_in_filters_and_actions_never_answer_5xx(web, incidents):  # noqa: F811
    await web.account()
    incident_id = (await incidents.grpc.IngestAlert(alert("svc-fuzz"))).incident_id
    await asyncio.to_thread(_fuzz_signed_in, web.base_url, incident_id)
