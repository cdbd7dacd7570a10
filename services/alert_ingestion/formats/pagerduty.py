"""PagerDuty Events API v2 (`POST /v2/enqueue`): the same validation rules and messages, so PagerDuty
client libraries and integrations work unchanged when pointed at us."""

import uuid
from dataclasses import dataclass, field
from typing import Any

import orjson

from services.alert_ingestion.formats.common import timestamp
from services.alert_ingestion.limits import MAX_SOURCE, MAX_SUMMARY, MAX_VALUE, refusal
from shared.gen.oncall.v1 import incident_pb2

ACTIONS = ("trigger", "acknowledge", "resolve")
SEVERITIES = {"critical": "critical", "error": "high", "warning": "warning", "info": "info"}
MAX_DEDUP_KEY = 255


@dataclass
class Event:
    """A checked event: `errors` empty means `alert` is ready to store."""

    routing_key: str = ""
    dedup_key: str = ""
    alert: incident_pb2.Alert | None = None
    errors: list[str] = field(default_factory=list)


def _blank(value: object) -> bool:
    return not isinstance(value, str) or not value.strip()


def parse(body: object, *, service: str = "") -> Event:
    """Validate as PagerDuty does (every problem listed), then build the alert."""
    event = Event()
    if not isinstance(body, dict):
        event.errors.append("Event object must be a JSON object")
        return event
    if _blank(body.get("routing_key")):
        event.errors.append("'routing_key' is missing or blank")
    else:
        event.routing_key = body["routing_key"].strip()
    action = body.get("event_action")
    if action not in ACTIONS:
        event.errors.append(
            "'event_action' is missing or invalid (must be one of trigger, acknowledge, resolve)"
        )
    dedup_key = body.get("dedup_key")
    if dedup_key is not None and not isinstance(dedup_key, str):
        event.errors.append("'dedup_key' must be a string")
    elif dedup_key and len(dedup_key) > MAX_DEDUP_KEY:
        event.errors.append(f"'dedup_key' must be at most {MAX_DEDUP_KEY} characters")
    elif action in ("acknowledge", "resolve") and _blank(dedup_key):
        event.errors.append(f"'dedup_key' is required for event_action {action}")
    payload = body.get("payload")
    if action == "trigger":
        event.errors.extend(_payload_errors(payload))
    # Without errors, `action` is one of ACTIONS and a trigger's payload an object (the checks say so to mypy)
    if event.errors or not isinstance(action, str):
        return event
    event.dedup_key = dedup_key or uuid.uuid4().hex  # PagerDuty generates one for a trigger without it
    details = payload if action == "trigger" and isinstance(payload, dict) else {}
    alert = _alert(body, details, action, event.dedup_key, service)
    why = refusal(alert)
    if why is None:
        event.alert = alert
    else:
        event.errors.append(why)
    return event


def _payload_errors(payload: object) -> list[str]:
    if not isinstance(payload, dict):
        return ["'payload' is missing or not an object"]
    errors = []
    if _blank(payload.get("summary")):
        errors.append("'payload.summary' is missing or blank")
    elif len(payload["summary"]) > MAX_SUMMARY:
        errors.append(f"'payload.summary' must be at most {MAX_SUMMARY} characters")
    if _blank(payload.get("source")):
        errors.append("'payload.source' is missing or blank")
    if payload.get("severity") not in SEVERITIES:
        errors.append(
            "'payload.severity' is missing or invalid (must be one of critical, error, warning, info)"
        )
    stamp = payload.get("timestamp")
    if stamp is not None and (not isinstance(stamp, str) or not timestamp(stamp)):
        errors.append("'payload.timestamp' must be an ISO 8601 timestamp")
    return errors


def _alert(
    body: dict[str, Any], payload: dict[str, Any], action: str, dedup_key: str, service: str
) -> incident_pb2.Alert:
    labels = {k: str(payload[k])[:200] for k in ("component", "group", "class") if payload.get(k)}
    annotations = {
        k: orjson.dumps(v).decode()[:MAX_VALUE]
        for k, v in (
            ("custom_details", payload.get("custom_details")),
            ("links", body.get("links")),
            ("images", body.get("images")),
        )
        if v
    }
    annotations.update({k: str(body[k])[:MAX_VALUE] for k in ("client", "client_url") if body.get(k)})
    return incident_pb2.Alert(
        service=service,
        # acknowledge/resolve carry no payload: severity and summary are not used for them
        severity=SEVERITIES.get(payload.get("severity", ""), "high"),
        summary=payload.get("summary", ""),
        source=str(payload.get("source", "pagerduty-events-v2"))[:MAX_SOURCE],
        labels=labels,
        annotations=annotations,
        fingerprint=dedup_key,
        timestamp=timestamp(payload.get("timestamp")),
        action=action,
    )
