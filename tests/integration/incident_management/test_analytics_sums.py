"""The per-quarter-hour sums of resolved incidents (migration 0015) against real PostgreSQL: analytics
without a filter read them, so after any mix of changes and folds they must give exactly what the
incidents themselves give. Each test works in a window of its own, decades back, so no other test's
incidents fall into it."""

import asyncio
import itertools
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.incident_management import analytics
from shared.timeutil import rfc3339

pytestmark = pytest.mark.integration
ANALYTICS = "/api/v1/analytics/incidents"


@dataclass
class Seeded:
    """What the test knows of an incident it stored: the figures analytics should count."""

    id: uuid.UUID
    at: datetime
    ack: int | None = None  # seconds to the first acknowledgement
    resolve: int | None = None  # seconds to resolution
    level: int = 0
    alerts: int = 1

    @property
    def status(self) -> str:
        return "resolved" if self.resolve is not None else "acknowledged" if self.ack is not None else "open"


_WRITE = text(
    """
    INSERT INTO incidents (id, title, service, severity, status, alert_count, duplicate_count,
                           assignment_pending, created_at, updated_at, acknowledged_at, resolved_at,
                           mtta_seconds, mttr_seconds, escalation_level)
    VALUES (:id, 'seeded', :service, 'critical', :status, :alerts, 0, false, :at, :at, :acked_at,
            :resolved_at, :ack, :resolve, :level)
    ON CONFLICT (id) DO UPDATE
    SET status = EXCLUDED.status, alert_count = EXCLUDED.alert_count, updated_at = now(),
        acknowledged_at = EXCLUDED.acknowledged_at, resolved_at = EXCLUDED.resolved_at,
        mtta_seconds = EXCLUDED.mtta_seconds, mttr_seconds = EXCLUDED.mttr_seconds,
        escalation_level = EXCLUDED.escalation_level
    """
)


def _values(incident: Seeded) -> dict:
    def after(seconds: int | None) -> datetime | None:
        return None if seconds is None else incident.at + timedelta(seconds=seconds)

    return {
        "id": incident.id,
        "service": "svc-sums",
        "status": incident.status,
        "alerts": incident.alerts,
        "at": incident.at,
        "acked_at": after(incident.ack),
        "resolved_at": after(incident.resolve),
        "ack": incident.ack,
        "resolve": incident.resolve,
        "level": incident.level,
    }


async def write(stack, *incidents: Seeded) -> None:
    async with stack.runtime.engine.begin() as connection:
        for incident in incidents:
            await connection.execute(_WRITE, _values(incident))


async def delete(stack, incident: Seeded) -> None:
    async with stack.runtime.engine.begin() as connection:
        await connection.execute(text("DELETE FROM incidents WHERE id = :id"), {"id": incident.id})


async def fold(stack) -> int:
    async with AsyncSession(stack.runtime.engine) as session, session.begin():
        return await analytics.fold_sums(session)


def metrics(incidents: list[Seeded]) -> dict:
    """PagerDuty's figures for these incidents, computed here from what was stored."""
    acks = [i.ack for i in incidents if i.ack is not None]
    resolves = [i.resolve for i in incidents if i.resolve is not None]
    return {
        "total_incident_count": len(incidents),
        "total_incidents_open": sum(i.status != "resolved" for i in incidents),
        "total_incidents_acknowledged": len(acks),
        "total_incidents_resolved": len(resolves),
        "total_incidents_escalated": sum(i.level > 0 for i in incidents),
        "total_alert_count": sum(i.alerts for i in incidents),
        "mean_seconds_to_first_ack": round(sum(acks) / len(acks), 1) if acks else None,
        "mean_seconds_to_resolve": round(sum(resolves) / len(resolves), 1) if resolves else None,
    }


def days(incidents: list[Seeded], zone: str) -> list[dict]:
    """Day buckets as analytics gives them: keyed by the zone's midnight, in UTC."""
    by_day: dict[datetime, list[Seeded]] = {}
    for incident in incidents:
        local = incident.at.astimezone(ZoneInfo(zone)).date()
        by_day.setdefault(datetime.combine(local, time(0), tzinfo=ZoneInfo(zone)), []).append(incident)
    return [{"key": rfc3339(day)} | metrics(by_day[day]) for day in sorted(by_day)]


_WEEKS = itertools.count(uuid.uuid4().int % 1000)  # a different week for each test of the session


@pytest.fixture
def base() -> datetime:
    """The start of a quarter hour decades back, a different one in each test."""
    return datetime(1980, 1, 1, tzinfo=UTC) + timedelta(days=7 * next(_WEEKS))


async def check(stack, params: dict, inside: list[Seeded], zone: str) -> None:
    totals = (await stack.http.get(ANALYTICS, params=params)).json()
    assert totals["totals"] == metrics(inside) and totals["groups"] == []
    daily = (await stack.http.get(ANALYTICS, params=params | {"group_by": "day", "time_zone": zone})).json()
    assert daily["totals"] == metrics(inside)
    assert daily["groups"] == days(inside, zone)


async def test_figures_without_a_filter_are_the_incidents_own_through_changes_and_folds(incidents, base):
    """Random incidents around a window whose ends fall inside quarter hours, then every kind of change a
    resolved incident can see (resolved, reopened, its counts changed, deleted), with folds between."""
    rng = random.Random(base.toordinal())
    since, until = base + timedelta(minutes=7), base + timedelta(days=2, minutes=22)
    params = {"since": since.isoformat(), "until": until.isoformat()}
    zone = "Asia/Kolkata"  # UTC+5:30: its midnights fall on the half hour

    def any_time() -> datetime:
        edges = [since, since + timedelta(minutes=8), until - timedelta(minutes=7), until]
        near = rng.choice(edges) + timedelta(seconds=rng.randint(-600, 600))
        return rng.choice([near, base + timedelta(seconds=rng.randint(-3600, 2 * 86400 + 3600))])

    def random_state(incident: Seeded) -> None:
        incident.ack = rng.choice([None, rng.randint(1, 900)])
        incident.resolve = rng.choice([None, rng.randint(1, 3600)])  # resolved unacknowledged happens too
        incident.level, incident.alerts = rng.choice([0, 0, 1, 2]), rng.randint(1, 9)

    stored = [Seeded(uuid.uuid4(), any_time()) for _ in range(80)]
    for incident in stored:
        random_state(incident)
    await write(incidents, *stored)
    assert (
        sum(i.status == "resolved" for i in stored) > 20 and sum(i.status != "resolved" for i in stored) > 10
    )

    def inside() -> list[Seeded]:
        return [i for i in stored if since <= i.at < until]

    await check(incidents, params, inside(), zone)  # appended rows only
    await fold(incidents)
    await check(incidents, params, inside(), zone)

    for round_ in range(3):
        for incident in rng.sample(stored, 30):
            random_state(incident)  # resolves, reopens, changes a resolved one's figures
        await write(incidents, *stored)
        for incident in rng.sample([i for i in stored if i.status == "resolved"], 3):
            await delete(incidents, incident)
            stored.remove(incident)
        await check(incidents, params, inside(), zone)
        if round_ != 1:
            await fold(incidents)
            await check(incidents, params, inside(), zone)


async def test_changes_that_count_nothing_append_nothing(incidents, base):
    """An open incident's changes (every alert that joins one) fire no trigger; a resolved incident's
    change adds a row only when a counted figure changes. In a transaction rolled back at the end."""
    quarter = base + timedelta(minutes=15)
    count = text("SELECT count(*) FROM incident_quarter_sums WHERE quarter = :quarter")
    incident = Seeded(uuid.uuid4(), quarter + timedelta(minutes=3))
    async with incidents.runtime.engine.connect() as connection:
        transaction = await connection.begin()

        async def rows_after(change: str) -> int:
            await connection.execute(text(change), {"id": incident.id})
            return await connection.scalar(count, {"quarter": quarter})

        await connection.execute(_WRITE, _values(incident))
        assert await rows_after("UPDATE incidents SET alert_count = alert_count + 1 WHERE id = :id") == 0
        assert await rows_after("UPDATE incidents SET status = 'acknowledged' WHERE id = :id") == 0
        assert (
            await rows_after("UPDATE incidents SET status = 'resolved', mttr_seconds = 60 WHERE id = :id")
            == 1
        )
        assert await rows_after("UPDATE incidents SET updated_at = now(), title = 'x' WHERE id = :id") == 1
        assert await rows_after("UPDATE incidents SET alert_count = alert_count + 1 WHERE id = :id") == 3
        assert await rows_after("DELETE FROM incidents WHERE id = :id") == 4
        sums = text(
            "SELECT sum(incidents), sum(alerts), sum(resolve_seconds)"
            " FROM incident_quarter_sums WHERE quarter = :q"
        )
        assert tuple((await connection.execute(sums, {"q": quarter})).one()) == (0, 0, 0.0)
        await transaction.rollback()


async def test_resolutions_beside_folds_are_each_counted_once(incidents, base):
    """Transactions resolving incidents of the same quarters in different orders, while two folds run
    again and again: no transaction waits on another's sums or deadlocks, and every figure is counted once."""
    since, until = base, base + timedelta(hours=2)
    stored = [Seeded(uuid.uuid4(), base + timedelta(minutes=15 * (n % 4), seconds=n)) for n in range(120)]
    await write(incidents, *stored)
    rng = random.Random(base.toordinal())
    batches = [stored[n : n + 3] for n in range(0, len(stored), 3)]  # three quarters apart each

    async def resolve(share: list[list[Seeded]]) -> None:
        for batch in share:
            for incident in rng.sample(batch, len(batch)):
                incident.ack, incident.resolve, incident.alerts = 30, 600, 2
            await write(incidents, *rng.sample(batch, len(batch)))

    async def keep_folding() -> int:
        folded = 0
        while not done.is_set():
            folded += await fold(incidents)
        return folded

    done = asyncio.Event()
    folders = [asyncio.create_task(keep_folding()) for _ in range(2)]
    await asyncio.gather(*(resolve(batches[n::4]) for n in range(4)))
    done.set()
    await asyncio.gather(*folders)
    await fold(incidents)

    body = (
        await incidents.http.get(ANALYTICS, params={"since": since.isoformat(), "until": until.isoformat()})
    ).json()
    assert body["totals"] == metrics(stored)
    assert body["totals"]["total_incidents_resolved"] == 120 and body["totals"]["total_alert_count"] == 240
    rows = text(
        "SELECT count(*) FILTER (WHERE NOT folded), count(*) FROM incident_quarter_sums"
        " WHERE quarter >= :since AND quarter < :until"
    )
    async with incidents.runtime.engine.connect() as connection:
        appended, kept = (await connection.execute(rows, {"since": since, "until": until})).one()
    assert appended == 0 and 4 <= kept <= 8  # a quarter folded by both folds at once keeps two rows
