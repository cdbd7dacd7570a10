"""Normalising and fingerprinting alerts (pure)."""

import pytest
from pydantic import ValidationError

from services.alert_ingestion.domain import fingerprint, to_proto
from services.alert_ingestion.schemas import AlertIn
from shared.errors import InvalidInput


def make(**fields) -> AlertIn:
    return AlertIn.model_validate({"service": "api", "severity": "critical", "summary": "down"} | fields)


def test_sender_fingerprint_is_kept():
    assert fingerprint(make(fingerprint="abc")) == "abc"


def test_derived_fingerprint_ignores_summary_when_labels_identify_the_alert():
    one = make(labels={"alertname": "High5xx", "instance": "a"}, summary="12.4% errors")
    two = make(labels={"instance": "a", "alertname": "High5xx"}, summary="13.1% errors")
    assert fingerprint(one) == fingerprint(two)
    assert fingerprint(one) != fingerprint(make(labels={"alertname": "High5xx", "instance": "b"}))


def test_derived_fingerprint_uses_summary_without_labels():
    assert fingerprint(make()) == fingerprint(make())
    assert fingerprint(make()) != fingerprint(make(summary="other"))
    assert fingerprint(make()) != fingerprint(make(severity="info"))


def test_message_is_accepted_as_summary_and_severity_is_normalised():
    alert = AlertIn.model_validate({"service": " api ", "severity": " HIGH ", "message": "cpu hot"})
    assert (alert.service, alert.severity, alert.summary) == ("api", "high", "cpu hot")


def test_naive_timestamp_is_taken_as_utc():
    assert to_proto(make(timestamp="2026-11-24T10:00:00")).timestamp == "2026-11-24T10:00:00Z"
    assert to_proto(make(timestamp="2026-11-24T11:00:00+01:00")).timestamp == "2026-11-24T10:00:00Z"


@pytest.mark.parametrize(
    ("fields", "bad_field"),
    [
        ({"severity": "loud"}, "severity"),
        ({"service": "   "}, "service"),
        ({"summary": ""}, "summary"),
        ({"summary": "x" * 1025}, "summary"),
        ({"labels": {"a": 1}}, "labels"),
        ({"labels": "nope"}, "labels"),
        ({"timestamp": "yesterday"}, "timestamp"),
    ],
)
def test_bad_fields_are_named(fields, bad_field):
    with pytest.raises(ValidationError) as error:
        make(**fields)
    assert bad_field in {str(part) for e in error.value.errors() for part in e["loc"]}


def test_a_keyed_alert_leaves_service_and_a_missing_fingerprint_to_the_keys_owner():
    keyed = to_proto(make(service="named-by-sender"), keyed=True)
    assert (keyed.service, keyed.fingerprint) == ("", "")
    assert to_proto(make(fingerprint="abc"), keyed=True).fingerprint == "abc"
    assert to_proto(make()).fingerprint == fingerprint(make())  # without a key, derived here


def test_without_a_key_the_service_is_required():
    alert = AlertIn.model_validate({"severity": "critical", "summary": "down"})
    with pytest.raises(InvalidInput) as refused:
        to_proto(alert)
    assert refused.value.field == "service"
