"""Webhook event types through the API: an unknown one is a 422 naming the valid ones; `incident.new`
is stored as `incident.triggered`."""

import pytest

from shared.events import INCIDENT_EVENT_TYPES

pytestmark = pytest.mark.integration

HOOK = {"url": "http://127.0.0.1:9/hook", "allow_internal": True}


async def test_unknown_event_types_are_refused_and_the_old_name_is_accepted(start_notifier):
    notifier = await start_notifier()
    refused = await notifier.http.post("/api/v1/webhooks", json=HOOK | {"event_types": ["incident.created"]})
    assert refused.status_code == 422 and "event_types" in refused.text
    assert all(t in refused.text for t in INCIDENT_EVENT_TYPES)
    created = await notifier.http.post("/api/v1/webhooks", json=HOOK | {"event_types": ["incident.new"]})
    assert created.status_code == 201 and created.json()["event_types"] == ["incident.triggered"]
    patched = await notifier.http.patch(
        f"/api/v1/webhooks/{created.json()['id']}", json={"event_types": ["incident.nope"]}
    )
    assert patched.status_code == 422
