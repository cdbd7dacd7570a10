"""Normalising alerts before they travel to incident-management."""

from datetime import UTC

from services.alert_ingestion.schemas import AlertIn
from shared import fingerprints
from shared.errors import InvalidInput
from shared.gen.oncall.v1 import incident_pb2
from shared.timeutil import proto_time


def fingerprint(alert: AlertIn) -> str:
    """The sender's fingerprint, else one derived from what identifies the alert (`shared.fingerprints`)."""
    if alert.fingerprint:
        return alert.fingerprint
    return fingerprints.of_alert(alert.service or "", alert.severity, alert.labels, alert.summary)


def to_proto(alert: AlertIn, *, keyed: bool = False) -> incident_pb2.Alert:
    """The alert for incident-management. With a routing key (`keyed`), the key's owner decides the
    service, so the sender's is not sent, and a fingerprint the sender did not give is derived there,
    from that service; without one, the sender's service is required."""
    if not keyed and not alert.service:
        raise InvalidInput("service: required when no integration key is sent", field="service")
    occurred = alert.timestamp
    if occurred is not None and occurred.tzinfo is None:
        occurred = occurred.replace(tzinfo=UTC)  # naive timestamps are taken as UTC
    return incident_pb2.Alert(
        service="" if keyed else alert.service,
        severity=alert.severity,
        summary=alert.summary,
        source=alert.source,
        labels=alert.labels,
        annotations=alert.annotations,
        fingerprint=alert.fingerprint if keyed else fingerprint(alert),
        timestamp=proto_time(occurred),
    )
