"""Response metrics over incidents (how fast the team acknowledges and resolves), named as PagerDuty's
analytics API names them.

The times are the ones stored when an incident moves: `mtta_seconds` at its first acknowledgement,
`mttr_seconds` at its resolution, both from its creation; an incident counts in the window it was created
in. One aggregate over the window's incidents gives each group's counts and sums; the totals are
summed from the groups (a mean from the summed sums and counts), so the window is read once. Groups with
no incident are left out. Means only, as PagerDuty gives: exact percentiles sort every value, which tripled
the time on 100,000 incidents (`docs/performance.md`).
"""

from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Row, Select, func, literal_column, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.incident_management.schemas import (
    MAX_ANALYTICS_DAYS,
    AnalyticsQuery,
    IncidentAnalytics,
    IncidentMetrics,
    MetricsGroup,
)
from shared.errors import InvalidInput
from shared.models import Incident
from shared.timeutil import rfc3339

DEFAULT_WINDOW = timedelta(days=30)


@dataclass(slots=True)
class _Sums:
    """What the database adds up per group; metrics come from it, and so do totals, by adding groups."""

    incidents: int = 0
    open: int = 0
    acknowledged: int = 0
    resolved: int = 0
    escalated: int = 0
    alerts: int = 0
    ack_seconds: float = 0.0
    acks_timed: int = 0
    resolve_seconds: float = 0.0
    resolves_timed: int = 0

    def add(self, other: "_Sums") -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def metrics(self) -> dict:
        return {
            "total_incident_count": self.incidents,
            "total_incidents_open": self.open,
            "total_incidents_acknowledged": self.acknowledged,
            "total_incidents_resolved": self.resolved,
            "total_incidents_escalated": self.escalated,
            "total_alert_count": self.alerts,
            "mean_seconds_to_first_ack": _mean(self.ack_seconds, self.acks_timed),
            "mean_seconds_to_resolve": _mean(self.resolve_seconds, self.resolves_timed),
        }


_SUMS = [
    func.count().label("incidents"),
    func.count().filter(Incident.status != "resolved").label("open"),
    func.count(Incident.acknowledged_at).label("acknowledged"),
    func.count(Incident.resolved_at).label("resolved"),
    # Level 0 is the first one paged: a later level, or the policy run again, is an escalation.
    func.count().filter(or_(Incident.escalation_level > 0, Incident.escalation_cycle > 0)).label("escalated"),
    func.coalesce(func.sum(Incident.alert_count), 0).label("alerts"),
    func.coalesce(func.sum(Incident.mtta_seconds), 0.0).label("ack_seconds"),
    func.count(Incident.mtta_seconds).label("acks_timed"),
    func.coalesce(func.sum(Incident.mttr_seconds), 0.0).label("resolve_seconds"),
    func.count(Incident.mttr_seconds).label("resolves_timed"),
]


def window(query: AnalyticsQuery, *, now: datetime) -> tuple[datetime, datetime]:
    """[since, until): until defaults to now, since to 30 days before until; at most 366 days long."""
    until = query.until or now
    since = query.since or until - DEFAULT_WINDOW
    if since >= until:
        raise InvalidInput("since must be before until", field="since")
    if until - since > timedelta(days=MAX_ANALYTICS_DAYS):
        raise InvalidInput(f"since and until may be at most {MAX_ANALYTICS_DAYS} days apart", field="since")
    return since, until


def _conditions(query: AnalyticsQuery, since: datetime, until: datetime) -> list[ColumnElement]:
    conditions = [Incident.created_at >= since, Incident.created_at < until]
    if query.service:
        conditions.append(Incident.service == query.service)
    if query.severity:
        conditions.append(Incident.severity == query.severity)
    return conditions


def _statement(query: AnalyticsQuery, since: datetime, until: datetime) -> Select:
    conditions = _conditions(query, since, until)
    match query.group_by:
        case None:
            return select(*_SUMS).where(*conditions)
        case "service" | "severity" as column:
            key = Incident.__table__.c[column]
            return select(key.label("key"), *_SUMS).where(*conditions).group_by(key).order_by(key)
        case unit:
            return _calendar_statement(unit, query.time_zone, conditions)


def _calendar_statement(unit: str, time_zone: str, conditions: list[ColumnElement]) -> Select:
    """Buckets that start at the team's midnight (a day in Paris, not in UTC). Converting each incident's
    time to the zone cost more than the rest of the query, so incidents are first added up per quarter
    hour (plain arithmetic) and only those sums are put into local buckets: every zone's UTC offset, DST
    included, is a whole number of quarter hours."""
    quarter = func.date_bin(_QUARTER_HOUR, Incident.created_at, _ORIGIN)
    quarters = select(quarter.label("at"), *_SUMS).where(*conditions).group_by(quarter).subquery()
    key = func.date_trunc(unit, quarters.c.at, time_zone)
    sums = [func.sum(quarters.c[f.name]).label(f.name) for f in fields(_Sums)]
    return select(key.label("key"), *sums).group_by(key).order_by(key)


_QUARTER_HOUR = literal_column("interval '15 minutes'")
_ORIGIN = literal_column("timestamptz '2000-01-01 00:00:00+00'")
_CALENDAR_UNITS = ("day", "week", "month")

# PostgreSQL cannot estimate how few quarter hours a window's incidents fall into (it plans for one per
# incident), and with its default 4 MB of work_mem it sorted 100,000 of them on disk to add them up rather
# than hash them; given room for the hash table it hashes in memory, 10-20 % faster (docs/performance.md).
# For this transaction only.
_ROOM_TO_HASH = text("SET LOCAL work_mem = '16MB'")


async def incident_analytics(
    session: AsyncSession, query: AnalyticsQuery, *, now: datetime
) -> IncidentAnalytics:
    since, until = window(query, now=now)
    if query.group_by in _CALENDAR_UNITS:
        await session.execute(_ROOM_TO_HASH)
    rows = (await session.execute(_statement(query, since, until))).all()
    totals, groups = _Sums(), []
    for row in rows:
        sums = _sums(row)
        totals.add(sums)
        if query.group_by is not None:
            groups.append(MetricsGroup(key=_key_text(row.key), **sums.metrics()))
    return IncidentAnalytics(
        since=rfc3339(since),
        until=rfc3339(until),
        service=query.service,
        severity=query.severity,
        group_by=query.group_by,
        time_zone=query.time_zone,
        totals=IncidentMetrics(**totals.metrics()),
        groups=groups,
    )


def _sums(row: Row) -> _Sums:
    """Sums of sums come back as numeric: each field is made its own type again."""
    return _Sums(**{f.name: f.type(getattr(row, f.name)) for f in fields(_Sums)})


def _mean(total: float, count: int) -> float | None:
    return round(total / count, 1) if count else None


def _key_text(key: object) -> str:
    return rfc3339(key) if isinstance(key, datetime) else str(key)
