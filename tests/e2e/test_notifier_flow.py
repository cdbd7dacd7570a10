"""Through the gateway: the webhook API answers, and an assigned incident reaches the local SMTP sink."""

import asyncio
import email
import email.policy
import uuid
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.e2e.test_gateway_flow import make_team_on_call, paging_key

pytestmark = pytest.mark.e2e


async def test_webhook_api_is_routed_and_refuses_internal_targets(gateway):
    listed = await gateway.get("/api/v1/webhooks")
    assert listed.status_code == 200, listed.text
    refused = await gateway.post("/api/v1/webhooks", json={"url": "http://127.0.0.1:8002/api/v1/incidents"})
    assert refused.status_code == 422 and "refused" in refused.json()["detail"]


async def test_assignee_mail_lands_in_the_smtp_sink(stack, gateway):
    service = f"mail-{uuid.uuid4().hex[:8]}"
    user = await make_team_on_call(gateway, service)
    key = await paging_key(gateway, service)
    sent = await gateway.post("/api/v1/alerts", json={"severity": "high", "summary": "mail me"}, headers=key)
    assert sent.status_code == 202, sent.text
    incident_id = sent.json()["incident_id"]
    for _ in range(150):
        mine = [m for m in _mails(stack.settings.mail_dir) if user["email"] in m["X-Sink-Rcpt-To"]]
        if mine:
            break
        await asyncio.sleep(0.1)
    log = (stack.settings.log_dir / "notifier.log").read_text()[-3000:]
    assert mine, f"no mail for the assignee in var/mail; notifier log:\n{log}"
    text = mine[0].get_body(preferencelist=("plain",)).get_content()
    assert f"{stack.gateway}/incidents/{incident_id}" in text


def _mails(directory: Path) -> list[EmailMessage]:
    return [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)  # type: ignore[misc]
        for p in sorted(directory.glob("*.eml"))
    ]
