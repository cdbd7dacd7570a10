"""The dashboard through the gateway: an account made with the CLI logs in at /ui/login and sees the
incident an alert opened, then acknowledges it."""

import os
import re
import subprocess
import sys
import uuid

import httpx
import pytest

from scripts.devstack.settings import ROOT
from tests.e2e.test_gateway_flow import alert, paging_key

pytestmark = pytest.mark.e2e


def add_account(database_url: str, email: str, password: str) -> str:
    """`python -m services.web_ui.accounts add`, the password on standard input as documented."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "services.web_ui.accounts",
            "add",
            "--email",
            email,
            "--name",
            "Dana Dashboard",
        ],
        input=password + "\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url},
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


async def test_log_in_through_the_gateway_and_see_an_alerts_incident(stack, gateway):
    email, password = f"dana-{uuid.uuid4().hex[:8]}@example.com", "dashboard e2e password"
    assert "created account" in add_account(stack.database_url, email, password)
    service = f"dash-{uuid.uuid4().hex[:8]}"
    sent = await gateway.post(
        "/api/v1/alerts",
        json=alert(service, summary="Disk <full> on db-1"),
        headers=await paging_key(gateway, service),
    )
    assert sent.status_code == 202, sent.text
    incident_id = sent.json()["incident_id"]

    async with httpx.AsyncClient(base_url=stack.gateway, timeout=10) as browser:
        assert (await browser.get("/ui/")).headers["location"] == "/ui/login?next=/ui/"
        login = await browser.post("/ui/login", data={"email": email, "password": password, "next": "/ui/"})
        assert login.status_code == 303, login.text
        listed = await browser.get("/ui/", params={"service": service})
        assert listed.status_code == 200 and f"/ui/incidents/{incident_id}" in listed.text
        assert "Disk &lt;full&gt; on db-1" in listed.text and "total;dur=" in listed.headers["server-timing"]
        detail = await browser.get(f"/ui/incidents/{incident_id}")
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', detail.text).group(1)
        acked = await browser.post(f"/ui/incidents/{incident_id}/acknowledge", data={"csrf": csrf})
        assert acked.status_code == 303
        assert (await browser.get("/ui/oncall")).status_code == 200
    incident = (await gateway.get(f"/api/v1/incidents/{incident_id}")).json()
    assert incident["status"] == "acknowledged" and incident["acknowledged_by"] == email
