"""Response metrics over incidents (how fast the team acknowledges and resolves), named as PagerDuty's
analytics API names them.

The times are the ones stored when an incident moves: `mtta_seconds` at its first acknowledgement,
`mttr_seconds` at its resolution, both from its creation; an incident counts in the window it was created
in. One aggregate over the window's incidents gives each group's counts and sums; the totals are
summed from the groups (a mean from the summed sums and counts), so the window is read once. Without a
service or severity filter, totals and calendar buckets take resolved incidents from sums kept per
quarter hour (`incident_quarter_sums`), so their cost does not grow with the history. Groups with no
incident are left out. Means only, as PagerDuty gives: exact percentiles sort every value, which tripled
the time on 100,000 incidents (`docs/performance.md`).
"""

import logging
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    ColumnClause,
    ColumnElement,
    Row,
    Select,
    Subquery,
    func,
    literal_column,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.incident_management.models import Incident, IncidentQuarterSums
from services.incident_management.schemas import (
    MAX_ANALYTICS_DAYS,
    AnalyticsQuery,
    IncidentAnalytics,
    IncidentMetrics,
    MetricsGroup,
)
from shared.aio import run_every
from shared.errors import InvalidInput
from shared.timeutil import rfc3339

log = logging.getLogger(__name__)
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

    def metrics(self) -> dict[str, Any]:
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


# What each incident adds; migration 0015's COUNTED says the same in SQL for `incident_quarter_sums`, and a
# test compares the two on the same incidents.
_SUMS: list[ColumnElement[Any]] = [
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


def _conditions(query: AnalyticsQuery, since: datetime, until: datetime) -> list[ColumnElement[bool]]:
    conditions = [Incident.created_at >= since, Incident.created_at < until]
    if query.service:
        conditions.append(Incident.service == query.service)
    if query.severity:
        conditions.append(Incident.severity == query.severity)
    return conditions


def _statement(query: AnalyticsQuery, since: datetime, until: datetime) -> Select[Any]:
    match query.group_by:
        case "service" | "severity" as column:
            key = Incident.__table__.c[column]
            conditions = _conditions(query, since, until)
            return select(key.label("key"), *_SUMS).where(*conditions).group_by(key).order_by(key)
        case None if _filtered(query):
            return select(*_SUMS).where(*_conditions(query, since, until))
        case None:
            quarters = _quarters(query, since, until)
            return select(*(func.coalesce(func.sum(quarters.c[name]), 0).label(name) for name in _NAMES))
        case unit:
            return _calendar_statement(unit, query.time_zone, _quarters(query, since, until))


def _filtered(query: AnalyticsQuery) -> bool:
    return bool(query.service or query.severity)


def _quarters(query: AnalyticsQuery, since: datetime, until: datetime) -> Subquery:
    """The window's sums per quarter hour (`at`, its start). With no filter, resolved incidents' sums come
    from `incident_quarter_sums` for the window's whole quarters (migration 0015: kept as incidents change),
    and `incidents` is read only for what those leave out: incidents not resolved (the partial index of
    open ones) and the partial quarters at the window's ends (the index on creation time)."""
    quarter = func.date_bin(_QUARTER_HOUR, Incident.created_at, _ORIGIN)
    conditions = _conditions(query, since, until)
    if _filtered(query):
        return select(quarter.label("at"), *_SUMS).where(*conditions).group_by(quarter).subquery()
    first, end = _whole_quarters(since, until)
    kept = IncidentQuarterSums.__table__.c
    rolled = (
        select(kept.quarter.label("at"), *(func.sum(kept[name]).label(name) for name in _NAMES))
        .where(kept.quarter >= first, kept.quarter < end)
        .group_by(kept.quarter)
    )
    left_out = or_(Incident.status != "resolved", Incident.created_at < first, Incident.created_at >= end)
    live = select(quarter.label("at"), *_SUMS).where(*conditions, left_out).group_by(quarter)
    return union_all(rolled, live).subquery()


def _whole_quarters(since: datetime, until: datetime) -> tuple[datetime, datetime]:
    """[first, end): the quarter hours (UTC, from :00) wholly inside [since, until); first >= end when
    there is none, and then every incident of the window is read from `incidents`."""
    end = _quarter_start(until)
    first = _quarter_start(since)
    return (first if first == since else first + _QUARTER), end


def _quarter_start(at: datetime) -> datetime:
    at = at.astimezone(UTC)
    return at - timedelta(minutes=at.minute % 15, seconds=at.second, microseconds=at.microsecond)


def _calendar_statement(unit: str, time_zone: str, quarters: Subquery) -> Select[Any]:
    """Buckets that start at the team's midnight (a day in Paris, not in UTC). Converting each incident's
    time to the zone cost more than the rest of the query, so incidents are first added up per quarter
    hour (plain arithmetic) and only those sums are put into local buckets: every zone's UTC offset, DST
    included, is a whole number of quarter hours."""
    key = func.date_trunc(unit, quarters.c.at, time_zone)
    sums = [func.sum(quarters.c[name]).label(name) for name in _NAMES]
    # A quarter whose resolved incidents were all taken away again (deleted, or reopened) adds nothing.
    return (
        select(key.label("key"), *sums).group_by(key).having(func.sum(quarters.c.incidents) > 0).order_by(key)
    )


_NAMES = [f.name for f in fields(_Sums)]
_QUARTER = timedelta(minutes=15)
_QUARTER_HOUR: ColumnClause[timedelta] = literal_column("interval '15 minutes'")
# Every incident is after it: PostgreSQL 16.2's date_bin() puts a time before its origin that falls exactly
# on a bin's start into the bin before (fixed in 16.3), and migration 0015 bins with the same origin.
_ORIGIN: ColumnClause[datetime] = literal_column("timestamptz '0001-01-01 00:00:00+00'")

# For this transaction only, before each analytics query. PostgreSQL cannot estimate how few quarter hours
# a window's incidents fall into (it plans for one per incident), and with its default 4 MB of work_mem it
# sorted 100,000 of them on disk to add them up rather than hash them; given room for the hash table it
# hashes in memory, 10-20 % faster (docs/performance.md). And a plan made for these bounds: a generic plan
# of a statement prepared earlier on the connection cannot know how many incidents the window holds, nor
# how few lie outside its whole quarters.
QUERY_SETTINGS = text(
    "SELECT set_config('work_mem', '16MB', true), set_config('plan_cache_mode', 'force_custom_plan', true)"
)


async def incident_analytics(
    session: AsyncSession, query: AnalyticsQuery, *, now: datetime
) -> IncidentAnalytics:
    since, until = window(query, now=now)
    await session.execute(QUERY_SETTINGS)
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


def _sums(row: Row[Any]) -> _Sums:
    """Sums of sums come back as numeric: each field is made its own type again."""
    # Each field's annotation is its class (annotations are not postponed in this module).
    return _Sums(**{f.name: cast("type[Any]", f.type)(getattr(row, f.name)) for f in fields(_Sums)})


def _mean(total: float, count: int) -> float | None:
    return round(total / count, 1) if count else None


def _key_text(key: object) -> str:
    return rfc3339(key) if isinstance(key, datetime) else str(key)


_FOLD = text("SELECT fold_incident_quarter_sums() + fold_incident_counts()")


async def fold_sums(session: AsyncSession) -> int:
    """Replace the rows the triggers appended to `incident_quarter_sums` by one row per quarter hour, and
    those appended to `incident_counts` by one row per key, in the session's transaction; the number of
    rows folded. Safe beside another process folding (each appended row is folded once)."""
    folded: int = await session.scalar(_FOLD)
    return folded


async def run_folding(sessions: async_sessionmaker[AsyncSession], *, interval: float) -> None:
    """Forever: every `interval` seconds, fold what was appended. Until then analytics and the status
    counts add the appended rows up themselves: folding keeps that read short, it changes no figure."""

    async def fold() -> None:
        async with sessions.begin() as session:
            await fold_sums(session)

    await run_every(interval, fold, log=log, failed="folding the analytics sums failed")
