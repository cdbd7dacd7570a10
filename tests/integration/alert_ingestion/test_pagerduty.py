"""PagerDuty Events API v2 compatibility: the shapes and rules PagerDuty documents."""

import pytest

from tests.integration.alert_ingestion.test_formats import incident_detail, make_integration

pytestmark = pytest.mark.integration


@pytest.fixture
async def ingestion(incidents, start_ingestion):
    return await start_ingestion(incidents.grpc_target)


@pytest.fixture
async def routing_key(incidents) -> str:
    return (await make_integration(incidents, "pagerduty"))["key"]


def trigger(key: str, **fields) -> dict:
    payload = {"summary": "CPU above 95% on web-1", "source": "web-1", "severity": "error"}
    return {"routing_key": key, "event_action": "trigger", "payload": payload} | fields


async def test_trigger_ack_resolve_by_dedup_key(incidents, ingestion, routing_key):
    reply = await ingestion.post("/v2/enqueue", json=trigger(routing_key, dedup_key="web-1-cpu"))
    assert reply.status_code == 202, reply.text
    assert reply.json() == {"status": "success", "message": "Event processed", "dedup_key": "web-1-cpu"}
    incident_id = await incidents.scalar(
        "SELECT incident_id::text FROM alerts WHERE fingerprint = 'web-1-cpu' "
        "ORDER BY received_at DESC LIMIT 1"
    )
    incident = await incident_detail(incidents, incident_id)
    assert (incident["severity"], incident["status"]) == ("high", "open")  # error → high
    again = await ingestion.post("/v2/enqueue", json=trigger(routing_key, dedup_key="web-1-cpu"))
    assert again.status_code == 202
    assert (await incident_detail(incidents, incident_id))["duplicate_count"] == 1
    ack = {"routing_key": routing_key, "event_action": "acknowledge", "dedup_key": "web-1-cpu"}
    assert (await ingestion.post("/v2/enqueue", json=ack)).status_code == 202
    assert (await incident_detail(incidents, incident_id))["status"] == "acknowledged"
    resolve = ack | {"event_action": "resolve"}
    assert (await ingestion.post("/v2/enqueue", json=resolve)).status_code == 202
    assert (await incident_detail(incidents, incident_id))["status"] == "resolved"
    reopened = await ingestion.post("/v2/enqueue", json=trigger(routing_key, dedup_key="web-1-cpu"))
    assert reopened.status_code == 202
    count = await incidents.scalar(
        "SELECT count(DISTINCT incident_id) FROM alerts WHERE fingerprint = 'web-1-cpu'"
    )
    assert count == 2


async def test_trigger_without_dedup_key_gets_one(ingestion, routing_key):
    reply = await ingestion.post("/v2/enqueue", json=trigger(routing_key))
    assert reply.status_code == 202 and len(reply.json()["dedup_key"]) == 32


async def test_ack_and_resolve_without_open_alert_change_nothing(incidents, ingestion, routing_key):
    for action in ("acknowledge", "resolve"):
        event = {"routing_key": routing_key, "event_action": action, "dedup_key": "never-seen"}
        reply = await ingestion.post("/v2/enqueue", json=event)
        assert reply.status_code == 202 and reply.json()["dedup_key"] == "never-seen"
    assert await incidents.scalar("SELECT count(*) FROM alerts WHERE fingerprint = 'never-seen'") == 0


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"event_action": "trigger"}, "'routing_key' is missing or blank"),
        ({"event_action": "explode"}, "'event_action' is missing or invalid"),
        ({"payload": {"summary": "s", "source": "x", "severity": "fatal"}}, "'payload.severity'"),
        ({"payload": {"summary": "x" * 1025, "source": "x", "severity": "info"}}, "at most 1024"),
        ({"payload": {"severity": "info", "source": "x"}}, "'payload.summary' is missing"),
        ({"payload": {"summary": "s", "severity": "info"}}, "'payload.source' is missing"),
        ({"event_action": "resolve", "payload": None}, "'dedup_key' is required"),
        ({"dedup_key": "k" * 256}, "'dedup_key' must be at most 255"),
    ],
)
async def test_invalid_events_get_pagerdutys_error_shape(ingestion, routing_key, event, message):
    body = trigger(routing_key) | event
    if "routing_key" not in event and event.get("event_action") == "trigger":
        body.pop("routing_key")
    reply = await ingestion.post("/v2/enqueue", json=body)
    assert reply.status_code == 400, reply.text
    assert reply.json()["status"] == "invalid event" and reply.json()["message"] == "Event object is invalid"
    assert any(message in error for error in reply.json()["errors"]), reply.json()


async def test_bad_keys_and_bodies(ingestion):
    unknown = await ingestion.post("/v2/enqueue", json=trigger("z" * 32))
    assert unknown.status_code == 401 and unknown.json()["errors"] == ["unknown integration key"]
    broken = await ingestion.post("/v2/enqueue", content=b"{", headers={"content-type": "application/json"})
    assert broken.status_code == 400 and "not valid JSON" in broken.json()["errors"][0]
