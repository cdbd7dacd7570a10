"""Alerts sent to the gateway become incidents owned by whoever is on call, as users drive it."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest

pytestmark = pytest.mark.e2e


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def make_team_on_call(gateway, service: str) -> dict:
    """A user on call for a team owning `service`, created through the gateway; returns the user."""
    user = await gateway.post(
        "/api/v1/users", json={"name": "Alice Oncall", "email": f"{unique('alice')}@example.com"}
    )
    assert user.status_code == 201, user.text
    team = await gateway.post("/api/v1/teams", json={"name": unique("team"), "services": [service]})
    assert team.status_code == 201, team.text
    start = (datetime.now(UTC) - timedelta(days=14)).date().isoformat()
    rotation = await gateway.post(
        "/api/v1/rotations",
        json={
            "team_id": team.json()["id"],
            "name": "primary",
            "time_zone": "Europe/Paris",
            "handoff_weekday": 0,
            "handoff_time": "09:00",
            "start_date": start,
            "member_ids": [user.json()["id"]],
        },
    )
    assert rotation.status_code == 201, rotation.text
    return user.json()


async def paging_key(gateway, service: str) -> dict[str, str]:
    """Service `service` with an `api` integration, made through the gateway; headers carrying its key."""
    created = await gateway.post("/api/v1/services", json={"name": service})
    assert created.status_code == 201, created.text
    integration = await gateway.post(
        f"/api/v1/services/{created.json()['id']}/integrations", json={"name": "api", "type": "api"}
    )
    assert integration.status_code == 201, integration.text
    return {"Authorization": f"Bearer {integration.json()['key']}"}


def alert(service: str, **extra) -> dict:
    return {"service": service, "severity": "critical", "summary": "5xx above 5%", **extra}


async def test_alert_becomes_incident_assigned_to_oncall_and_walks_its_lifecycle(gateway):
    service = unique("checkout")
    key = await paging_key(gateway, service)
    user = await make_team_on_call(gateway, service)

    first = await gateway.post("/api/v1/alerts", json=alert(service, fingerprint="fp-1"), headers=key)
    assert first.status_code == 202, first.text
    assert first.json()["result"] == "created"
    incident_id = first.json()["incident_id"]

    second = await gateway.post("/api/v1/alerts", json=alert(service, fingerprint="fp-2"), headers=key)
    again = await gateway.post("/api/v1/alerts", json=alert(service, fingerprint="fp-1"), headers=key)
    assert (second.json()["result"], second.json()["incident_id"]) == ("correlated", incident_id)
    assert (again.json()["result"], again.json()["incident_id"]) == ("duplicate", incident_id)

    incident = (await gateway.get(f"/api/v1/incidents/{incident_id}")).json()
    assert incident["assigned_to"] == user["id"]
    assert incident["alert_count"] == 2
    assert len(incident["alerts"]) == 2

    acked = await gateway.post(
        f"/api/v1/incidents/{incident_id}/acknowledge",
    )
    assert acked.status_code == 200 and acked.json()["status"] == "acknowledged"
    assert acked.json()["mtta_seconds"] >= 0
    resolved = await gateway.post(
        f"/api/v1/incidents/{incident_id}/resolve",
    )
    assert resolved.json()["status"] == "resolved" and resolved.json()["mttr_seconds"] >= 0
    twice = await gateway.post(
        f"/api/v1/incidents/{incident_id}/acknowledge",
    )
    assert twice.status_code == 409

    listed = await gateway.get("/api/v1/incidents", params={"service": service})
    assert [i["id"] for i in listed.json()["incidents"]] == [incident_id]
    figures = (await gateway.get("/api/v1/analytics/incidents", params={"service": service})).json()
    assert figures["totals"]["total_incidents_resolved"] == 1
    assert figures["totals"]["mean_seconds_to_first_ack"] == round(acked.json()["mtta_seconds"], 1)


async def test_gateway_balances_alerts_over_both_replicas(gateway):
    service = unique("balance")
    key = await paging_key(gateway, service)
    replies = [await gateway.post("/api/v1/alerts", json=alert(service), headers=key) for _ in range(12)]
    assert all(r.status_code == 202 for r in replies)
    assert {r.headers["x-replica"] for r in replies} == {"alert-ingestion-1", "alert-ingestion-2"}


async def test_fifty_concurrent_alerts_through_gateway_make_one_incident(gateway, stack):
    service = unique("storm")
    key = await paging_key(gateway, service)
    replies = await asyncio.gather(
        *(
            gateway.post("/api/v1/alerts", json=alert(service, fingerprint=f"f{i}"), headers=key)
            for i in range(50)
        )
    )
    assert all(r.status_code == 202 for r in replies), [r.text for r in replies if r.status_code != 202]
    results = [r.json()["result"] for r in replies]
    assert results.count("created") == 1 and results.count("correlated") == 49
    assert await stack.scalar("SELECT count(*) FROM incidents WHERE service = $1", service) == 1
    assert (
        await stack.scalar(
            "SELECT count(*) FROM alerts a JOIN incidents i ON i.id = a.incident_id WHERE i.service = $1",
            service,
        )
        == 50
    )


async def test_replica_down_gateway_keeps_accepting_on_the_other(gateway, stack):
    service = unique("failover")
    key = await paging_key(gateway, service)
    stack.stop("alert-ingestion-1")
    try:
        replies = [await gateway.post("/api/v1/alerts", json=alert(service), headers=key) for _ in range(6)]
        assert [r.status_code for r in replies] == [202] * 6
        assert {r.headers["x-replica"] for r in replies} == {"alert-ingestion-2"}
    finally:
        stack.start("alert-ingestion-1")


async def test_oncall_down_incident_created_unassigned_then_assigned_after_restart(gateway, stack):
    service = unique("no-oncall")
    key = await paging_key(gateway, service)
    user = await make_team_on_call(gateway, service)
    stack.stop("oncall")
    try:
        reply = await gateway.post("/api/v1/alerts", json=alert(service), headers=key)
        assert reply.status_code == 202 and reply.json()["result"] == "created"
        incident = (await gateway.get(f"/api/v1/incidents/{reply.json()['incident_id']}")).json()
        assert incident["assigned_to"] is None
        assert any("on-call" in entry["message"] for entry in incident["timeline"]), incident["timeline"]
    finally:
        stack.start("oncall")
    incident_url = f"/api/v1/incidents/{reply.json()['incident_id']}"
    for _ in range(100):
        incident = (await gateway.get(incident_url)).json()
        if incident["assigned_to"]:
            break
        await asyncio.sleep(0.1)
    assert incident["assigned_to"] == user["id"]


async def test_incident_management_down_answers_503_and_retry_is_stored_once(gateway, stack):
    service = unique("retry")
    key = await paging_key(gateway, service)
    body = alert(service, fingerprint="retry-me")
    stack.stop("incident-management")
    try:
        down = await gateway.post("/api/v1/alerts", json=body, headers=key)
        assert down.status_code == 503, down.text
        assert "retry" in down.json()["detail"].lower()
        assert await stack.scalar("SELECT count(*) FROM incidents WHERE service = $1", service) == 0
    finally:
        stack.start("incident-management")
    # Each sent as Alertmanager would: again after Retry-After while the answer is 503 (a replica whose
    # channel to the restarted service is still reconnecting says so).
    first = await _sent_until_accepted(gateway, body, key)
    retry = await _sent_until_accepted(gateway, body, key)
    assert (first.status_code, first.json()["result"]) == (202, "created")
    assert (retry.json()["result"], retry.json()["incident_id"]) == ("duplicate", first.json()["incident_id"])
    assert await stack.scalar("SELECT count(*) FROM incidents WHERE service = $1", service) == 1


async def _sent_until_accepted(gateway, body: dict, key: dict, attempts: int = 10):
    for _ in range(attempts - 1):
        reply = await gateway.post("/api/v1/alerts", json=body, headers=key)
        if reply.status_code != 503:
            return reply
        await asyncio.sleep(float(reply.headers.get("Retry-After", "1")))
    return await gateway.post("/api/v1/alerts", json=body, headers=key)


async def test_bad_input_through_gateway_is_refused_clearly(gateway):
    key = await paging_key(gateway, unique("bad"))
    wrong = await gateway.post(
        "/api/v1/alerts", json=alert(unique("bad"), severity="apocalyptic"), headers=key
    )
    assert wrong.status_code == 422 and "severity" in wrong.text
    huge = await gateway.post("/api/v1/alerts", json=alert(unique("bad"), summary="x" * 300_000), headers=key)
    assert huge.status_code == 413
    unknown = await gateway.get(f"/api/v1/incidents/{uuid.uuid4()}")
    assert unknown.status_code == 404
