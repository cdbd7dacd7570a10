"""GET /api/v1/analytics/mttr-distribution against real PostgreSQL: histogram buckets and percentiles of
MTTA and MTTR, checked against the seeded times counted and interpolated here."""

import random
import statistics
from datetime import UTC, datetime, timedelta

import pytest

from shared.timeutil import rfc3339
from tests.integration.incident_fixtures import seed_incident

pytestmark = pytest.mark.integration
DISTRIBUTION = "/api/v1/analytics/mttr-distribution"
BOUNDS = [0, 60, 300, 900, 1800, 3600, 7200, 14400, 28800, 86400, None]
UNTIL = datetime(2025, 6, 1, 12, tzinfo=UTC)


def expected(values: list[float]) -> dict:
    """The answer for one measure: bucket counts and percentiles (Python's inclusive quantiles, which
    interpolate between the nearest values as percentile_cont does)."""
    buckets = [
        {
            "from_seconds": low,
            "to_seconds": high,
            "count": sum(low <= v < (high or float("inf")) for v in values),
        }
        for low, high in zip(BOUNDS, BOUNDS[1:], strict=False)
    ]
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {
        "count": len(values),
        "p50_seconds": round(cuts[49], 1),
        "p90_seconds": round(cuts[89], 1),
        "p99_seconds": round(cuts[98], 1),
        "buckets": buckets,
    }


async def test_buckets_and_percentiles_of_mtta_and_mttr_match_the_seeded_times(incidents):
    since = UNTIL - timedelta(days=7)
    pick = random.Random(29)
    acks, resolves = [], []
    for i in range(120):
        at = since + timedelta(seconds=pick.uniform(0, 7 * 86400 - 1))
        # log-spread over the buckets; some left unacknowledged, some acknowledged but not resolved
        ack = None if i % 10 == 0 else round(10 ** pick.uniform(0.5, 5.2), 3)
        resolve = None if ack is None or i % 7 == 0 else ack + round(10 ** pick.uniform(1, 5), 3)
        await seed_incident(incidents, "svc-spread", at, ack=ack, resolve=resolve)
        acks += [] if ack is None else [ack]
        resolves += [] if resolve is None else [resolve]
    # on the bounds: a time equal to a bound is in the bucket it starts
    for ack, resolve in ((60.0, 300.0), (0.0, 86400.0)):
        await seed_incident(incidents, "svc-spread", since + timedelta(hours=1), ack=ack, resolve=resolve)
        acks.append(ack)
        resolves.append(resolve)
    # outside the period (just before it, at its end): huge times that would show in every figure
    for at in (since - timedelta(microseconds=1), UNTIL):
        await seed_incident(incidents, "svc-spread", at, ack=900_000.0, resolve=900_000.0)

    reply = await incidents.http.get(DISTRIBUTION, params={"period": "7d", "until": UNTIL.isoformat()})
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert (body["period"], body["since"], body["until"]) == ("7d", rfc3339(since), rfc3339(UNTIL))
    for name, values in (("mtta", acks), ("mttr", resolves)):
        want = expected(values)
        got = body[name]
        assert got["buckets"] == want["buckets"], name
        assert got["count"] == want["count"] == sum(b["count"] for b in got["buckets"])
        for p in ("p50_seconds", "p90_seconds", "p99_seconds"):
            assert got[p] == pytest.approx(want[p], abs=0.11), (name, p)
    assert body["mttr"]["count"] < body["mtta"]["count"] < 124  # not every incident has each time


async def test_a_period_without_times_has_empty_buckets_and_no_percentiles(incidents):
    await seed_incident(
        incidents, "svc-open", UNTIL - timedelta(hours=1)
    )  # neither acknowledged nor resolved
    body = (
        await incidents.http.get(DISTRIBUTION, params={"period": "1d", "until": UNTIL.isoformat()})
    ).json()
    for name in ("mtta", "mttr"):
        assert body[name]["count"] == 0 and body[name]["p50_seconds"] is None
        assert body[name]["p99_seconds"] is None and [b["count"] for b in body[name]["buckets"]] == [0] * 10


async def test_one_incident_is_every_percentile(incidents):
    await seed_incident(incidents, "svc-one", UNTIL - timedelta(days=2), ack=42.5, resolve=4242.0)
    body = (await incidents.http.get(DISTRIBUTION, params={"until": UNTIL.isoformat()})).json()  # 30 days
    assert body["period"] == "30d" and body["since"] == rfc3339(UNTIL - timedelta(days=30))
    assert [body["mtta"][p] for p in ("p50_seconds", "p90_seconds", "p99_seconds")] == [42.5] * 3
    assert [body["mttr"][p] for p in ("p50_seconds", "p90_seconds", "p99_seconds")] == [4242.0] * 3


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"period": "0m"}, "period"),
        ({"period": "400d"}, "period"),
        ({"period": "30"}, "period"),
        ({"until": "2025-06-01"}, "until"),  # a date, not an instant
        ({"until": "1899-12-31T23:59:59Z"}, "until"),
        ({"bucket": "1h"}, "bucket"),  # not a parameter of this route
    ],
)
async def test_bad_periods_are_422_naming_the_parameter(incidents, params, named):
    reply = await incidents.http.get(DISTRIBUTION, params=params)
    assert reply.status_code == 422, reply.text
    assert any(named in error["loc"] for error in reply.json()["errors"]), reply.text
