"""What every format parser shares: the outcome type, string maps, timestamps, derived fingerprints."""

from dataclasses import dataclass, field
from datetime import UTC, datetime

import orjson

from services.alert_ingestion.limits import MAX_KEY, MAX_VALUE, refusal
from shared import fingerprints
from shared.gen.oncall.v1 import incident_pb2
from shared.timeutil import rfc3339


@dataclass
class Parsed:
    """Alerts ready to store, and per-alert errors (`loc`, `msg`) for those that cannot be."""

    alerts: list[incident_pb2.Alert] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)

    def add(self, loc: str, alert: incident_pb2.Alert) -> None:
        """Keep the alert, or refuse it by `loc` when it breaks the limits every format shares."""
        why = refusal(alert)
        if why is None:
            self.alerts.append(alert)
        else:
            self.reject(loc, why)

    def reject(self, loc: str, msg: str) -> None:
        self.errors.append({"loc": loc, "msg": msg})


def string_map(value: object, loc: str) -> dict[str, str]:
    """A JSON object of labels or annotations as strings (non-string values JSON-encoded, long ones cut)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"{loc} must be an object")
    return {str(k)[:MAX_KEY]: (v if isinstance(v, str) else _json(v))[:MAX_VALUE] for k, v in value.items()}


def _json(value: object) -> str:
    return orjson.dumps(value).decode()


def timestamp(value: object) -> str:
    """An RFC 3339 instant from the sender, or "" (now) when absent, zero or unreadable."""
    if not isinstance(value, str) or not value or value.startswith("0001-01-01"):
        return ""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return ""
    return rfc3339(parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)) or ""


derived_fingerprint = fingerprints.derived
