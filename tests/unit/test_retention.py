"""Retention's pure parts: each job's cutoff from `now` and its window, and how a pass shows in /health."""

from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI

from services.incident_management import retention as incident_retention
from services.notifier import retention as notifier_retention
from shared.http import health_router
from shared.retention import RetentionStatus

NOW = datetime(2026, 12, 7, 4, 0, tzinfo=UTC)


def test_incident_management_deletes_incidents_and_relayed_events_past_their_windows():
    jobs = incident_retention.jobs(NOW, retention_days=90, outbox_hours=24)
    assert [(job.table, cutoff, job.keep_sums) for job, cutoff in jobs] == [
        ("incidents", NOW - timedelta(days=90), True),
        ("outbox_events", NOW - timedelta(hours=24), False),
    ]


def test_notifier_deletes_deliveries_and_emails_past_their_windows_without_touching_the_sums():
    jobs = notifier_retention.jobs(NOW, delivery_days=30, email_days=7)
    assert [(job.table, cutoff, job.keep_sums) for job, cutoff in jobs] == [
        ("webhook_deliveries", NOW - timedelta(days=30), False),
        ("email_notifications", NOW - timedelta(days=7), False),
    ]


async def test_health_shows_details_beside_the_checks_and_ready_does_not():
    status = RetentionStatus(last_pass_at=NOW, seconds=0.25, deleted={"incidents": 3})

    async def ok() -> None:
        return None

    app = FastAPI()
    app.include_router(health_router({"database": ok}, details={"retention": status.details}))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        health = (await client.get("/health")).json()
        ready = (await client.get("/health/ready")).json()
    assert health == {
        "status": "ok",
        "checks": {"database": "ok"},
        "details": {
            "retention": {
                "last_pass_at": "2026-12-07T04:00:00Z",
                "seconds": 0.25,
                "deleted": {"incidents": 3},
                "error": None,
            }
        },
    }
    assert ready == {"status": "ok", "checks": {"database": "ok"}}
