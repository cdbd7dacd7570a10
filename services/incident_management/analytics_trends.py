"""Incident counts per time bucket and severity over a period (GET /api/v1/analytics/trends).

Read from `incidents` itself, which PostgreSQL counts per bucket and severity in one range scan of the
index on creation time: the per-quarter-hour sums of the response analytics keep no severity. Buckets
with no incident are filled in here, so a chart gets every bucket of the period.
"""

from datetime import UTC, datetime
from typing import get_args

from sqlalchemy import DateTime, Interval, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.incident_management.analytics import QUERY_SETTINGS
from services.incident_management.models import Incident
from services.incident_management.schemas import (
    MAX_TREND_BUCKETS,
    IncidentTrends,
    Severity,
    SeverityCounts,
    TrendBucket,
    TrendQuery,
    duration_text,
)
from shared.errors import InvalidInput
from shared.timeutil import rfc3339

SEVERITIES: tuple[str, ...] = get_args(Severity)
# Buckets are whole multiples of their length from here: days start at UTC midnight, weeks on Monday.
ORIGIN = datetime(1, 1, 1, tzinfo=UTC)


def trend_window(query: TrendQuery, *, now: datetime) -> tuple[datetime, datetime, int]:
    """(since, until, buckets): the first bucket's start, the end of the counting, how many buckets."""
    period, bucket = query.period, query.bucket
    if period < bucket or period % bucket:
        raise InvalidInput(
            f"period must be a whole number of buckets of {duration_text(bucket)}", field="period"
        )
    count = period // bucket
    if count > MAX_TREND_BUCKETS:
        raise InvalidInput(
            f"{duration_text(period)} in buckets of {duration_text(bucket)} is {count:,} buckets, more than "
            f"{MAX_TREND_BUCKETS:,}: choose a longer bucket or a shorter period",
            field="bucket",
        )
    until = query.until or now
    end = until + (ORIGIN - until) % bucket  # the end of the bucket that holds until (until on a boundary)
    return end - period, until, count


async def incident_trends(session: AsyncSession, query: TrendQuery, *, now: datetime) -> IncidentTrends:
    since, until, count = trend_window(query, now=now)
    bucket = query.bucket
    start = func.date_bin(
        literal(bucket, Interval), Incident.created_at, literal(since, DateTime(timezone=True))
    )
    statement = (
        select(start.label("start"), Incident.severity, func.count().label("incidents"))
        .where(Incident.created_at >= since, Incident.created_at < until)
        .group_by(start, Incident.severity)
    )
    await session.execute(QUERY_SETTINGS)
    counts = [dict.fromkeys(SEVERITIES, 0) for _ in range(count)]
    for row in await session.execute(statement):
        counts[(row.start - since) // bucket][row.severity] = row.incidents
    buckets = [_bucket(since + i * bucket, by_severity) for i, by_severity in enumerate(counts)]
    totals = {severity: sum(b[severity] for b in counts) for severity in SEVERITIES}
    return IncidentTrends(
        period=duration_text(query.period),
        bucket=duration_text(bucket),
        since=rfc3339(since),
        until=rfc3339(until),
        totals=SeverityCounts(total=sum(totals.values()), **totals),
        buckets=buckets,
    )


def _bucket(start: datetime, by_severity: dict[str, int]) -> TrendBucket:
    return TrendBucket(start=rfc3339(start), total=sum(by_severity.values()), **by_severity)
