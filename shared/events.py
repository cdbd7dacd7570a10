"""Event envelope and stream publishing. Event types are `incident.<verb>`."""

import uuid
from datetime import datetime
from typing import Any

import orjson
from redis.asyncio import Redis

from shared.timeutil import rfc3339, utcnow

INCIDENT_TRIGGERED = "incident.triggered"
INCIDENT_ACKNOWLEDGED = "incident.acknowledged"
INCIDENT_RESOLVED = "incident.resolved"
INCIDENT_ESCALATED = "incident.escalated"
INCIDENT_REASSIGNED = "incident.reassigned"
INCIDENT_ANNOTATED = "incident.annotated"
INCIDENT_ALERT_ADDED = "incident.alert_added"
INCIDENT_UNACKNOWLEDGED = "incident.unacknowledged"
INCIDENT_UNASSIGNED = "incident.unassigned"
INCIDENT_SNOOZED = "incident.snoozed"
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

STREAM_MAXLEN = 1_000_000


def make_event(
    event_type: str, data: dict[str, Any], *, trace_id: str = "", at: datetime | None = None
) -> dict:
    """The envelope every consumer reads: id, type, time, trace id and the incident as it now is."""
    return {
        "id": str(uuid.uuid4()),
        "type": event_type,
        "time": rfc3339(at or utcnow()),
        "trace_id": trace_id,
        "data": data,
    }


async def publish(redis: Redis, stream: str, event: dict) -> str:
    """XADD one event (approximately capped); returns the stream entry id."""
    fields = {"id": event["id"], "type": event["type"], "event": orjson.dumps(event)}
    entry_id = await redis.xadd(stream, fields, maxlen=STREAM_MAXLEN, approximate=True)
    return entry_id.decode() if isinstance(entry_id, bytes) else entry_id
