"""GET /api/v1/analytics/trends against real PostgreSQL: counts per bucket and severity, checked against
the seeded incidents counted here."""

import random
from datetime import UTC, datetime, timedelta

import pytest

from shared.timeutil import rfc3339
from tests.integration.incident_fixtures import seed_incident

pytestmark = pytest.mark.integration
TRENDS = "/api/v1/analytics/trends"
SEVERITIES = ("critical", "high", "warning", "info")
HOUR = timedelta(hours=1)


def expected_buckets(seeded, since: datetime, until: datetime, bucket: timedelta, count: int) -> list[dict]:
    """The answer's buckets, counted here from the seeded (created_at, severity) pairs."""
    buckets = [
        {"start": rfc3339(since + i * bucket), "total": 0} | dict.fromkeys(SEVERITIES, 0)
        for i in range(count)
    ]
    for at, severity in seeded:
        if since <= at < until:
            counts = buckets[(at - since) // bucket]
            counts[severity] += 1
            counts["total"] += 1
    return buckets


async def test_counts_per_hour_and_severity_match_the_seeded_incidents(incidents):
    # until at 10:30: the last of the 12 hourly buckets is 10:00-11:00, counted up to 10:30; the first
    # starts at 23:00 the day before.
    day = datetime(2025, 3, 10, tzinfo=UTC)
    until = day + timedelta(hours=10, minutes=30)
    since = day - HOUR
    shuffle = random.Random(29)
    seeded = [
        (since + timedelta(seconds=shuffle.uniform(-7200, 50400)), shuffle.choice(SEVERITIES))
        for _ in range(60)
    ]
    # the edges: a bucket's first instant, the instant before the window, until itself (not counted)
    seeded += [(since, "info"), (day + 3 * HOUR, "high"), (since - timedelta(microseconds=1), "critical")]
    seeded += [(until, "warning"), (until - timedelta(microseconds=1), "warning")]
    for at, severity in seeded:
        await seed_incident(incidents, "svc-trends", at, severity=severity)

    reply = await incidents.http.get(
        TRENDS, params={"period": "12h", "bucket": "1h", "until": until.isoformat()}
    )
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert (body["period"], body["bucket"]) == ("12h", "1h")
    assert (body["since"], body["until"]) == (rfc3339(since), rfc3339(until))
    buckets = expected_buckets(seeded, since, until, HOUR, 12)
    assert body["buckets"] == buckets
    in_window = [severity for at, severity in seeded if since <= at < until]
    assert body["totals"] == {"total": len(in_window)} | {s: in_window.count(s) for s in SEVERITIES}
    assert 0 < body["totals"]["total"] < len(seeded)  # some left out on each side


async def test_day_and_week_buckets_start_at_utc_midnight_and_on_monday(incidents):
    until = datetime(2025, 3, 13, 15, tzinfo=UTC)  # a Thursday afternoon
    seeded = [(until - timedelta(days=d, hours=h), "critical") for d in range(0, 30, 3) for h in (1, 14)]
    for at, severity in seeded:
        await seed_incident(incidents, "svc-days", at, severity=severity)

    days = (
        await incidents.http.get(TRENDS, params={"period": "14d", "bucket": "1d", "until": until.isoformat()})
    ).json()
    since = datetime(2025, 2, 28, tzinfo=UTC)  # 14 days ending with the 13th
    assert days["since"] == rfc3339(since) and len(days["buckets"]) == 14
    assert days["buckets"] == expected_buckets(seeded, since, until, timedelta(days=1), 14)

    weeks = (
        await incidents.http.get(TRENDS, params={"period": "4w", "bucket": "1w", "until": until.isoformat()})
    ).json()
    monday = datetime(2025, 2, 17, tzinfo=UTC)  # four weeks ending with the one of Monday the 10th
    assert (weeks["period"], weeks["bucket"], weeks["since"]) == ("28d", "7d", rfc3339(monday))
    assert weeks["buckets"] == expected_buckets(seeded, monday, until, timedelta(weeks=1), 4)


async def test_by_default_the_last_seven_days_by_hour_end_with_the_current_hour(incidents):
    at = datetime.now(UTC) - timedelta(minutes=1)
    await seed_incident(incidents, "svc-now", at, severity="high")

    body = (await incidents.http.get(TRENDS)).json()
    assert (body["period"], body["bucket"], len(body["buckets"])) == ("7d", "1h", 168)
    until = datetime.fromisoformat(body["until"])
    last = datetime.fromisoformat(body["buckets"][-1]["start"])
    assert last <= until < last + HOUR and last.minute == last.second == last.microsecond == 0
    [counted] = [b for b in body["buckets"] if b["total"]]
    assert counted["start"] == rfc3339(at.replace(minute=0, second=0, microsecond=0)) and counted["high"] == 1


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"period": "0d"}, "period"),
        ({"period": "367d"}, "period"),
        ({"period": "1y"}, "period"),
        ({"period": "1.5h"}, "period"),
        ({"bucket": "30s"}, "bucket"),
        ({"bucket": "-1h"}, "bucket"),
        ({"period": "7d", "bucket": "5h"}, "period"),  # 33.6 buckets
        ({"period": "1h", "bucket": "1d"}, "period"),  # less than one bucket
        ({"period": "366d", "bucket": "1h"}, "bucket"),  # 8,784 buckets
        ({"period": "1d", "bucket": "1m"}, "bucket"),  # 1,440 buckets
        ({"until": "2025-03-10T00:00:00"}, "until"),  # no offset
        ({"until": "9999-12-31T23:59:59Z"}, "until"),
        ({"perod": "7d"}, "perod"),
    ],
)
async def test_bad_periods_and_buckets_are_422_naming_the_parameter(incidents, params, named):
    reply = await incidents.http.get(TRENDS, params=params)
    assert reply.status_code == 422, reply.text
    body = reply.json()
    assert body.get("field") == named or any(named in error["loc"] for error in body.get("errors", [])), body
