"""Fingerprints derived from what identifies an alert, when its sender gives none.

One rule for the ingestion replicas (alerts without a key, whose sender names the service) and for
incident-management (alerts with a key, whose service only the key's owner decides): the same alert gets
the same fingerprint whichever of them derives it.
"""

import hashlib
from collections.abc import Mapping


def derived(*parts: object) -> str:
    """32 hex digits of SHA-256 over the parts' repr."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


def of_alert(service: str, severity: str, labels: Mapping[str, str], summary: str) -> str:
    """Like Alertmanager's, it ignores the free text when labels identify the alert, so a resent alert
    whose summary carries a changing value is still the same alert."""
    identity = sorted(labels.items()) if labels else summary
    return derived(service, severity, identity)
