"""Prometheus Alertmanager's webhook (payload version 4) and Grafana's webhook contact point, which sends
the same shape with extra fields (title, message, values, dashboardURL, panelURL, silenceURL, ...)."""

from services.alert_ingestion.formats.common import Parsed, derived_fingerprint, string_map, timestamp
from services.alert_ingestion.limits import MAX_SUMMARY
from shared.gen.oncall.v1 import incident_pb2
from shared.integrations import LabelConfig, map_severity

STATUS_ACTIONS = {"firing": "trigger", "resolved": "resolve"}
# Grafana's per-alert links, kept as annotations so responders can click through.
LINK_FIELDS = ("generatorURL", "silenceURL", "dashboardURL", "panelURL", "imageURL")


def parse(payload: object, config: LabelConfig, *, service: str, source: str) -> Parsed:
    """Each alert of the group, or an error naming it; one bad alert does not sink the others."""
    parsed = Parsed()
    if not isinstance(payload, dict) or not isinstance(payload.get("alerts"), list):
        parsed.reject("alerts", "expected an object with an `alerts` list (Alertmanager webhook version 4)")
        return parsed
    group_status = payload.get("status", "firing")
    for index, item in enumerate(payload["alerts"]):
        loc = f"alerts.{index}"
        try:
            parsed.add(loc, _alert(item, group_status, config, service=service, source=source))
        except ValueError as error:
            parsed.reject(loc, str(error))
    return parsed


def _alert(
    item: object, group_status: str, config: LabelConfig, *, service: str, source: str
) -> incident_pb2.Alert:
    if not isinstance(item, dict):
        raise ValueError("an alert must be an object")
    if not isinstance(item.get("labels"), dict) or not item["labels"]:
        raise ValueError("labels: missing or empty (Alertmanager always sends at least alertname)")
    labels = string_map(item["labels"], "labels")
    annotations = string_map(item.get("annotations"), "annotations")
    action = STATUS_ACTIONS.get(str(item.get("status") or group_status))
    if action is None:
        raise ValueError(f"status: {item.get('status')!r} is neither firing nor resolved")
    summary = annotations.get("summary") or annotations.get("description") or labels.get("alertname")
    if not summary:
        raise ValueError("no annotations.summary, annotations.description or labels.alertname to title it")
    annotations.update({k: str(item[k]) for k in LINK_FIELDS if item.get(k)})
    component = next((labels[name] for name in config.component_labels if labels.get(name)), "")
    if component:
        labels.setdefault("component", component)
    return incident_pb2.Alert(
        service=service,
        severity=map_severity(
            labels.get(config.severity_label), extra=config.severity_map, default=config.default_severity
        ),
        summary=summary[:MAX_SUMMARY],
        source=source,
        labels=labels,
        annotations=annotations,
        # Alertmanager's fingerprint identifies the alert across re-sends; derive one from labels otherwise.
        fingerprint=str(item.get("fingerprint") or derived_fingerprint(sorted(labels.items()))),
        timestamp=timestamp(item.get("startsAt")),
        action=action,
    )
