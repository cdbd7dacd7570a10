"""Schedules and escalation through the gateway, with incident-management killed mid-wait."""

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar

pytestmark = pytest.mark.e2e


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def created(gateway, path: str, body: dict) -> dict:
    reply = await gateway.post(path, json=body)
    assert reply.status_code == 201, reply.text
    return reply.json()


async def test_schedule_policy_and_escalation_survive_an_incident_management_restart(gateway, stack):
    alice = await created(gateway, "/api/v1/users", {"name": "Alice", "email": f"{unique('a')}@example.com"})
    bob = await created(gateway, "/api/v1/users", {"name": "Bob", "email": f"{unique('b')}@example.com"})
    monday = (datetime.now(UTC) - timedelta(days=14)).date().isoformat()
    layer = {"shift_length": 1, "shift_unit": "days", "handoff_time": "00:00", "start_date": monday}
    schedule = await created(
        gateway,
        "/api/v1/schedules",
        {
            "name": unique("primary"),
            "time_zone": "Europe/Paris",
            "layers": [layer | {"member_ids": [alice["id"]]}],
        },
    )
    now = datetime.now(UTC)
    shifts = await gateway.get(
        f"/api/v1/schedules/{schedule['id']}/shifts",
        params={"from": now.isoformat(), "to": (now + timedelta(days=2)).isoformat()},
    )
    assert shifts.status_code == 200 and {s["user"]["id"] for s in shifts.json()["shifts"]} == {alice["id"]}
    ics = await gateway.get(f"/api/v1/users/{alice['id']}/calendar.ics")
    assert ics.status_code == 200 and Calendar.from_ical(ics.content).walk("VEVENT")

    levels = [
        {"delay_minutes": 0.1, "targets": [{"type": "schedule", "id": schedule["id"]}]},
        {"delay_minutes": 0.1, "targets": [{"type": "user", "id": bob["id"]}]},
    ]
    policy = await created(gateway, "/api/v1/escalation-policies", {"name": unique("pol"), "levels": levels})
    service = await created(
        gateway, "/api/v1/services", {"name": unique("payments"), "escalation_policy_id": policy["id"]}
    )
    integration = await created(
        gateway, f"/api/v1/services/{service['id']}/integrations", {"name": "api", "type": "api"}
    )
    reply = await gateway.post(
        "/api/v1/alerts",
        json={"severity": "critical", "summary": "x"},
        headers={"Authorization": f"Bearer {integration['key']}"},
    )
    assert reply.status_code == 202, reply.text
    url = f"/api/v1/incidents/{reply.json()['incident_id']}"
    incident = (await gateway.get(url)).json()
    assert incident["assigned_to"] == alice["id"]
    deadline = datetime.fromisoformat(incident["next_escalation_at"].replace("Z", "+00:00"))

    stack.stop("incident-management")  # killed while level 1 waits
    await asyncio.sleep(1)
    stack.start("incident-management")
    start = time.monotonic()
    while time.monotonic() - start < 20:
        incident = (await gateway.get(url)).json()
        if incident.get("assigned_to") == bob["id"]:
            break
        await asyncio.sleep(0.1)
    assert incident["assigned_to"] == bob["id"]
    fired = [e for e in incident["timeline"] if e["kind"] == "escalated"]
    assert len(fired) == 1
    late = datetime.fromisoformat(fired[0]["at"].replace("Z", "+00:00")) - deadline
    assert timedelta(0) <= late <= timedelta(seconds=2), late
    events = await stack.scalar(
        "SELECT count(*) FROM outbox_events "
        "WHERE type = 'incident.escalated' AND payload->'data'->>'id' = $1",
        reply.json()["incident_id"],
    )
    assert events == 1
