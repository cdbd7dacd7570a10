"""A generic JSON webhook, mapped field by field with the integration's configuration, so a system we
never heard of can page us."""

import orjson

from services.alert_ingestion.formats.common import Parsed, derived_fingerprint
from services.alert_ingestion.limits import MAX_FINGERPRINT, MAX_KEY, MAX_SUMMARY, MAX_VALUE
from shared.gen.oncall.v1 import incident_pb2
from shared.integrations import WebhookConfig, map_severity

_MISSING = object()


def lookup(document: object, path: str) -> object:
    """The value at a JSON pointer (`/a/0/b`, RFC 6901) or dotted path (`a.0.b`); None when absent."""
    if path.startswith("/"):
        parts = [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]
    else:
        parts = path.split(".")
    value = document
    for part in parts:
        if isinstance(value, dict):
            value = value.get(part, _MISSING)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            value = _MISSING
        if value is _MISSING:
            return None
    return value


def parse(body: object, config: WebhookConfig, *, service: str) -> Parsed:
    """One alert per JSON object (a JSON array holds several)."""
    parsed = Parsed()
    items = body if isinstance(body, list) else [body]
    for index, item in enumerate(items):
        loc = f"{index}" if isinstance(body, list) else "body"
        try:
            parsed.add(loc, _alert(item, config, service=service))
        except ValueError as error:
            parsed.reject(loc, str(error))
    return parsed


def _text(value: object) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else orjson.dumps(value).decode()


def _alert(item: object, config: WebhookConfig, *, service: str) -> incident_pb2.Alert:
    if not isinstance(item, dict):
        raise ValueError("each event must be a JSON object")
    summary = _text(lookup(item, config.summary)).strip()
    if not summary:
        raise ValueError(f"summary: nothing at {config.summary!r} in the payload (the integration's mapping)")
    raw_severity = lookup(item, config.severity) if config.severity else None
    severity = map_severity(raw_severity, extra=config.severity_map, default=config.default_severity)
    action = "trigger"
    if config.action:
        word = _text(lookup(item, config.action)).strip().lower()
        action = config.action_map.get(word) or (
            word if word in ("trigger", "acknowledge", "resolve") else "trigger"
        )
    dedup = _text(lookup(item, config.dedup_key)) if config.dedup_key else ""
    component = _text(lookup(item, config.component)) if config.component else ""
    return incident_pb2.Alert(
        service=service,
        severity=severity,
        summary=summary[:MAX_SUMMARY],
        source="webhook",
        labels={"component": component[:MAX_KEY]} if component else {},
        annotations={"payload": orjson.dumps(item).decode()[:MAX_VALUE]},
        fingerprint=dedup[:MAX_FINGERPRINT] or derived_fingerprint(service, severity, summary),
        action=action,
    )
