"""Normalising alerts before they travel to incident-management."""

import hashlib
from datetime import UTC

from services.alert_ingestion.schemas import AlertIn
from shared.errors import InvalidInput
from shared.gen.oncall.v1 import incident_pb2
from shared.timeutil import rfc3339


def fingerprint(alert: AlertIn) -> str:
    """The sender's fingerprint, else one derived from what identifies the alert.

    Like Alertmanager's, it ignores the free text when labels identify the alert, so a resent
    alert whose summary carries a changing value is still the same alert.
    """
    if alert.fingerprint:
        return alert.fingerprint
    identity = sorted(alert.labels.items()) if alert.labels else alert.summary
    material = repr((alert.service, alert.severity, identity)).encode()
    return hashlib.sha256(material).hexdigest()[:32]


def to_proto(alert: AlertIn, *, service: str | None = None) -> incident_pb2.Alert:
    """The alert for incident-management; `service` (a key's) takes the place of the sender's."""
    if service is not None:
        alert = alert.model_copy(update={"service": service})
    if not alert.service:
        raise InvalidInput("service: required when no integration key is sent", field="service")
    occurred = alert.timestamp
    if occurred is not None and occurred.tzinfo is None:
        occurred = occurred.replace(tzinfo=UTC)  # naive timestamps are taken as UTC
    return incident_pb2.Alert(
        service=alert.service,
        severity=alert.severity,
        summary=alert.summary,
        source=alert.source,
        labels=alert.labels,
        annotations=alert.annotations,
        fingerprint=fingerprint(alert),
        timestamp=rfc3339(occurred) or "",
    )
