"""The analytics window's defaults and limits (pure logic)."""

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from services.incident_management.analytics import window
from services.incident_management.schemas import AnalyticsQuery
from shared.errors import InvalidInput

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


def test_defaults_to_the_thirty_days_before_now():
    assert window(AnalyticsQuery(), now=NOW) == (NOW - timedelta(days=30), NOW)


def test_a_given_until_moves_the_default_start_with_it():
    until = NOW - timedelta(days=100)
    assert window(AnalyticsQuery(until=until), now=NOW) == (until - timedelta(days=30), until)


def test_a_start_alone_runs_to_now():
    since = NOW - timedelta(days=90)
    assert window(AnalyticsQuery(since=since), now=NOW) == (since, NOW)


@pytest.mark.parametrize(
    "query",
    [
        AnalyticsQuery(since=NOW, until=NOW),
        AnalyticsQuery(since=NOW + timedelta(days=1)),  # a start in the future, until defaulting to now
        AnalyticsQuery(since=NOW - timedelta(days=367)),
    ],
)
def test_empty_reversed_or_too_long_windows_are_refused_naming_since(query):
    with pytest.raises(InvalidInput) as refused:
        window(query, now=NOW)
    assert refused.value.field == "since"


def test_unknown_time_zones_and_naive_instants_are_refused():
    with pytest.raises(ValidationError, match="time_zone"):
        AnalyticsQuery(time_zone="Europe/Atlantis")
    with pytest.raises(ValidationError, match="since"):
        AnalyticsQuery(since=datetime(2026, 1, 1))
