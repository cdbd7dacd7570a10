"""The dashboard through the gateway over HTTP: an on-call user given a password with the CLI logs in at
/ui/login, sees the incident an alert opened, acknowledges it as themselves and sees who is on call."""

import re
import uuid

import httpx
import pytest

from tests.e2e.test_gateway_flow import alert, paging_key

pytestmark = pytest.mark.e2e


async def test_log_in_through_the_gateway_and_see_an_alerts_incident(stack, gateway, dashboard_login):
    service = f"dash-{uuid.uuid4().hex[:8]}"
    sent = await gateway.post(
        "/api/v1/alerts",
        json=alert(service, summary="Disk <full> on db-1"),
        headers=await paging_key(gateway, service),
    )
    assert sent.status_code == 202, sent.text
    incident_id = sent.json()["incident_id"]
    email, password = dashboard_login.email, dashboard_login.password

    async with httpx.AsyncClient(base_url=stack.gateway, timeout=10) as browser:
        assert (await browser.get("/ui/")).headers["location"] == "/ui/login?next=/ui/"
        wrong = await browser.post("/ui/login", data={"email": email, "password": "not the password!"})
        assert wrong.status_code == 401
        login = await browser.post("/ui/login", data={"email": email, "password": password, "next": "/ui/"})
        assert login.status_code == 303, login.text
        listed = await browser.get("/ui/", params={"service": service})
        assert listed.status_code == 200 and f"/ui/incidents/{incident_id}" in listed.text
        assert dashboard_login.name in listed.text
        timing = listed.headers["server-timing"]
        assert "Disk &lt;full&gt; on db-1" in listed.text and "total;dur=" in timing and "rpc;dur=" in timing
        detail = await browser.get(f"/ui/incidents/{incident_id}")
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', detail.text).group(1)
        acked = await browser.post(f"/ui/incidents/{incident_id}/acknowledge", data={"csrf": csrf})
        assert acked.status_code == 303
        assert (await browser.get("/ui/oncall")).status_code == 200
    incident = (await gateway.get(f"/api/v1/incidents/{incident_id}")).json()
    assert incident["status"] == "acknowledged" and incident["acknowledged_by"] == dashboard_login.name
