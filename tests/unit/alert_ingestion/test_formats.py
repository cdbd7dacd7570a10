"""Format parsers: pure functions from a sender's JSON to alerts for incident-management."""

from services.alert_ingestion.formats import alertmanager, pagerduty, webhook
from shared.integrations import LabelConfig, WebhookConfig, map_severity


def am(*alerts, status="firing") -> dict:
    return {"version": "4", "status": status, "alerts": list(alerts)}


def test_alertmanager_maps_labels_and_keeps_fingerprint():
    item = {
        "status": "firing",
        "labels": {"alertname": "Down", "severity": "warn", "job": "api"},
        "annotations": {"description": "api down"},
        "startsAt": "2026-11-25T10:00:00.5Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "fingerprint": "abc",
    }
    parsed = alertmanager.parse(am(item), LabelConfig(), service="svc", source="alertmanager")
    (alert,) = parsed.alerts
    assert (alert.severity, alert.summary, alert.fingerprint, alert.action) == (
        "warning",
        "api down",
        "abc",
        "trigger",
    )
    assert alert.labels["component"] == "api" and alert.timestamp == "2026-11-25T10:00:00.500000Z"


def test_alertmanager_without_fingerprint_derives_a_stable_one_from_labels():
    item = {"labels": {"alertname": "Down", "instance": "a"}}
    first = alertmanager.parse(am(item), LabelConfig(), service="s", source="am").alerts[0]
    reordered = {"labels": {"instance": "a", "alertname": "Down"}}
    second = alertmanager.parse(am(reordered), LabelConfig(), service="s", source="am").alerts[0]
    assert first.fingerprint == second.fingerprint and first.severity == "high"  # default severity


def test_alertmanager_resolved_status_is_a_resolve_and_bad_alerts_are_named():
    parsed = alertmanager.parse(
        am({"labels": {"alertname": "X"}}, "junk", {"labels": {}}, status="resolved"),
        LabelConfig(),
        service="s",
        source="am",
    )
    assert [a.action for a in parsed.alerts] == ["resolve"]
    assert [e["loc"] for e in parsed.errors] == ["alerts.1", "alerts.2"]


def test_pagerduty_lists_every_problem():
    event = pagerduty.parse({"event_action": "trigger", "payload": {"severity": "bad"}})
    assert len(event.errors) == 4 and event.alert is None


def test_pagerduty_resolve_needs_no_payload():
    event = pagerduty.parse({"routing_key": "k", "event_action": "resolve", "dedup_key": "d"})
    assert event.errors == [] and event.alert.action == "resolve" and event.alert.fingerprint == "d"


def test_webhook_lookup_by_pointer_and_dotted_path():
    document = {"a": [{"b/c": 1, "d": {"e": "x"}}]}
    assert webhook.lookup(document, "/a/0/b~1c") == 1
    assert webhook.lookup(document, "a.0.d.e") == "x"
    assert webhook.lookup(document, "a.5.d") is None and webhook.lookup(document, "/missing") is None


def test_webhook_array_makes_several_alerts_with_action_map():
    config = WebhookConfig(summary="t", action="s", action_map={"ok": "resolve"}, dedup_key="id")
    parsed = webhook.parse([{"t": "one", "s": "ok", "id": 1}, {"t": "two"}], config, service="svc")
    assert [(a.summary, a.action, a.fingerprint) for a in parsed.alerts][0] == ("one", "resolve", "1")
    assert parsed.alerts[1].action == "trigger" and len(parsed.alerts[1].fingerprint) == 32


def test_severity_words_map_with_integration_overrides_first():
    assert map_severity("ERROR", extra={}, default="info") == "high"
    assert map_severity("sev1", extra={"sev1": "critical"}, default="info") == "critical"
    assert map_severity(None, extra={}, default="warning") == "warning"
