"""`python -m scripts.smoke` against the e2e stack: an alert through the gateway opens an incident, which
it resolves; it revokes the key it made and no other."""

import httpx
import pytest

from scripts import smoke
from scripts.devstack import runner

pytestmark = pytest.mark.e2e


def test_smoke_alert_opens_and_resolves_an_incident_and_revokes_only_its_own_key(stack, admin_headers):
    email, password = runner.admin_login(stack.settings)
    with httpx.Client(base_url=stack.gateway, timeout=15) as client:
        first = smoke.run(client, email, password)
    assert first[-1] == "incident read back open, then resolved"
    with httpx.Client(base_url=stack.gateway, timeout=15, headers=admin_headers) as client:
        service = next(s for s in client.get("/api/v1/services").json() if s["name"] == smoke.SERVICE)
        path = f"/api/v1/services/{service['id']}/integrations"
        kept = client.post(path, json={"name": "someone else's", "type": "api"}).json()
        with httpx.Client(base_url=stack.gateway, timeout=15) as second_client:
            second = smoke.run(second_client, email, password)
        integrations = {i["id"]: i for i in client.get(path).json()}
        open_incidents = client.get("/api/v1/incidents", params={"service": smoke.SERVICE, "status": "open"})
    assert "alert created" in second[1]  # the first one's incident was resolved: a new one opened
    assert integrations.pop(kept["id"])["revoked_at"] is None
    assert len(integrations) == 2 and all(i["revoked_at"] for i in integrations.values())
    assert open_incidents.json()["total"] == 0
