"""Durations of the analytics API and the trends' buckets (pure logic)."""

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from services.incident_management.analytics_trends import trend_window
from services.incident_management.schemas import DistributionQuery, TrendQuery, duration_text, parse_duration
from shared.errors import InvalidInput

NOW = datetime(2026, 12, 3, 10, 30, tzinfo=UTC)  # a Thursday


@pytest.mark.parametrize(
    ("text", "length", "written"),
    [
        ("1m", timedelta(minutes=1), "1m"),
        ("90m", timedelta(minutes=90), "90m"),
        ("24h", timedelta(days=1), "1d"),
        ("168h", timedelta(days=7), "7d"),
        ("2w", timedelta(days=14), "14d"),
        ("366d", timedelta(days=366), "366d"),
    ],
)
def test_durations_are_read_and_written_back_in_their_largest_unit(text, length, written):
    assert parse_duration(text) == length
    assert duration_text(length) == written


@pytest.mark.parametrize(
    "text", ["", "0h", "7", "1.5h", "1y", "30s", "-1h", "1h ", "367d", "53w", "1000000m"]
)
def test_other_durations_are_refused(text):
    with pytest.raises(ValueError, match="duration|from 1m"):
        parse_duration(text)
    with pytest.raises(ValidationError, match="period"):
        DistributionQuery(period=text)


def query(period: str, bucket: str, until: datetime | None = None) -> TrendQuery:
    return TrendQuery.model_validate({"period": period, "bucket": bucket, "until": until})


@pytest.mark.parametrize(
    ("period", "bucket", "since", "count"),
    [
        ("12h", "1h", datetime(2026, 12, 2, 23, tzinfo=UTC), 12),  # the last bucket 10:00-11:00 holds now
        ("1d", "20m", datetime(2026, 12, 2, 10, 40, tzinfo=UTC), 72),  # the last 10:20-10:40
        ("7d", "1d", datetime(2026, 11, 27, tzinfo=UTC), 7),  # days from UTC midnight
        ("4w", "1w", datetime(2026, 11, 9, tzinfo=UTC), 4),  # weeks from Monday
    ],
)
def test_buckets_are_whole_and_the_last_holds_until(period, bucket, since, count):
    assert trend_window(query(period, bucket), now=NOW) == (since, NOW, count)


def test_an_until_on_a_boundary_ends_the_last_bucket():
    until = datetime(2026, 12, 3, 10, tzinfo=UTC)
    assert trend_window(query("2h", "1h", until), now=NOW) == (until - timedelta(hours=2), until, 2)


@pytest.mark.parametrize(
    ("period", "bucket", "named"),
    [("7d", "5h", "period"), ("1h", "1d", "period"), ("30d", "30m", "bucket"), ("1d", "1m", "bucket")],
)
def test_partial_or_too_many_buckets_are_refused_naming_the_parameter(period, bucket, named):
    with pytest.raises(InvalidInput) as refused:
        trend_window(query(period, bucket), now=NOW)
    assert refused.value.field == named


def test_a_thousand_buckets_are_allowed():
    assert trend_window(query("1000h", "1h"), now=NOW)[2] == 1000
