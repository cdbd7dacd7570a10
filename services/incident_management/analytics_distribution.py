"""How MTTA and MTTR are spread over the incidents created in a period
(GET /api/v1/analytics/mttr-distribution): a histogram and exact percentiles of each.

One scan of the period's incidents (the index on creation time) gives both measures: per measure one
sort for its three percentiles (`percentile_cont` over an array of fractions) and one count per bucket
bound. The sorts are what it costs: exact percentiles need every value (docs/performance.md).
"""

from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, Float, func, select, type_coerce
from sqlalchemy.dialects.postgresql import array
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from services.incident_management.analytics import QUERY_SETTINGS
from services.incident_management.models import Incident
from services.incident_management.schemas import (
    DistributionQuery,
    DurationBucket,
    ResponseDistribution,
    TimeDistribution,
    duration_text,
)
from shared.timeutil import rfc3339

# The histogram's bounds in seconds: 1, 5, 15 and 30 minutes, 1, 2, 4 and 8 hours, a day.
BOUNDS = (60.0, 300.0, 900.0, 1800.0, 3600.0, 7200.0, 14400.0, 28800.0, 86400.0)
QUANTILES = (0.5, 0.9, 0.99)


def _measure(column: InstrumentedAttribute[float | None]) -> list[ColumnElement[Any]]:
    """How many incidents have the measure, its percentiles, and how many are below each bound."""
    percentiles = func.percentile_cont(array(QUANTILES)).within_group(column)
    return [
        func.count(column),
        type_coerce(percentiles, ARRAY(Float)),
        *(func.count().filter(column < bound) for bound in BOUNDS),
    ]


async def response_distribution(
    session: AsyncSession, query: DistributionQuery, *, now: datetime
) -> ResponseDistribution:
    until = query.until or now
    since = until - query.period
    statement = select(*_measure(Incident.mtta_seconds), *_measure(Incident.mttr_seconds)).where(
        Incident.created_at >= since, Incident.created_at < until
    )
    await session.execute(QUERY_SETTINGS)
    row = tuple((await session.execute(statement)).one())
    width = 2 + len(BOUNDS)
    return ResponseDistribution(
        period=duration_text(query.period),
        since=rfc3339(since),
        until=rfc3339(until),
        mtta=_distribution(*row[:width]),
        mttr=_distribution(*row[width:]),
    )


def _distribution(count: int, percentiles: list[float] | None, *below: int) -> TimeDistribution:
    p50, p90, p99 = (round(p, 1) for p in percentiles) if percentiles else (None, None, None)
    lowers, uppers = (0.0, *BOUNDS), (*BOUNDS, None)
    counts = [high - low for low, high in zip((0, *below), (*below, count), strict=True)]
    buckets = [
        DurationBucket(from_seconds=lower, to_seconds=upper, count=n)
        for lower, upper, n in zip(lowers, uppers, counts, strict=True)
    ]
    return TimeDistribution(count=count, p50_seconds=p50, p90_seconds=p90, p99_seconds=p99, buckets=buckets)
