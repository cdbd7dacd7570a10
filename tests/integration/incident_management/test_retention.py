"""The retention job of incident-management against real PostgreSQL: old resolved incidents (with their
alerts and timeline) and old relayed outbox events go in batches, everything else stays, and analytics keep
their figures. Seeded rows live decades back and the stack's own windows are a century (the fixture's
settings), so its pass deletes none of them; each test runs passes itself with a `now` just after its
rows."""

import asyncio
import itertools
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import create_async_engine

from services.incident_management import retention
from shared.retention import RetentionStatus, run_pass
from tests.integration.incident_fixtures import alert

pytestmark = pytest.mark.integration
ANALYTICS = "/api/v1/analytics/incidents"

_INCIDENT = text(
    """
    INSERT INTO incidents (id, title, service, severity, status, alert_count, duplicate_count,
                           assignment_pending, created_at, updated_at, acknowledged_at, resolved_at,
                           mtta_seconds, mttr_seconds, escalation_level)
    VALUES (:id, 'seeded', 'svc-retention', 'critical', :status, :alerts, 0, false, :at, :at, :acked_at,
            :resolved_at, :ack, :resolve, :level)
    """
)
_ALERT = text(
    """
    INSERT INTO alerts (id, incident_id, fingerprint, service, severity, summary, source, labels, annotations,
                        occurred_at, received_at, last_seen_at, duplicate_count, status)
    VALUES (gen_random_uuid(), :incident, md5(random()::text), 'svc-retention', 'critical', 'seeded', 'test',
            '{}', '{}', :at, :at, :at, 0, 'firing')
    """
)
_TIMELINE = text(
    "INSERT INTO timeline_entries (incident_id, at, actor, kind, message)"
    " VALUES (:incident, :at, 'test', 'note', 'seeded')"
)
_OUTBOX = text(
    "INSERT INTO outbox_events (event_id, type, payload, created_at, published_at)"
    " VALUES (gen_random_uuid(), 'incident.created', '{}', :at, :published)"
)

_WEEKS = itertools.count(uuid.uuid4().int % 1000)  # up to 19 years on: all before 1975


@pytest.fixture
def base() -> datetime:
    """The start of a quarter hour decades back, a different one in each test."""
    return datetime(1950, 1, 1, tzinfo=UTC) + timedelta(days=7 * next(_WEEKS))


@pytest.fixture
def stack(incidents):
    return incidents


async def seed_incident(
    connection, at: datetime, *, status: str = "resolved", alerts: int = 2, notes: int = 3, n: int = 0
) -> uuid.UUID:
    """An incident created at `at` with its alerts and timeline; resolved ones after 10 minutes + n s."""
    incident = uuid.uuid4()
    resolve = 600 + n if status == "resolved" else None
    ack = 60 + n if status != "open" else None
    await connection.execute(
        _INCIDENT,
        {
            "id": incident,
            "status": status,
            "alerts": alerts,
            "at": at,
            "acked_at": at + timedelta(seconds=ack) if ack else None,
            "resolved_at": at + timedelta(seconds=resolve) if resolve else None,
            "ack": ack,
            "resolve": resolve,
            "level": n % 2,
        },
    )
    for _ in range(alerts):
        await connection.execute(_ALERT, {"incident": incident, "at": at})
    for _ in range(notes):
        await connection.execute(_TIMELINE, {"incident": incident, "at": at})
    return incident


async def counts(stack) -> dict[str, int]:
    tables = ("incidents", "alerts", "timeline_entries", "outbox_events")
    return {t: await stack.scalar(f"SELECT count(*) FROM {t} WHERE {_SEEDED[t]}") for t in tables}


# The seeded rows only (the stack's own alerts and events are of today).
_SEEDED = {
    "incidents": "created_at < '1975-01-01'",
    "alerts": "occurred_at < '1975-01-01'",
    "timeline_entries": "at < '1975-01-01'",
    "outbox_events": "created_at < '1975-01-01'",
}


async def test_old_rows_go_in_batches_and_recent_or_open_ones_stay(stack, database_url, base):
    """7 incidents resolved 100 days before `now` (2 alerts, 3 timeline entries each) and 5 events relayed
    2 days before go, 3 rows per statement; a recent resolved incident, old open and acknowledged ones, a
    recently relayed event and an unpublished old one stay."""
    now = base + timedelta(days=100)
    async with stack.runtime.engine.begin() as connection:
        for n in range(7):
            await seed_incident(connection, base + timedelta(minutes=n), n=n)
        kept = [
            await seed_incident(connection, now - timedelta(days=10)),
            await seed_incident(connection, base, status="open"),
            await seed_incident(connection, base, status="acknowledged"),
        ]
        for _ in range(5):
            await connection.execute(_OUTBOX, {"at": base, "published": now - timedelta(days=2)})
        await connection.execute(_OUTBOX, {"at": base, "published": now - timedelta(hours=1)})
    assert await counts(stack) == {"incidents": 10, "alerts": 20, "timeline_entries": 30, "outbox_events": 6}

    engine = create_async_engine(database_url)  # the pass's own: its transactions are the only ones counted
    transactions = []
    event.listen(engine.sync_engine, "begin", lambda connection: transactions.append(1))
    status = RetentionStatus()
    try:
        jobs = retention.jobs(now, retention_days=90, outbox_hours=24)
        deleted = await run_pass(engine, jobs, batch=3, status=status, log=retention.log)
    finally:
        await engine.dispose()

    expected = {"incidents": 7, "alerts": 14, "timeline_entries": 21, "outbox_events": 5}
    assert deleted == expected and status.deleted == expected and status.error is None
    assert len(transactions) == 3 + 2  # incidents 3+3+1, events 3+2
    assert await counts(stack) == {"incidents": 3, "alerts": 6, "timeline_entries": 9, "outbox_events": 1}
    left = await stack.scalar("SELECT array_agg(id) FROM incidents WHERE created_at < '1975-01-01'")
    assert sorted(left) == sorted(kept)


async def test_analytics_of_whole_quarters_keep_their_figures_after_deletion(stack, base):
    """A day of incidents (resolved, acknowledged, open), then the resolved ones deleted: totals and day
    buckets over the day's whole quarters are the same before and after deletion, folded or not."""
    async with stack.runtime.engine.begin() as connection:
        for n in range(40):
            status = ("resolved", "resolved", "acknowledged", "open")[n % 4]
            await seed_incident(
                connection, base + timedelta(minutes=17 * n), status=status, alerts=1 + n % 3, n=n
            )
    params = {"since": base.isoformat(), "until": (base + timedelta(days=1)).isoformat()}
    daily = params | {"group_by": "day", "time_zone": "Asia/Kolkata"}

    async def figures() -> tuple[dict, dict]:
        totals = (await stack.http.get(ANALYTICS, params=params)).json()
        return totals, (await stack.http.get(ANALYTICS, params=daily)).json()

    before = await figures()
    assert before[0]["totals"]["total_incident_count"] == 40
    assert before[0]["totals"]["total_incidents_resolved"] == 20

    status = RetentionStatus()
    jobs = retention.jobs(base + timedelta(days=100), retention_days=90, outbox_hours=24)
    deleted = await run_pass(stack.runtime.engine, jobs, batch=7, status=status, log=retention.log)
    assert deleted["incidents"] == 20
    assert await stack.scalar("SELECT count(*) FROM incidents WHERE created_at < '1975-01-01'") == 20

    assert await figures() == before  # appended rows not folded yet
    async with stack.runtime.engine.begin() as connection:
        await connection.execute(text("SELECT fold_incident_quarter_sums()"))
    assert await figures() == before


async def test_a_delete_outside_retention_still_takes_the_figures_away(stack, base):
    """Only a transaction that set oncall.retention keeps a deleted incident's figures."""
    async with stack.runtime.engine.begin() as connection:
        incident = await seed_incident(connection, base)
    params = {"since": base.isoformat(), "until": (base + timedelta(hours=1)).isoformat()}
    assert (await stack.http.get(ANALYTICS, params=params)).json()["totals"]["total_incident_count"] == 1
    async with stack.runtime.engine.begin() as connection:
        await connection.execute(text("DELETE FROM incidents WHERE id = :id"), {"id": incident})
    assert (await stack.http.get(ANALYTICS, params=params)).json()["totals"]["total_incident_count"] == 0


async def test_a_pass_beside_ingestion_fails_no_alert(stack, base):
    """A pass deleting 300 old incidents 10 at a time while 40 alerts are ingested: every alert is stored."""
    async with stack.runtime.engine.begin() as connection:
        for n in range(300):
            await seed_incident(connection, base + timedelta(seconds=n), alerts=3, notes=2, n=n)
    jobs = retention.jobs(base + timedelta(days=100), retention_days=90, outbox_hours=24)
    status = RetentionStatus()

    async def ingest(k: int) -> str:
        reply = await stack.grpc.IngestAlert(alert(f"svc-live-{k % 4}"))
        return reply.incident_id

    deleted, *ingested = await asyncio.gather(
        run_pass(stack.runtime.engine, jobs, batch=10, status=status, log=retention.log),
        *(ingest(k) for k in range(40)),
    )
    assert deleted["incidents"] == 300 and deleted["alerts"] == 900 and deleted["timeline_entries"] == 600
    assert all(ingested)
    assert await stack.scalar("SELECT count(*) FROM alerts WHERE service LIKE 'svc-live-%'") == 40


async def test_health_shows_the_last_pass(stack):
    """The stack's own pass (at start) is in /health's details: its time and the rows it deleted."""
    for _ in range(50):
        body = (await stack.http.get("/health")).json()
        if body["details"]["retention"]["last_pass_at"]:
            break
        await asyncio.sleep(0.1)
    assert "retention" not in body["checks"]  # a detail decides no status
    pass_ = body["details"]["retention"]
    assert pass_["last_pass_at"] and pass_["error"] is None
    assert pass_["deleted"] == {"alerts": 0, "incidents": 0, "outbox_events": 0, "timeline_entries": 0}
