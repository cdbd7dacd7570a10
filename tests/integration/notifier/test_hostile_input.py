"""Webhook subscriptions: text PostgreSQL cannot store, and explicit nulls, are refused by name."""

import pytest

from tests.integration.oncall_service.test_hostile_input import NUL, SURROGATE, refused, send

pytestmark = pytest.mark.integration


async def test_unstorable_text_and_explicit_null_are_422_naming_the_field(start_notifier):
    notifier = await start_notifier()
    created = await notifier.http.post(
        "/api/v1/webhooks", json={"url": "http://127.0.0.1:9/hook", "allow_internal": True}
    )
    assert created.status_code == 201, created.text
    url = f"/api/v1/webhooks/{created.json()['id']}"
    cases = [
        (
            "post",
            "/api/v1/webhooks",
            {"url": "http://127.0.0.1:9/hook", "allow_internal": True, "description": NUL},
            "description",
        ),
        (
            "post",
            "/api/v1/webhooks",
            {"url": "http://127.0.0.1:9/hook", "allow_internal": True, "services": [SURROGATE]},
            "services",
        ),
        ("patch", url, {"teams": ["ok", NUL]}, "teams"),
        ("patch", url, {"description": None}, "description"),
        ("patch", url, {"active": None}, "active"),
    ]
    for method, path, body, field in cases:
        reply = await send(notifier.http, method, path, body)
        assert refused(reply, field), (path, body, reply.text)
    deliveries = await notifier.http.get(f"{url}/deliveries?status=x%00")
    assert deliveries.status_code == 422 and deliveries.json()["field"] == "status"
    assert len((await notifier.http.get("/api/v1/webhooks")).json()) == 1
    kept = (await notifier.http.get(url)).json()
    assert (kept["description"], kept["teams"], kept["active"]) == ("", [], True)
