"""Notifier rules: matching, retry schedule, recipients, rules, secrets, emails."""

import email
import email.policy
import random
import uuid
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest
from aiosmtplib.email import flatten_message

from services.notifier import domain, emails
from services.notifier.models import WebhookSubscription
from services.notifier.stream_consumer import parse_entry

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def subscription(**fields) -> WebhookSubscription:
    values = {"active": True, "event_types": [], "services": [], "teams": [], "secret": "new"}
    return WebhookSubscription(**(values | fields))


def test_empty_filters_match_every_event():
    assert domain.matches(subscription(), event_type="incident.escalated", service="db", teams=set())


def test_each_filter_must_pass():
    sub = subscription(event_types=["incident.resolved"], services=["db"], teams=["core"])
    assert domain.matches(sub, event_type="incident.resolved", service="db", teams={"core", "x"})
    assert not domain.matches(sub, event_type="incident.triggered", service="db", teams={"core"})
    assert not domain.matches(sub, event_type="incident.resolved", service="api", teams={"core"})
    assert not domain.matches(sub, event_type="incident.resolved", service="db", teams={"other"})
    assert not domain.matches(
        subscription(active=False), event_type="incident.resolved", service="db", teams=set()
    )


def test_backoff_is_full_jitter_under_an_exponential_ceiling():
    rng = random.Random(1)
    for attempt, ceiling in [(1, 5), (2, 10), (3, 20), (10, 60)]:
        values = [domain.backoff_seconds(attempt, base=5, cap=60, rng=rng) for _ in range(200)]
        assert 0 <= min(values) and max(values) <= ceiling
        assert max(values) > ceiling * 0.8  # spread over the whole range, not clustered


def test_no_retry_after_the_window_and_never_past_it():
    until = NOW + timedelta(seconds=10)
    assert domain.next_attempt(until, attempt=3, retry_until=until, base=5, cap=3600) is None
    retry = domain.next_attempt(NOW, attempt=30, retry_until=until, base=5, cap=3600)
    assert retry is not None and NOW <= retry <= until


def test_recipients_are_the_assignee_and_escalation_targets_once_each():
    data = {
        "assignee": {"id": str(uuid.uuid4()), "name": "Alice", "email": "Alice@Example.com"},
        "escalation_targets": [
            {"email": "alice@example.com"},
            {"name": "Bob", "email": "bob@example.com"},
            {},
        ],
    }
    assert domain.recipients(data) == [
        domain.Recipient("alice@example.com", "Alice"),
        domain.Recipient("bob@example.com", "Bob"),
    ]
    assert domain.recipients({"assignee": None}) == []


def test_user_rules():
    assert domain.wants_email(enabled=True, event_types=[], event_type="incident.triggered")
    assert not domain.wants_email(enabled=False, event_types=[], event_type="incident.triggered")
    assert not domain.wants_email(
        enabled=True, event_types=["incident.resolved"], event_type="incident.triggered"
    )


def test_previous_secret_signs_only_during_its_grace_period():
    sub = subscription(previous_secret="old", previous_secret_expires_at=NOW + timedelta(hours=1))
    assert domain.signing_secrets(sub, NOW) == ["new", "old"]
    assert domain.signing_secrets(sub, NOW + timedelta(hours=2)) == ["new"]
    assert domain.new_secret() != domain.new_secret()


def test_malformed_stream_entries_are_recognised():
    event = b'{"id":"%s","type":"incident.resolved","data":{}}' % str(uuid.uuid4()).encode()
    assert parse_entry({b"event": event}) is not None
    assert parse_entry({b"event": b"not json"}) is None
    assert parse_entry({b"event": b'{"id":"x","type":"incident.resolved","data":{}}'}) is None
    assert parse_entry({}) is None


def test_email_has_text_and_html_with_the_incident_link():
    event = {
        "id": str(uuid.uuid4()),
        "type": "incident.escalated",
        "time": "2026-11-25T12:00:00Z",
        "data": {
            "id": "abc",
            "title": "<disk> full",
            "service": "db",
            "severity": "critical",
            "status": "open",
        },
    }
    message = received(
        emails.compose(event, to="a@example.com", to_name="Alice", sender="x@y", base_url="http://gw/")
    )
    assert message["Subject"] == "[CRITICAL] Escalated: <disk> full (db)"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "http://gw/incidents/abc" in text and 'href="http://gw/incidents/abc"' in html
    assert "&lt;disk&gt; full" in html  # escaped


def test_email_headers_carry_any_text_as_encoded_words_on_one_logical_line():
    event = {
        "id": str(uuid.uuid4()),
        "type": "incident.triggered",
        "data": {"id": "abc", "title": "Zürich DB\nis down", "service": "db", "severity": "high"},
    }
    sent = emails.compose(
        event, to="z@example.com", to_name="Zoë", sender="OnCall <o@x>", base_url="http://gw"
    )
    wire = flatten_message(sent)
    assert wire.isascii()  # RFC 2047 words and quoted-printable bodies: no raw 8-bit on the wire
    message = received(sent)
    assert message["Subject"] == "[HIGH] Triggered: Zürich DB is down (db)"
    assert str(message["To"]) == "Zoë <z@example.com>" and str(message["From"]) == "OnCall <o@x>"
    assert "Hello Zoë" in message.get_body(preferencelist=("plain",)).get_content()


def received(message) -> EmailMessage:
    """The message as a mail client reads it off the wire (what aiosmtplib sends)."""
    return email.message_from_bytes(flatten_message(message), policy=email.policy.default)


def test_emails_show_times_in_the_recipients_time_zone():
    event = {
        "id": str(uuid.uuid4()),
        "type": "incident.triggered",
        "time": "2026-07-01T12:00:05Z",
        "data": {
            "id": "abc",
            "title": "t",
            "service": "db",
            "severity": "high",
            "created_at": "2026-07-01T11:59:00Z",
        },
    }
    sent = emails.compose(
        event, to="a@example.com", to_name="A", sender="o@x", base_url="http://gw", time_zone="Europe/Paris"
    )
    text = received(sent).get_body(preferencelist=("plain",)).get_content()
    assert "2026-07-01 13:59 CEST" in text and "at 2026-07-01 14:00 CEST" in text
    assert emails.local_time("2026-07-01T11:59:00Z", "Not/AZone") == "2026-07-01 11:59 UTC"


@pytest.mark.parametrize(
    ("event_type", "actor_field"),
    [("incident.acknowledged", "acknowledged_by"), ("incident.resolved", "resolved_by")],
)
def test_nobody_is_emailed_about_what_they_did_themselves(event_type, actor_field):
    data = {
        "assignee": {"name": "Alice", "email": "alice@example.com"},
        "escalation_targets": [{"name": "Bob", "email": "bob@example.com"}],
        actor_field: "Alice",
    }
    assert domain.recipients(data, event_type) == [domain.Recipient("bob@example.com", "Bob")]
    assert len(domain.recipients(data, "incident.escalated")) == 2  # only the actor's own action
