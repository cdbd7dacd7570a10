"""Which event types a webhook may subscribe to."""

import pytest
from pydantic import ValidationError

from services.notifier.schemas import WebhookCreate, WebhookPatch
from shared.events import INCIDENT_EVENT_TYPES


def test_incident_new_is_stored_as_incident_triggered():
    hook = WebhookCreate(url="https://example.com/h", event_types=["incident.new", "incident.resolved"])
    assert hook.event_types == ["incident.triggered", "incident.resolved"]


@pytest.mark.parametrize("model", [WebhookCreate, WebhookPatch])
def test_an_unknown_event_type_is_refused_listing_the_valid_ones(model):
    with pytest.raises(ValidationError) as refused:
        model(url="https://example.com/h", event_types=["incident.exploded"])
    message = str(refused.value)
    assert "unknown event type" in message and all(t in message for t in INCIDENT_EVENT_TYPES)


def test_every_event_type_the_platform_sends_is_accepted():
    assert WebhookCreate(url="https://example.com/h", event_types=list(INCIDENT_EVENT_TYPES[:20])).event_types
