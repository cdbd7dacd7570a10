"""Heartbeat monitors on real incident-management runtimes: deadlines in PostgreSQL, one report per miss."""

import asyncio
import uuid

import pytest

from shared.gen.oncall.v1 import incident_pb2

pytestmark = pytest.mark.integration


async def heartbeat_key(stack, *, interval: int = 1, grace: int = 0) -> tuple[str, str]:
    """A service with a heartbeat integration; returns (service name, key)."""
    name = f"hb-{uuid.uuid4().hex[:8]}"
    service = await stack.http.post("/api/v1/services", json={"name": name})
    integration = await stack.http.post(
        f"/api/v1/services/{service.json()['id']}/integrations",
        json={
            "name": "nightly-backup",
            "type": "heartbeat",
            "config": {"interval_seconds": interval, "grace_seconds": grace},
        },
    )
    assert integration.status_code == 201, integration.text
    return name, integration.json()["key"]


async def ping(stack, key: str) -> incident_pb2.RecordHeartbeatResponse:
    return await stack.grpc.RecordHeartbeat(incident_pb2.RecordHeartbeatRequest(integration_key=key))


async def missed_incidents(stack, service: str) -> list[dict]:
    reply = await stack.http.get("/api/v1/incidents", params={"service": service})
    return reply.json()["incidents"]


async def wait_until(check, within: float = 10.0):
    for _ in range(int(within / 0.1)):
        result = await check()
        if result:
            return result
        await asyncio.sleep(0.1)
    return await check()


async def test_silence_opens_an_incident_and_the_next_ping_resolves_it(start_incident_stack):
    stack = await start_incident_stack(heartbeat_check_seconds=0.1)
    service, key = await heartbeat_key(stack)
    first = await ping(stack, key)
    assert first.service == service and not first.recovered
    found = await wait_until(lambda: missed_incidents(stack, service))
    assert len(found) == 1 and found[0]["title"].startswith("Heartbeat missed: nightly-backup")
    assert found[0]["status"] == "open"
    back = await ping(stack, key)
    assert back.recovered
    detail = (await stack.http.get(f"/api/v1/incidents/{found[0]['id']}")).json()
    assert detail["status"] == "resolved" and detail["resolved_by"] == "heartbeat"


async def test_a_miss_is_reported_once_by_two_replicas(start_incident_stack):
    replicas = [await start_incident_stack(heartbeat_check_seconds=0.05) for _ in range(2)]
    service, key = await heartbeat_key(replicas[0])
    await ping(replicas[1], key)
    await asyncio.sleep(2.5)  # two intervals past the deadline: both replicas checked many times
    found = await missed_incidents(replicas[0], service)
    assert len(found) == 1 and found[0]["alert_count"] == 1
    alerts = await replicas[0].scalar("SELECT count(*) FROM alerts WHERE service = :s", s=service)
    assert alerts == 1


async def test_a_deadline_passed_while_nothing_ran_fires_on_start(start_incident_stack):
    idle = await start_incident_stack(heartbeat_check_seconds=3600)  # checks once at start, then sleeps
    service, key = await heartbeat_key(idle)
    await ping(idle, key)
    await asyncio.sleep(1.3)
    assert await missed_incidents(idle, service) == []
    restarted = await start_incident_stack(heartbeat_check_seconds=3600)
    found = await wait_until(lambda: missed_incidents(restarted, service), within=3)
    assert len(found) == 1


async def test_ping_with_a_non_heartbeat_key_is_refused(incidents):
    service = await incidents.http.post("/api/v1/services", json={"name": f"x-{uuid.uuid4().hex[:8]}"})
    api = await incidents.http.post(
        f"/api/v1/services/{service.json()['id']}/integrations", json={"name": "api", "type": "api"}
    )
    with pytest.raises(Exception) as refused:
        await ping(incidents, api.json()["key"])
    assert "not a heartbeat monitor" in str(refused.value)
