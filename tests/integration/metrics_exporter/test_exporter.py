"""The exporter reads the database and the stream as Prometheus metrics, checked against seeded rows."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from shared.timeutil import utcnow
from tests.prometheus import samples, value

pytestmark = pytest.mark.integration

_OUTBOX = "INSERT INTO outbox_events (event_id, type, payload, created_at) VALUES (:id, 'x', '{}', :at)"
_INCIDENT = (
    "INSERT INTO incidents (id, title, service, severity, status, assignment_pending, alert_count,"
    " duplicate_count, created_at, updated_at, acknowledged_at, resolved_at, mtta_seconds, mttr_seconds)"
    " VALUES (:id, 't', 'checkout', :severity, :status, false, 1, 0, :created, :created, :acked, :resolved,"
    " :mtta, :mttr)"
)


async def _seed(database_url: str) -> None:
    now = utcnow()
    rows = [
        {
            "severity": "critical",
            "status": "open",
            "acked": None,
            "resolved": None,
            "mtta": None,
            "mttr": None,
        },
        {
            "severity": "high",
            "status": "acknowledged",
            "acked": now,
            "resolved": None,
            "mtta": 45.0,
            "mttr": None,
        },
        {
            "severity": "warning",
            "status": "resolved",
            "acked": now,
            "resolved": now,
            "mtta": 100.0,
            "mttr": 500.0,
        },
    ]
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as connection:
            for row in rows:
                await connection.execute(text(_INCIDENT), row | {"id": uuid.uuid4(), "created": now})
            await connection.execute(
                text(_OUTBOX),
                {"id": uuid.uuid4(), "at": now - timedelta(seconds=30)},
            )
    finally:
        await engine.dispose()


async def test_scrape_reports_incidents_durations_and_outbox_from_the_database(database_url, exporter):
    await _seed(database_url)
    async with exporter(database_url) as client:
        reply = await client.get("/metrics")
    assert reply.status_code == 200
    found = samples(reply.text)
    assert value(found, "oncall_exporter_up", backend="database") == 1
    assert value(found, "open_incidents", severity="critical", status="open") == 1
    assert value(found, "open_incidents", severity="high", status="acknowledged") == 1
    assert value(found, "open_incidents", severity="warning", status="open") == 0
    assert value(found, "incident_mtta_seconds_bucket", le="30.0") == 0
    assert value(found, "incident_mtta_seconds_bucket", le="60.0") == 1
    assert value(found, "incident_mtta_seconds_bucket", le="120.0") == 2
    assert value(found, "incident_mtta_seconds_bucket", le="+Inf") == 2
    assert value(found, "incident_mtta_seconds_count") == 2
    assert value(found, "incident_mtta_seconds_sum") == 145
    assert value(found, "incident_mttr_seconds_bucket", le="300.0") == 0
    assert value(found, "incident_mttr_seconds_bucket", le="600.0") == 1
    assert value(found, "incident_mttr_seconds_sum") == 500
    assert value(found, "incident_mtta_mean_seconds", window="1h") == 72.5
    assert value(found, "incident_mttr_mean_seconds", window="24h") == 500
    assert value(found, "outbox_pending") == 1
    assert 29 <= value(found, "outbox_lag_seconds") < 120
    assert value(found, "webhook_deliveries", status="dead") == 0
    assert value(found, "service_incidents_24h", service="checkout") == 3
    assert value(found, "service_alerts_24h", service="checkout") == 3


async def test_pending_entries_are_the_notifier_groups_unacknowledged_reads(database_url, exporter):
    async with exporter(database_url) as client:
        redis, stream = client.runtime.redis, client.runtime.settings.events_stream
        before = samples((await client.get("/metrics")).text)  # neither the stream nor the group exists
        await redis.xgroup_create(stream, "notifier", id="0", mkstream=True)
        for n in range(3):
            await redis.xadd(stream, {"n": str(n)})
        await redis.xreadgroup("notifier", "reader", {stream: ">"}, count=2)
        after = samples((await client.get("/metrics")).text)
        await redis.delete(stream)
    assert value(before, "event_stream_pending_entries") == 0
    assert value(after, "event_stream_pending_entries") == 2
    assert value(after, "event_stream_entries") == 3
    assert value(after, "oncall_exporter_up", backend="redis") == 1


async def test_scrapes_within_the_cache_reuse_one_reading(database_url, exporter):
    async with exporter(database_url, scrape_cache_seconds=60) as client:
        first = samples((await client.get("/metrics")).text)
        await _seed(database_url)
        second = samples((await client.get("/metrics")).text)
    assert value(first, "open_incidents", severity="critical", status="open") == 0
    assert value(second, "open_incidents", severity="critical", status="open") == 0


async def test_database_outage_answers_the_scrape_with_up_zero(exporter):
    unreachable = "postgresql+asyncpg://postgres@127.0.0.1:9/oncall"
    async with exporter(unreachable) as client:
        reply = await client.get("/metrics")
        health = await client.get("/health")
    assert reply.status_code == 200
    found = samples(reply.text)
    assert value(found, "oncall_exporter_up", backend="database") == 0
    assert not any(name == "open_incidents" for name, _ in found)
    assert health.status_code == 503 and "database" in health.json()["down"]
