"""Who may do what, through Traefik and straight to each service's own port: a table per role, API tokens
revoked within seconds, and every change in the audit log with its actor."""

import asyncio
import time
import uuid

import httpx
import pytest

from tests.e2e.test_gateway_flow import alert, paging_key

pytestmark = pytest.mark.e2e

ROLES = ("viewer", "responder", "admin")


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def _token(gateway, role: str) -> dict:
    made = await gateway.post("/api/v1/tokens", json={"name": _unique(role), "role": role})
    assert made.status_code == 201, made.text
    return made.json()


def _table(incident_id: str) -> list[tuple[str, str, str, dict | None, dict[str, int]]]:
    """(port setting, method, path, body, status by role): reads, incident actions, configuration."""
    everyone = {"viewer": 200, "responder": 200, "admin": 200}
    responders = {"viewer": 403, "responder": 200, "admin": 200}
    admins_made = {"viewer": 403, "responder": 403, "admin": 201}
    admins_read = {"viewer": 403, "responder": 403, "admin": 200}
    return [
        ("incident_http_port", "GET", "/api/v1/incidents", None, everyone),
        ("incident_http_port", "GET", f"/api/v1/incidents/{incident_id}", None, everyone),
        ("incident_http_port", "GET", "/api/v1/analytics/incidents", None, everyone),
        ("oncall_http_port", "GET", "/api/v1/users", None, everyone),
        ("notifier_http_port", "GET", "/api/v1/webhooks", None, everyone),
        ("incident_http_port", "PATCH", f"/api/v1/incidents/{incident_id}", {"note": "looking"}, responders),
        ("oncall_http_port", "POST", "/api/v1/teams", {"name": "{unique}"}, admins_made),
        ("incident_http_port", "POST", "/api/v1/services", {"name": "{unique}"}, admins_made),
        (
            "notifier_http_port",
            "POST",
            "/api/v1/webhooks",
            {"url": "https://93.184.216.34/{unique}"},
            admins_made,
        ),
        ("oncall_http_port", "GET", "/api/v1/audit", None, admins_read),
        ("oncall_http_port", "GET", "/api/v1/tokens", None, admins_read),
    ]


def _body(body: dict | None) -> dict | None:
    return None if body is None else {k: v.replace("{unique}", _unique("x")) for k, v in body.items()}


async def test_each_role_gets_the_same_answers_through_the_gateway_and_on_each_services_port(gateway, stack):
    service = _unique("access")
    made = await gateway.post(
        "/api/v1/alerts", headers=await paging_key(gateway, service), json=alert(service)
    )
    assert made.status_code == 202, made.text
    tokens = {role: await _token(gateway, role) for role in ROLES}
    for port_name, method, path, body, expected in _table(made.json()["incident_id"]):
        direct = f"http://127.0.0.1:{getattr(stack.settings, port_name)}"
        for base in (stack.gateway, direct):
            async with httpx.AsyncClient(base_url=base, timeout=10) as client:
                anonymous = await client.request(method, path, json=_body(body))
                assert anonymous.status_code == 401, (base, method, path, anonymous.text)
                assert anonymous.headers["www-authenticate"].startswith("Bearer")
                for role in ROLES:
                    headers = {"Authorization": f"Bearer {tokens[role]['token']}"}
                    reply = await client.request(method, path, json=_body(body), headers=headers)
                    assert reply.status_code == expected[role], (base, role, method, path, reply.text)
                    if reply.status_code == 403:
                        assert "needs the" in reply.json()["detail"]


async def test_a_token_cannot_be_made_above_its_creators_role(gateway):
    responder = await _token(gateway, "responder")
    headers = {"Authorization": f"Bearer {responder['token']}"}
    refused = await gateway.post("/api/v1/tokens", json={"name": "x", "role": "admin"}, headers=headers)
    assert refused.status_code == 403  # tokens are the admins' to make at all


async def test_a_revoked_token_is_refused_within_five_seconds_everywhere(gateway, stack):
    token = await _token(gateway, "viewer")
    headers = {"Authorization": f"Bearer {token['token']}"}
    bases = [stack.gateway, *(f"http://127.0.0.1:{p}" for p in (stack.settings.incident_http_port,))]
    for base in bases:
        assert (await gateway.get(f"{base}/api/v1/incidents", headers=headers)).status_code == 200
    revoked = await gateway.delete(f"/api/v1/tokens/{token['id']}")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    deadline = time.monotonic() + 5
    pending = set(bases)
    while pending and time.monotonic() < deadline:
        for base in list(pending):
            if (await gateway.get(f"{base}/api/v1/incidents", headers=headers)).status_code == 401:
                pending.discard(base)
        await asyncio.sleep(0.2)
    assert not pending, f"still accepted after 5 s at {pending}"
    listed = {t["id"]: t for t in (await gateway.get("/api/v1/tokens")).json()}
    assert listed[token["id"]]["last_used_at"] is not None and "token" not in listed[token["id"]]


async def test_actions_are_in_the_audit_log_with_the_authenticated_actor(gateway):
    responder = await _token(gateway, "responder")
    service = _unique("audited")
    made = await gateway.post(
        "/api/v1/alerts", headers=await paging_key(gateway, service), json=alert(service)
    )
    incident_id = made.json()["incident_id"]
    headers = {"Authorization": f"Bearer {responder['token']}"}
    acked = await gateway.post(
        f"/api/v1/incidents/{incident_id}/acknowledge", json={"actor": "mallory"}, headers=headers
    )
    assert acked.status_code == 200, acked.text
    assert acked.json()["acknowledged_by"] == f"token {responder['name']}"
    entries = (await gateway.get("/api/v1/audit", params={"target_id": incident_id})).json()["entries"]
    [ack] = [e for e in entries if e["action"] == "acknowledge"]
    assert ack["actor"] == f"token {responder['name']}" and ack["actor_id"] == responder["id"]
    assert ack["before"]["status"] == "open" and ack["after"]["status"] == "acknowledged"
    assert ack["client_ip"]
    created = (await gateway.get("/api/v1/audit", params={"action": "create_token"})).json()["entries"]
    assert any(e["target_id"] == responder["id"] and "token_hash" not in (e["after"] or {}) for e in created)
