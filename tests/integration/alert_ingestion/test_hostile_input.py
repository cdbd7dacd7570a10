"""Hostile input never costs an alert: what cannot be stored is refused by name, the rest is stored."""

import json
import uuid

import pytest

from tests.integration.alert_ingestion.test_formats import am_alert, am_payload, make_integration
from tests.integration.oncall_service.test_hostile_input import NUL, SURROGATE

pytestmark = pytest.mark.integration


@pytest.fixture
async def ingestion(incidents, start_ingestion):
    return await start_ingestion(incidents.grpc_target, integration_cache_seconds=0)


def raw(body: object) -> dict:
    """Keyword arguments posting `body` as ASCII JSON, so a lone surrogate travels as `\\ud800`."""
    return {"content": json.dumps(body), "headers": {"content-type": "application/json"}}


async def stored(incidents, service: str) -> int:
    return await incidents.scalar("SELECT count(*) FROM alerts WHERE service = :s", s=service)


def native(summary: str = "disk full", **fields) -> dict:
    return {"severity": "critical", "summary": summary, "fingerprint": uuid.uuid4().hex} | fields


async def test_native_alert_with_unstorable_text_is_422_naming_the_field(incidents, ingestion):
    integration = await make_integration(incidents, "api")
    url = f"/api/v1/alerts?key={integration['key']}"
    for body, field in [
        (native("a\x00b"), "summary"),
        (native(SURROGATE), "summary"),
        (native(labels={"host": NUL}), "labels"),
        (native(annotations={NUL: "x"}), "annotations"),
    ]:
        reply = await ingestion.post(url, **raw(body))
        assert reply.status_code == 422 and f"{field}: " in reply.json()["detail"], reply.text
        assert "Retry-After" not in reply.headers
    assert await stored(incidents, integration["service"]) == 0


async def test_native_batch_names_each_refused_alert_and_stores_the_others(incidents, ingestion):
    integration = await make_integration(incidents, "api")
    alerts = [native(), native(NUL), native(), {"summary": "no severity"}, native(labels={"k": SURROGATE})]
    reply = await ingestion.post(f"/api/v1/alerts/batch?key={integration['key']}", **raw({"alerts": alerts}))
    assert reply.status_code == 422, reply.text
    errors = reply.json()["errors"]
    assert [e["loc"] for e in errors] == ["alerts.1", "alerts.3", "alerts.4"]
    assert "summary" in errors[0]["msg"] and "severity" in errors[1]["msg"] and "labels" in errors[2]["msg"]
    assert [r["result"] for r in reply.json()["results"]] == ["created", "correlated"]
    assert await stored(incidents, integration["service"]) == 2


@pytest.mark.parametrize("kind", ["alertmanager", "grafana"])
async def test_labelled_group_refuses_unstorable_and_oversized_alerts_by_name(incidents, ingestion, kind):
    integration = await make_integration(incidents, kind)
    many = am_alert("many") | {"labels": {f"l{i}": "v" for i in range(20_000)} | {"alertname": "Many"}}
    group = am_payload(am_alert("good"), am_alert("nul", job=NUL), many, am_alert("also-good"))
    reply = await ingestion.post(f"/api/v1/integrations/{kind}?key={integration['key']}", json=group)
    assert reply.status_code == 422, reply.text
    errors = {e["loc"]: e["msg"] for e in reply.json()["errors"]}
    assert errors.keys() == {"alerts.1", "alerts.2"}
    assert "labels" in errors["alerts.1"] and "at most 100 entries" in errors["alerts.2"]
    assert len(reply.json()["results"]) == 2
    assert await stored(incidents, integration["service"]) == 2


async def test_generic_webhook_refuses_the_unstorable_event_and_stores_the_others(incidents, ingestion):
    integration = await make_integration(incidents, "webhook", {"summary": "/title", "dedup_key": "/id"})
    events = [{"title": "one", "id": "1"}, {"title": NUL, "id": "2"}, {"title": "three", "id": "3"}]
    reply = await ingestion.post(f"/api/v1/integrations/webhook?key={integration['key']}", json=events)
    assert reply.status_code == 422, reply.text
    assert [e["loc"] for e in reply.json()["errors"]] == ["1"]
    assert await stored(incidents, integration["service"]) == 2


async def test_pagerduty_event_with_unstorable_text_is_an_invalid_event_naming_it(incidents, ingestion):
    integration = await make_integration(incidents, "pagerduty")
    payload = {"summary": "cpu", "source": "web-1", "severity": "error", "component": NUL}
    event = {"routing_key": integration["key"], "event_action": "trigger", "payload": payload}
    reply = await ingestion.post("/v2/enqueue", json=event)
    assert reply.status_code == 400, reply.text
    assert reply.json()["status"] == "invalid event" and "labels" in reply.json()["errors"][0]
    assert await stored(incidents, integration["service"]) == 0


async def test_bodies_that_are_not_json_are_422_in_every_format(incidents, ingestion):
    integration = await make_integration(incidents, "alertmanager")
    for path in ("/api/v1/alerts", "/api/v1/alerts/batch", "/api/v1/integrations/alertmanager"):
        reply = await ingestion.post(
            f"{path}?key={integration['key']}", content=b"{nope", headers={"content-type": "application/json"}
        )
        assert reply.status_code == 422 and "not valid JSON" in reply.json()["detail"], (path, reply.text)
