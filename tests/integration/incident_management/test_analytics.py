"""GET /api/v1/analytics/incidents against real PostgreSQL: counts, MTTA/MTTR, groups, calendar buckets."""

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from services.incident_management import analytics
from services.incident_management.schemas import AnalyticsQuery
from tests.integration.incident_fixtures import alert
from tests.integration.incident_fixtures import seed_incident as seed

pytestmark = pytest.mark.integration
ANALYTICS = "/api/v1/analytics/incidents"


def window(start: datetime, days: int = 3) -> dict[str, str]:
    return {"since": start.isoformat(), "until": (start + timedelta(days=days)).isoformat()}


@pytest.fixture
def start() -> datetime:
    """A window of its own for each test: incidents other tests open now fall outside it."""
    return datetime(2020, 1, 1, tzinfo=UTC) + timedelta(days=7 * (uuid.uuid4().int % 600))


async def test_totals_and_per_service_figures(incidents, start):
    a, b = f"svc-a-{uuid.uuid4().hex[:6]}", f"svc-b-{uuid.uuid4().hex[:6]}"
    await seed(incidents, a, start + timedelta(hours=1), ack=60, resolve=600)
    await seed(incidents, a, start + timedelta(hours=2), ack=120, resolve=1200, level=1)
    await seed(incidents, a, start + timedelta(hours=3), ack=300)
    await seed(incidents, a, start + timedelta(hours=4))
    await seed(incidents, b, start + timedelta(hours=5), ack=30, resolve=90, severity="warning")
    await seed(incidents, a, start - timedelta(seconds=1), ack=1, resolve=1)  # before the window

    reply = await incidents.http.get(ANALYTICS, params=window(start) | {"group_by": "service"})
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["group_by"] == "service" and body["since"] == start.isoformat().replace("+00:00", "Z")
    totals = body["totals"]
    assert totals["total_incident_count"] == 5 and totals["total_incidents_open"] == 2  # not resolved
    assert (totals["total_incidents_acknowledged"], totals["total_incidents_resolved"]) == (4, 3)
    assert totals["total_incidents_escalated"] == 1 and totals["total_alert_count"] == 10
    assert totals["mean_seconds_to_first_ack"] == pytest.approx((60 + 120 + 300 + 30) / 4, abs=0.1)
    assert totals["mean_seconds_to_resolve"] == pytest.approx(630.0, abs=0.1)
    by_key = {group["key"]: group for group in body["groups"]}
    assert list(by_key) == sorted([a, b])
    assert by_key[a]["total_incident_count"] == 4 and by_key[a]["total_incidents_resolved"] == 2
    assert by_key[a]["mean_seconds_to_first_ack"] == 160.0 and by_key[a]["mean_seconds_to_resolve"] == 900.0
    assert by_key[b]["mean_seconds_to_resolve"] == 90.0 and by_key[b]["total_incidents_escalated"] == 0

    one = (await incidents.http.get(ANALYTICS, params=window(start) | {"service": b})).json()
    assert one["groups"] == [] and one["totals"]["total_incident_count"] == 1
    warning = (await incidents.http.get(ANALYTICS, params=window(start) | {"severity": "warning"})).json()
    assert warning["totals"]["total_incident_count"] == 1


async def test_day_buckets_follow_the_time_zone(incidents, start):
    service = f"svc-tz-{uuid.uuid4().hex[:6]}"
    await seed(incidents, service, start + timedelta(hours=23, minutes=30), ack=10)
    await seed(incidents, service, start + timedelta(hours=24, minutes=30), ack=20)
    params = window(start) | {"service": service, "group_by": "day"}

    utc = (await incidents.http.get(ANALYTICS, params=params)).json()
    day1, day2 = start, start + timedelta(days=1)
    assert [g["key"] for g in utc["groups"]] == [
        day1.isoformat().replace("+00:00", "Z"),
        day2.isoformat().replace("+00:00", "Z"),
    ]
    assert [g["total_incident_count"] for g in utc["groups"]] == [1, 1]

    # 23:30 and 00:30 UTC are both the same evening in New York (UTC-5 in winter, UTC-4 in summer).
    local = (await incidents.http.get(ANALYTICS, params=params | {"time_zone": "America/New_York"})).json()
    assert local["time_zone"] == "America/New_York"
    assert [g["total_incident_count"] for g in local["groups"]] == [2]
    midnight = datetime.fromisoformat(local["groups"][0]["key"].replace("Z", "+00:00"))
    assert midnight.hour in (4, 5) and midnight.date() == day1.date()
    assert local["groups"][0]["mean_seconds_to_first_ack"] == 15.0


async def test_incidents_acknowledged_and_resolved_through_the_api_are_counted(incidents):
    service = f"svc-live-{uuid.uuid4().hex[:6]}"
    created = await incidents.grpc.IngestAlert(alert(service))
    url = f"/api/v1/incidents/{created.incident_id}"
    assert (await incidents.http.post(f"{url}/acknowledge", json={"actor": "alice"})).status_code == 200
    resolved = (await incidents.http.post(f"{url}/resolve", json={"actor": "alice"})).json()

    body = (await incidents.http.get(ANALYTICS, params={"service": service})).json()  # last 30 days
    totals = body["totals"]
    assert (totals["total_incident_count"], totals["total_incidents_resolved"]) == (1, 1)
    assert totals["mean_seconds_to_first_ack"] == round(resolved["mtta_seconds"], 1)
    assert totals["mean_seconds_to_resolve"] == round(resolved["mttr_seconds"], 1)


async def test_a_window_without_incidents_has_zero_counts_and_no_averages(incidents, start):
    for group_by in (None, "week"):
        params = window(start - timedelta(days=3650), days=1) | ({"group_by": group_by} if group_by else {})
        body = (await incidents.http.get(ANALYTICS, params=params)).json()
        assert body["totals"]["total_incident_count"] == 0 and body["groups"] == []
        assert body["totals"]["mean_seconds_to_first_ack"] is None


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"since": "2026-02-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"}, "since"),
        ({"since": "2024-01-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"}, "since"),
        ({"since": "2026-01-01T00:00:00"}, "since"),  # no offset: which midnight?
        # times no arithmetic can start a window from (the default start would be before year 1)
        ({"until": "0001-01-01T00:00:00Z"}, "until"),
        ({"since": "0001-01-01T00:00:00+14:00", "until": "0001-01-02T00:00:00Z"}, "since"),
        ({"until": "9999-12-31T23:59:59-12:00"}, "until"),
        ({"group_by": "hour"}, "group_by"),
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
        ({"severity": "urgent"}, "severity"),
        ({"sevrity": "critical"}, "sevrity"),
    ],
)
async def test_bad_queries_are_422_naming_the_parameter(incidents, params, named):
    reply = await incidents.http.get(ANALYTICS, params=params)
    assert reply.status_code == 422, reply.text
    assert named in reply.text


async def test_day_buckets_split_at_a_half_hour_zones_midnight(incidents, start):
    """Kolkata is UTC+5:30: 18:29 UTC is 23:59 there, 18:30 UTC is the next day's first minute."""
    service = f"svc-ist-{uuid.uuid4().hex[:6]}"
    for minutes in (29, 30, 31):
        await seed(incidents, service, start + timedelta(hours=18, minutes=minutes))
    params = window(start) | {"service": service, "group_by": "day", "time_zone": "Asia/Kolkata"}
    body = (await incidents.http.get(ANALYTICS, params=params)).json()
    assert [g["total_incident_count"] for g in body["groups"]] == [1, 2]
    first = datetime.fromisoformat(body["groups"][0]["key"].replace("Z", "+00:00"))
    assert (first.hour, first.minute) == (18, 30) and first.date() == (start - timedelta(days=1)).date()


_SEED_MANY = text(
    """
    INSERT INTO incidents (id, title, service, severity, status, alert_count, duplicate_count,
                           assignment_pending, created_at, updated_at, acknowledged_at, resolved_at,
                           mtta_seconds, mttr_seconds, escalation_level)
    SELECT gen_random_uuid(), 'seeded', 'svc-many-' || (i % 200), 'critical', 'resolved', 1, 0, false,
           at, at, at + interval '1 minute', at + interval '10 minutes', 60, 600, 0
      FROM (SELECT i, CAST(:start AS timestamptz) + i * interval '77 seconds' AS at
              FROM generate_series(1, :count) AS i) AS s
    """
)


async def test_calendar_buckets_of_100000_incidents(incidents, start):
    """90 days of 100,000 resolved incidents. Without a filter, day buckets come from the per-quarter sums
    (migration 0015) and read hardly any incident; with one, the incidents' per-quarter-hour sums are hashed
    in memory, not sorted on disk (what PostgreSQL's default work_mem made it do). All in one transaction,
    rolled back."""
    until = start + timedelta(days=90)
    whole = AnalyticsQuery(since=start, until=until, group_by="day")
    filtered = AnalyticsQuery(since=start, until=until, group_by="day", severity="critical")
    async with incidents.runtime.engine.connect() as connection:
        transaction = await connection.begin()
        await connection.execute(_SEED_MANY, {"start": start, "count": 100_000})
        async with AsyncSession(connection) as session:
            await session.execute(text("SELECT fold_incident_quarter_sums()"))
            answers = [await analytics.incident_analytics(session, q, now=until) for q in (whole, filtered)]
            plans = [await _plan(session, q, start, until) for q in (whole, filtered)]
        await transaction.rollback()
    for answer in answers:
        assert answer.totals.total_incident_count == 100_000 and len(answer.groups) == 90
        assert answer.totals.mean_seconds_to_resolve == 600.0
    assert answers[0].groups == answers[1].groups
    read = [
        node.get("Actual Rows", 0) for node in _nodes(plans[0]) if node.get("Relation Name") == "incidents"
    ]
    assert sum(read) < 1_000  # other tests' incidents in the window, at most
    spilled = [
        node["Node Type"]
        for node in _nodes(plans[1])
        if node.get("Temp Written Blocks", 0) or node.get("Sort Space Type") == "Disk"
    ]
    assert spilled == []


async def _plan(session: AsyncSession, query: AnalyticsQuery, since: datetime, until: datetime) -> dict:
    statement = analytics._statement(query, since, until)
    compiled = statement.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
    [plan] = (await session.execute(text(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {compiled}"))).one()
    return plan[0]["Plan"]


def _nodes(plan: dict) -> list[dict]:
    nodes, found = [plan], []
    while nodes:
        node = nodes.pop()
        nodes += node.get("Plans", [])
        found.append(node)
    return found


ALIAS = "/api/v1/incidents/analytics"


async def test_the_incidents_analytics_alias_answers_exactly_as_the_original(incidents, start):
    a, b = f"svc-a-{uuid.uuid4().hex[:6]}", f"svc-b-{uuid.uuid4().hex[:6]}"
    await seed(incidents, a, start + timedelta(hours=1), ack=60, resolve=600)
    await seed(incidents, b, start + timedelta(hours=30), ack=5, severity="warning")
    for params in (
        window(start),
        window(start) | {"group_by": "service"},
        window(start) | {"group_by": "day", "time_zone": "Europe/Paris", "severity": "warning"},
        {"group_by": "hour"},  # refused alike
    ):
        original = await incidents.http.get(ANALYTICS, params=params)
        alias = await incidents.http.get(ALIAS, params=params)
        assert (alias.status_code, alias.json()) == (original.status_code, original.json()), params
    # not taken for an incident id (that route would refuse "analytics" as a UUID with 422)
    assert alias.status_code == 422 and "group_by" in alias.text
    assert (await incidents.http.get(ALIAS, params=window(start))).json()["totals"][
        "total_incident_count"
    ] == 2


@pytest.mark.parametrize(
    "path", [ANALYTICS, ALIAS, "/api/v1/analytics/trends", "/api/v1/analytics/mttr-distribution"]
)
async def test_analytics_need_credentials(incidents, path):
    async with httpx.AsyncClient(base_url=incidents.http.base_url) as anonymous:
        reply = await anonymous.get(path)
    assert reply.status_code == 401 and "credentials required" in reply.json()["detail"]
    assert (await incidents.http.get(path)).status_code == 200  # the same request with them
