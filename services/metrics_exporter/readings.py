"""What one scrape reads from PostgreSQL and Redis: a few aggregate queries, no rows."""

from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from services.incident_management.models import SEVERITIES
from services.notifier.models import DELIVERY_STATUSES

# Windows of the mean MTTA/MTTR gauges, as PostgreSQL intervals by label.
WINDOWS = {"1h": "1 hour", "24h": "24 hours", "7d": "7 days"}
OPEN_STATUSES = ("open", "acknowledged")


@dataclass
class Histogram:
    """Cumulative counts per upper bound (Prometheus's `le`), the count and the sum."""

    buckets: list[tuple[float, int]]
    count: int
    total: float


@dataclass
class DatabaseReadings:
    open_incidents: dict[tuple[str, str], int]
    mtta: Histogram
    mttr: Histogram
    # Mean seconds over incidents acknowledged (resolved) within each window; absent when none was.
    mtta_mean: dict[str, float] = field(default_factory=dict)
    mttr_mean: dict[str, float] = field(default_factory=dict)
    outbox_pending: int = 0
    outbox_lag_seconds: float = 0.0
    escalations_due: int = 0
    escalation_lag_seconds: float = 0.0
    webhook_deliveries: dict[str, int] = field(default_factory=dict)
    # Incidents opened in the last 24 hours and their alerts, by monitored service (the noisiest ones).
    service_incidents: dict[str, int] = field(default_factory=dict)
    service_alerts: dict[str, int] = field(default_factory=dict)


@dataclass
class StreamReadings:
    pending: int
    length: int


async def read_database(
    connection: AsyncConnection, *, mtta_buckets: list[float], mttr_buckets: list[float]
) -> DatabaseReadings:
    """Open incidents, MTTA/MTTR histograms and means, the outbox, escalations and webhook deliveries."""
    opened = {(severity, status): 0 for severity in SEVERITIES for status in OPEN_STATUSES}
    rows = await connection.execute(
        text("SELECT severity, status, count(*) FROM incidents WHERE status <> 'resolved' GROUP BY 1, 2")
    )
    opened.update({(severity, status): count for severity, status, count in rows})
    mtta, mttr, mtta_mean, mttr_mean = await _durations(connection, mtta_buckets, mttr_buckets)
    outbox = (
        await connection.execute(
            text(
                "SELECT count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0)"
                " FROM outbox_events WHERE published_at IS NULL"
            )
        )
    ).one()
    # The oldest deadline the escalation worker has not fired yet: a stuck worker shows as a growing age.
    due = (
        await connection.execute(
            text(
                "SELECT count(*), coalesce(extract(epoch FROM now() - min(next_escalation_at)), 0)"
                " FROM incidents WHERE next_escalation_at <= now()"
            )
        )
    ).one()
    deliveries = dict.fromkeys(DELIVERY_STATUSES, 0)
    rows = await connection.execute(text("SELECT status, count(*) FROM webhook_deliveries GROUP BY 1"))
    deliveries.update(dict(rows.tuples().all()))
    by_service = (
        await connection.execute(
            text(
                "SELECT service, count(*), sum(alert_count) FROM incidents"
                " WHERE created_at >= now() - interval '24 hours' GROUP BY 1"
            )
        )
    ).all()
    return DatabaseReadings(
        opened,
        mtta,
        mttr,
        mtta_mean,
        mttr_mean,
        outbox_pending=outbox[0],
        outbox_lag_seconds=float(outbox[1]),
        escalations_due=due[0],
        escalation_lag_seconds=float(due[1]),
        webhook_deliveries=deliveries,
        service_incidents={service: incidents for service, incidents, _ in by_service},
        service_alerts={service: int(alerts) for service, _, alerts in by_service},
    )


def _histogram_columns(column: str, name: str, buckets: list[float]) -> list[str]:
    bounds = [f"count(*) FILTER (WHERE {column} <= :{name}_{i})" for i in range(len(buckets))]
    return [*bounds, f"count({column})", f"coalesce(sum({column}), 0)"]


def _mean_columns(column: str, at: str) -> list[str]:
    return [f"avg({column}) FILTER (WHERE {at} >= now() - interval '{span}')" for span in WINDOWS.values()]


async def _durations(
    connection: AsyncConnection, mtta_buckets: list[float], mttr_buckets: list[float]
) -> tuple[Histogram, Histogram, dict[str, float], dict[str, float]]:
    """Both histograms and the windows' means in one pass over incidents (every path that acknowledges
    or resolves sets mtta_seconds / mttr_seconds, so all of them count)."""
    columns = [
        *_histogram_columns("mtta_seconds", "a", mtta_buckets),
        *_histogram_columns("mttr_seconds", "r", mttr_buckets),
        *_mean_columns("mtta_seconds", "acknowledged_at"),
        *_mean_columns("mttr_seconds", "resolved_at"),
    ]
    bounds = {f"a_{i}": b for i, b in enumerate(mtta_buckets)} | {
        f"r_{i}": b for i, b in enumerate(mttr_buckets)
    }
    row = list((await connection.execute(text(f"SELECT {', '.join(columns)} FROM incidents"), bounds)).one())  # nosec B608 - columns built here, bounds bound
    mtta, row = _histogram(mtta_buckets, row), row[len(mtta_buckets) + 2 :]
    mttr, row = _histogram(mttr_buckets, row), row[len(mttr_buckets) + 2 :]
    means = [_present(dict(zip(WINDOWS, row[i : i + len(WINDOWS)], strict=True))) for i in (0, len(WINDOWS))]
    return mtta, mttr, means[0], means[1]


def _histogram(buckets: list[float], row: list[Any]) -> Histogram:
    n = len(buckets)
    return Histogram(list(zip(buckets, row[:n], strict=True)), count=row[n], total=float(row[n + 1]))


def _present(means: dict[str, Any]) -> dict[str, float]:
    return {window: float(value) for window, value in means.items() if value is not None}


async def read_stream(redis: Redis, *, stream: str, group: str) -> StreamReadings:
    """The notifier's group's entries delivered but not acknowledged, and the stream's length; 0 before
    the stream or the group exists."""
    length = await redis.xlen(stream)
    try:
        summary = await redis.xpending(stream, group)
    except ResponseError as error:
        if "NOGROUP" not in str(error):
            raise
        return StreamReadings(pending=0, length=length)
    return StreamReadings(pending=int(summary["pending"]), length=length)
