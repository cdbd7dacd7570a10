"""The analytics window's defaults and limits (pure logic)."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from services.incident_management.analytics import _whole_quarters, window
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


def at(hour: int, minute: int, second: int = 0, tz=UTC) -> datetime:
    return datetime(2026, 12, 1, hour, minute, second, tzinfo=tz)


@pytest.mark.parametrize(
    ("since", "until", "whole"),
    [
        (at(10, 0), at(11, 0), (at(10, 0), at(11, 0))),  # on quarter boundaries: all of it
        (at(10, 7), at(11, 22), (at(10, 15), at(11, 15))),  # the partial quarters at both ends left out
        (at(10, 14, 59), at(10, 15, 1), (at(10, 15), at(10, 15))),  # none whole: first == end
        (at(10, 1), at(10, 14), (at(10, 15), at(10, 0))),  # inside one quarter: first > end
        # Kolkata (UTC+5:30): 16:07 there is 10:37 UTC, 17:52 there 12:22 UTC.
        (
            at(16, 7, tz=ZoneInfo("Asia/Kolkata")),
            at(17, 52, tz=ZoneInfo("Asia/Kolkata")),
            (at(10, 45), at(12, 15)),
        ),
    ],
)
def test_the_whole_quarter_hours_of_a_window(since, until, whole):
    assert _whole_quarters(since, until) == whole
