"""Event types (`incident.<verb>`), their envelope and the cap on the events stream."""

import re
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from shared.timeutil import rfc3339, utcnow

INCIDENT_TRIGGERED = "incident.triggered"
INCIDENT_ACKNOWLEDGED = "incident.acknowledged"
INCIDENT_RESOLVED = "incident.resolved"
INCIDENT_ESCALATED = "incident.escalated"
INCIDENT_REASSIGNED = "incident.reassigned"
INCIDENT_ANNOTATED = "incident.annotated"
INCIDENT_UNACKNOWLEDGED = "incident.unacknowledged"
INCIDENT_UNASSIGNED = "incident.unassigned"
INCIDENT_SNOOZED = "incident.snoozed"
# What webhooks may subscribe to: every type the outbox relays.
INCIDENT_EVENT_TYPES = (
    INCIDENT_TRIGGERED,
    INCIDENT_ACKNOWLEDGED,
    INCIDENT_RESOLVED,
    INCIDENT_ESCALATED,
    INCIDENT_REASSIGNED,
    INCIDENT_ANNOTATED,
    INCIDENT_UNACKNOWLEDGED,
    INCIDENT_UNASSIGNED,
    INCIDENT_SNOOZED,
)
# Live channel only (no outbox event): an alert joined an open incident.
INCIDENT_ALERT_ADDED = "incident.alert_added"

STREAM_MAXLEN = 1_000_000


def live_message(bodies: Iterable[bytes]) -> bytes:
    """One message of the live channel: events (their JSON texts) as a JSON array, so that a relay batch
    or an announcement costs one PUBLISH, and each web UI one message to read."""
    return b"[" + b",".join(bodies) + b"]"


def make_event(
    event_type: str, data: dict[str, Any], *, traceparent: str = "", at: datetime | None = None
) -> dict[str, Any]:
    """The envelope every consumer reads: id, type, time, the W3C trace context of what caused it, and
    the incident as it now is."""
    return {
        "id": str(uuid.uuid4()),
        "type": event_type,
        "time": rfc3339(at or utcnow()),
        "traceparent": traceparent,
        "data": data,
    }


# An envelope's traceparent in its JSON text (as stored, as sent): read without parsing the whole event.
_TRACEPARENT_IN_JSON = re.compile(r'"traceparent": ?"([^"]*)"')


def traceparent_in(body: str) -> str:
    """The `traceparent` of an event given as JSON text; empty when it has none."""
    found = _TRACEPARENT_IN_JSON.search(body)
    return found.group(1) if found else ""
