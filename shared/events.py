"""Event types (`incident.<verb>`), their envelope and the cap on the events stream."""

import uuid
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

STREAM_MAXLEN = 1_000_000


def make_event(
    event_type: str, data: dict[str, Any], *, trace_id: str = "", at: datetime | None = None
) -> dict[str, Any]:
    """The envelope every consumer reads: id, type, time, trace id and the incident as it now is."""
    return {
        "id": str(uuid.uuid4()),
        "type": event_type,
        "time": rfc3339(at or utcnow()),
        "trace_id": trace_id,
        "data": data,
    }
