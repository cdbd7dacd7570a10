"""PagerDuty Events v2 clients point at the gateway's base URL and work unchanged."""

import pytest

from tests.e2e.test_gateway_flow import unique

pytestmark = pytest.mark.e2e


async def test_events_v2_through_traefik_trigger_then_resolve(gateway):
    service = await gateway.post("/api/v1/services", json={"name": unique("pd")})
    integration = await gateway.post(
        f"/api/v1/services/{service.json()['id']}/integrations", json={"name": "pd", "type": "pagerduty"}
    )
    key = integration.json()["key"]
    assert len(key) == 32 and key.isalnum() and key.islower()
    event = {
        "routing_key": key,
        "event_action": "trigger",
        "dedup_key": "disk-web-2",
        "payload": {"summary": "disk 95% on web-2", "source": "web-2", "severity": "critical"},
    }
    triggered = await gateway.post("/v2/enqueue", json=event)
    assert triggered.status_code == 202, triggered.text
    assert triggered.json()["dedup_key"] == "disk-web-2"
    listed = await gateway.get("/api/v1/incidents", params={"service": service.json()["name"]})
    (incident,) = listed.json()["incidents"]
    resolved = await gateway.post("/v2/enqueue", json=event | {"event_action": "resolve"})
    assert resolved.status_code == 202
    detail = (await gateway.get(f"/api/v1/incidents/{incident['id']}")).json()
    assert detail["status"] == "resolved"
