"""The limits of an alert, whichever format it came in: the native schema is built from them, and every
alert a format parser produced is checked against them before it is stored."""

from shared.gen.oncall.v1 import incident_pb2
from shared.text import UNSTORABLE, storable

MAX_SUMMARY = 1024
MAX_SOURCE = 200
MAX_ENTRIES = 100  # labels, and annotations
MAX_KEY = 200
MAX_VALUE = 4096
MAX_FINGERPRINT = 256


def refusal(alert: incident_pb2.Alert) -> str | None:
    """Why a parsed alert cannot be stored (`field: reason`), or None when it can."""
    maps = {"labels": dict(alert.labels), "annotations": dict(alert.annotations)}
    texts: dict[str, object] = {
        "service": alert.service,
        "summary": alert.summary,
        "source": alert.source,
        "fingerprint": alert.fingerprint,
        **maps,
    }
    for field, value in texts.items():
        if not storable(value):
            return f"{field}: {UNSTORABLE}"
    lengths = {"summary": MAX_SUMMARY, "source": MAX_SOURCE, "fingerprint": MAX_FINGERPRINT}
    for field, limit in lengths.items():
        if len(getattr(alert, field)) > limit:
            return f"{field}: at most {limit} characters"
    for field, entries in maps.items():
        if len(entries) > MAX_ENTRIES:
            return f"{field}: at most {MAX_ENTRIES} entries, got {len(entries)}"
        if any(not 0 < len(k) <= MAX_KEY or len(v) > MAX_VALUE for k, v in entries.items()):
            return f"{field}: keys are 1–{MAX_KEY} characters, values at most {MAX_VALUE}"
    return None
