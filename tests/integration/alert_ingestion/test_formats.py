"""Alert formats through a real ingestion replica → real incident-management → PostgreSQL, with keys."""

import asyncio
import json
import uuid
from pathlib import Path

import grpc
import pytest

from shared import fingerprints
from shared.gen.oncall.v1 import incident_pb2

pytestmark = pytest.mark.integration

SAMPLES = Path(__file__).resolve().parents[4] / "shared" / "samples"


@pytest.fixture
async def ingestion(incidents, start_ingestion):
    return await start_ingestion(incidents.grpc_target, integration_cache_seconds=0)


async def make_integration(incidents, kind: str, config: dict | None = None, **service) -> dict:
    """A new service with one integration of `kind`; returns the integration (with its `key`)."""
    name = f"svc-{uuid.uuid4().hex[:8]}"
    created = await incidents.http.post("/api/v1/services", json={"name": name, **service})
    assert created.status_code == 201, created.text
    reply = await incidents.http.post(
        f"/api/v1/services/{created.json()['id']}/integrations",
        json={"name": kind, "type": kind, "config": config or {}},
    )
    assert reply.status_code == 201, reply.text
    return reply.json() | {"service": name}


def am_payload(*alerts: dict, status: str = "firing") -> dict:
    return {
        "version": "4",
        "status": status,
        "receiver": "oncall",
        "groupKey": '{}:{alertname="HighLatency"}',
        "truncatedAlerts": 0,
        "groupLabels": {"alertname": "HighLatency"},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example",
        "alerts": list(alerts),
    }


def am_alert(instance: str, *, status: str = "firing", **labels) -> dict:
    return {
        "status": status,
        "labels": {"alertname": "HighLatency", "instance": instance, "severity": "critical", **labels},
        "annotations": {"summary": f"latency high on {instance}"},
        "startsAt": "2026-11-25T10:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus.example/graph",
        "fingerprint": f"fp-{instance}",
    }


async def incident_detail(incidents, incident_id: str) -> dict:
    return (await incidents.http.get(f"/api/v1/incidents/{incident_id}")).json()


async def test_alert_with_key_takes_the_keys_service(incidents, ingestion):
    integration = await make_integration(incidents, "api")
    headers = {"Authorization": f"Bearer {integration['key']}"}
    reply = await ingestion.post(
        "/api/v1/alerts", json={"severity": "high", "summary": "disk full"}, headers=headers
    )
    assert reply.status_code == 202, reply.text
    incident = await incident_detail(incidents, reply.json()["incident_id"])
    assert incident["service"] == integration["service"]
    by_query = await ingestion.post(
        f"/api/v1/alerts?key={integration['key']}",
        json={"service": "ignored", "severity": "high", "summary": "disk full"},
    )
    assert (by_query.json()["result"], by_query.json()["incident_id"]) == ("duplicate", incident["id"])


async def test_a_keyed_alert_is_fingerprinted_from_its_keys_service_as_a_keyless_one_naming_it(
    incidents, ingestion, start_ingestion
):
    """The replica sends a keyed alert without looking the key up; incident-management derives the
    fingerprint from the key's service by the rule a replica applies to alerts that name their service."""
    integration = await make_integration(incidents, "api")
    labels = {"alertname": "DiskFull", "instance": "db-1"}
    headers = {"Authorization": f"Bearer {integration['key']}"}
    alert = {"severity": "high", "summary": "disk 91% full", "labels": labels}
    first = await ingestion.post("/api/v1/alerts", json=alert, headers=headers)
    assert first.status_code == 202, first.text
    expected = fingerprints.of_alert(integration["service"], "high", labels, "disk 91% full")
    assert (first.json()["result"], first.json()["fingerprint"]) == ("created", expected)
    # the summary changed, the labels did not: the same alert, through the batch route too
    batch = await ingestion.post(
        "/api/v1/alerts/batch", json={"alerts": [alert | {"summary": "disk 93% full"}]}, headers=headers
    )
    assert batch.status_code == 202, batch.text
    [again] = batch.json()["results"]
    assert (again["result"], again["fingerprint"], again["incident_id"]) == (
        "duplicate",
        expected,
        first.json()["incident_id"],
    )
    keyless = await start_ingestion(incidents.grpc_target, require_integration_key=False)
    named = await keyless.post("/api/v1/alerts", json=alert | {"service": integration["service"]})
    assert (named.json()["result"], named.json()["fingerprint"]) == ("duplicate", expected)
    stored = await incidents.scalar(
        "SELECT count(*) FROM alerts WHERE service = :s AND fingerprint = :f",
        s=integration["service"],
        f=expected,
    )
    assert stored == 1


async def test_missing_unknown_and_revoked_keys_are_refused(incidents, ingestion):
    body = {"service": "x", "severity": "high", "summary": "s"}
    missing = await ingestion.post("/api/v1/alerts", json=body)
    assert missing.status_code == 401 and "Authorization: Bearer" in missing.json()["detail"]
    unknown = await ingestion.post(
        "/api/v1/alerts", json=body, headers={"Authorization": "Bearer " + "a" * 32}
    )
    assert unknown.status_code == 401 and "unknown integration key" in unknown.json()["detail"]
    integration = await make_integration(incidents, "api")
    services = await incidents.http.get("/api/v1/services")
    service_id = next(s["id"] for s in services.json() if s["name"] == integration["service"])
    revoked = await incidents.http.delete(f"/api/v1/services/{service_id}/integrations/{integration['id']}")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    refused = await ingestion.post(f"/api/v1/alerts?key={integration['key']}", json=body)
    assert refused.status_code == 403 and "revoked" in refused.json()["detail"]
    stored = await incidents.scalar(
        "SELECT count(*) FROM alerts WHERE service = :s", s=integration["service"]
    )
    assert stored == 0


async def test_alertmanager_group_dedup_and_auto_resolve(incidents, ingestion):
    integration = await make_integration(incidents, "alertmanager")
    url = f"/api/v1/integrations/alertmanager?key={integration['key']}"
    first = await ingestion.post(url, json=am_payload(am_alert("a", job="checkout"), am_alert("b")))
    assert first.status_code == 202, first.text
    results = first.json()["results"]
    assert [r["result"] for r in results] == ["created", "correlated"]
    incident_id = results[0]["incident_id"]
    again = await ingestion.post(url, json=am_payload(am_alert("a"), am_alert("b")))
    assert [r["result"] for r in again.json()["results"]] == ["duplicate", "duplicate"]
    half = await ingestion.post(url, json=am_payload(am_alert("a", status="resolved"), status="resolved"))
    assert half.json()["results"][0]["result"] == "resolved"
    assert (await incident_detail(incidents, incident_id))["status"] == "open"
    await ingestion.post(url, json=am_payload(am_alert("b", status="resolved"), status="resolved"))
    incident = await incident_detail(incidents, incident_id)
    assert incident["status"] == "resolved"
    assert any("resolved by source" in e["message"] for e in incident["timeline"])
    by_fingerprint = {a["fingerprint"]: a for a in incident["alerts"]}
    assert by_fingerprint["fp-a"]["labels"]["component"] == "checkout"  # from the `job` label
    assert "component" not in by_fingerprint["fp-b"]["labels"]


async def test_auto_resolve_off_keeps_incident_open(incidents, ingestion):
    integration = await make_integration(incidents, "alertmanager", auto_resolve=False)
    url = f"/api/v1/integrations/alertmanager?key={integration['key']}"
    first = await ingestion.post(url, json=am_payload(am_alert("a")))
    await ingestion.post(url, json=am_payload(am_alert("a", status="resolved"), status="resolved"))
    incident = await incident_detail(incidents, first.json()["results"][0]["incident_id"])
    assert incident["status"] == "open"
    assert any(e["kind"] == "alert_resolved" for e in incident["timeline"])


async def test_alertmanager_bad_alert_is_refused_and_the_others_are_stored(incidents, ingestion):
    integration = await make_integration(incidents, "alertmanager")
    url = f"/api/v1/integrations/alertmanager?key={integration['key']}"
    payload = am_payload(am_alert("good"), {"status": "firing", "annotations": {"summary": "no labels"}})
    reply = await ingestion.post(url, json=payload)
    assert reply.status_code == 422
    assert reply.json()["errors"][0]["loc"] == "alerts.1" and "labels" in reply.json()["errors"][0]["msg"]
    assert [r["result"] for r in reply.json()["results"]] == ["created"]
    not_json = await ingestion.post(url, content=b"{nope", headers={"content-type": "application/json"})
    assert not_json.status_code == 422 and "not valid JSON" in not_json.json()["detail"]
    form = await ingestion.post(
        url, content=b"a=b", headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert form.status_code == 415
    no_alerts = await ingestion.post(url, json={"status": "firing"})
    assert no_alerts.status_code == 422 and "alerts" in no_alerts.text
    huge = await ingestion.post(url, json=am_payload(am_alert("x" * 300_000)))
    assert huge.status_code == 413
    stored = await incidents.scalar(
        "SELECT count(*) FROM alerts WHERE service = :s", s=integration["service"]
    )
    assert stored == 1


async def test_real_alertmanager_sample_is_accepted_when_present(incidents, ingestion):
    if not (SAMPLES / "alertmanager-webhook-firing.json").exists():
        pytest.skip("../shared/samples is not beside this checkout")
    integration = await make_integration(incidents, "alertmanager")
    url = f"/api/v1/integrations/alertmanager?key={integration['key']}"
    firing = json.loads((SAMPLES / "alertmanager-webhook-firing.json").read_text())
    resolved = json.loads((SAMPLES / "alertmanager-webhook-resolved.json").read_text())
    reply = await ingestion.post(url, json=firing)
    assert reply.status_code == 202, reply.text
    assert reply.json()["results"][0]["fingerprint"] == firing["alerts"][0]["fingerprint"]
    incident = await incident_detail(incidents, reply.json()["results"][0]["incident_id"])
    assert (
        incident["severity"] == "critical"
        and incident["title"] == firing["alerts"][0]["annotations"]["summary"]
    )
    done = await ingestion.post(url, json=resolved)
    assert done.status_code == 202, done.text


async def test_grafana_payload_pages_and_resolves(incidents, ingestion):
    integration = await make_integration(incidents, "grafana", {"severity_label": "priority"})
    url = f"/api/v1/integrations/grafana?key={integration['key']}"
    alert = am_alert("db-1", priority="P1") | {
        "dashboardURL": "http://grafana.example/d/abc",
        "panelURL": "http://grafana.example/d/abc?viewPanel=1",
        "values": {"B": 99.1},
        "valueString": "[ var='B' value=99.1 ]",
    }
    payload = am_payload(alert) | {"orgId": 1, "title": "[FIRING:1] HighLatency", "state": "alerting"}
    reply = await ingestion.post(url, json=payload)
    assert reply.status_code == 202, reply.text
    incident = await incident_detail(incidents, reply.json()["results"][0]["incident_id"])
    assert incident["severity"] == "critical"
    assert incident["alerts"][0]["annotations"]["dashboardURL"] == "http://grafana.example/d/abc"
    assert incident["alerts"][0]["source"] == "grafana"


async def test_generic_webhook_maps_fields(incidents, ingestion):
    config = {
        "summary": "/check/title",
        "severity": "level",
        "dedup_key": "/check/id",
        "action": "state",
        "action_map": {"ok": "resolve", "alerting": "trigger"},
    }
    integration = await make_integration(incidents, "webhook", config)
    url = f"/api/v1/integrations/webhook?key={integration['key']}"
    event = {"check": {"title": "queue backlog", "id": "chk-7"}, "level": "WARN", "state": "alerting"}
    reply = await ingestion.post(url, json=event)
    assert reply.status_code == 202, reply.text
    result = reply.json()["results"][0]
    assert result["result"] == "created" and result["fingerprint"] == "chk-7"
    incident = await incident_detail(incidents, result["incident_id"])
    assert (incident["title"], incident["severity"]) == ("queue backlog", "warning")
    ok = await ingestion.post(url, json=event | {"state": "ok"})
    assert ok.json()["results"][0]["result"] == "resolved"
    unmapped = await ingestion.post(url, json={"level": "WARN"})
    assert unmapped.status_code == 422 and "/check/title" in unmapped.text


async def test_webhook_endpoint_refuses_a_key_without_mapping(incidents, ingestion):
    integration = await make_integration(incidents, "api")
    reply = await ingestion.post(f"/api/v1/integrations/webhook?key={integration['key']}", json={"a": 1})
    assert reply.status_code == 422 and "webhook" in reply.json()["detail"]


@pytest.mark.parametrize("endpoint", ["alertmanager", "grafana"])
async def test_label_endpoints_refuse_a_key_without_label_config(incidents, ingestion, endpoint):
    integration = await make_integration(incidents, "api")
    url = f"/api/v1/integrations/{endpoint}?key={integration['key']}"
    reply = await ingestion.post(url, json=am_payload(am_alert("web-1")))
    assert reply.status_code == 422 and "alertmanager" in reply.json()["detail"]


async def test_invalid_integration_config_is_refused_naming_the_field(incidents):
    created = await incidents.http.post("/api/v1/services", json={"name": f"svc-{uuid.uuid4().hex[:8]}"})
    url = f"/api/v1/services/{created.json()['id']}/integrations"
    no_interval = await incidents.http.post(url, json={"name": "hb", "type": "heartbeat", "config": {}})
    assert no_interval.status_code == 422 and "interval_seconds" in no_interval.text
    bad_type = await incidents.http.post(url, json={"name": "x", "type": "carrier-pigeon"})
    assert bad_type.status_code == 422 and "type" in bad_type.text
    listed = await incidents.http.get(url)
    assert listed.json() == []


async def test_heartbeat_ping_through_ingestion(incidents, ingestion):
    integration = await make_integration(
        incidents, "heartbeat", {"interval_seconds": 60, "grace_seconds": 30}
    )
    reply = await ingestion.post(f"/api/v1/heartbeats/{integration['key']}")
    assert reply.status_code == 200, reply.text
    assert reply.json()["service"] == integration["service"] and reply.json()["recovered"] is False
    unknown = await ingestion.post(f"/api/v1/heartbeats/{'q' * 32}")
    assert unknown.status_code == 401


async def test_concurrent_alerts_with_good_and_revoked_keys_each_get_their_own_answer(incidents, ingestion):
    good = await make_integration(incidents, "api")
    bad = await make_integration(incidents, "api")
    await incidents.http.delete(f"/api/v1/services/{bad['service_id']}/integrations/{bad['id']}")

    def send(key: str, i: int):
        body = {"severity": "high", "summary": "storm", "fingerprint": f"storm-{i}"}
        return ingestion.post(f"/api/v1/alerts?key={key}", json=body)

    replies = await asyncio.gather(*(send(good["key"] if i % 2 else bad["key"], i) for i in range(40)))
    assert [r.status_code for r in replies] == [403 if i % 2 == 0 else 202 for i in range(40)]
    stored = await incidents.scalar("SELECT count(*) FROM alerts WHERE service = :s", s=good["service"])
    assert stored == 20
    assert await incidents.scalar("SELECT count(*) FROM alerts WHERE service = :s", s=bad["service"]) == 0


async def test_a_grouped_call_answers_each_alert_on_its_own(incidents):
    """IngestAlertGroup (a replica's single alerts sent together): a bad key or a bad alert fails only
    its own item, with the status IngestAlert would have given it; the others are stored."""
    good = await make_integration(incidents, "api")
    revoked = await make_integration(incidents, "api")
    await incidents.http.delete(f"/api/v1/services/{revoked['service_id']}/integrations/{revoked['id']}")

    def item(key: str, fingerprint: str, severity: str = "high") -> incident_pb2.GroupedAlert:
        alert = incident_pb2.Alert(severity=severity, summary="grouped", fingerprint=fingerprint)
        request = incident_pb2.IngestAlertRequest(alert=alert, integration_key=key)
        return incident_pb2.GroupedAlert(request=request, traceparent="")

    items = [
        item(good["key"], "g1"),
        item(revoked["key"], "r1"),
        item("not-a-key", "u1"),
        item(good["key"], "g1"),
        item(good["key"], "b1", severity="sev0"),
        item(good["key"], "g2"),
    ]
    reply = await incidents.grpc.IngestAlertGroup(incident_pb2.IngestAlertGroupRequest(items=items))
    outcomes = [o.result.result if o.HasField("result") else o.error.code for o in reply.outcomes]
    assert outcomes == [
        "created",
        grpc.StatusCode.PERMISSION_DENIED.value[0],
        grpc.StatusCode.UNAUTHENTICATED.value[0],
        "duplicate",
        grpc.StatusCode.INVALID_ARGUMENT.value[0],
        "correlated",
    ]
    assert reply.outcomes[4].error.field == "severity" and "sev0" in reply.outcomes[4].error.message
    stored = await incidents.scalar("SELECT count(*) FROM alerts WHERE service = :s", s=good["service"])
    assert stored == 2


async def test_concurrent_batches_each_get_their_own_answers_in_order(incidents):
    """Batches arriving together may share a transaction; each is still answered alone, in its order, and
    one with a revoked key is refused whole without touching the others."""
    good = await make_integration(incidents, "api")
    revoked = await make_integration(incidents, "api")
    await incidents.http.delete(f"/api/v1/services/{revoked['service_id']}/integrations/{revoked['id']}")

    def batch(key: str, tag: str, size: int):
        alerts = [
            incident_pb2.Alert(severity="high", summary=f"{tag}-{i}", fingerprint=f"{tag}-{i}")
            for i in range(size)
        ]
        return incidents.grpc.IngestAlerts(
            incident_pb2.IngestAlertsRequest(alerts=alerts, integration_key=key)
        )

    sent = [(good["key"], f"b{n}", 2 + n % 3) if n != 3 else (revoked["key"], "bad", 2) for n in range(8)]
    replies = await asyncio.gather(*(batch(*args) for args in sent), return_exceptions=True)
    for (key, tag, size), reply in zip(sent, replies, strict=True):
        if key == revoked["key"]:
            assert (
                isinstance(reply, grpc.aio.AioRpcError) and reply.code() == grpc.StatusCode.PERMISSION_DENIED
            )
            continue
        assert [r.fingerprint for r in reply.results] == [f"{tag}-{i}" for i in range(size)]
        assert all(r.result in ("created", "correlated") for r in reply.results)
    stored = await incidents.scalar("SELECT count(*) FROM alerts WHERE service = :s", s=good["service"])
    assert stored == sum(size for key, _, size in sent if key == good["key"])
    assert await incidents.scalar("SELECT count(*) FROM alerts WHERE service = :s", s=revoked["service"]) == 0
