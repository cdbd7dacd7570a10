"""The retention job of the notifier against real PostgreSQL: webhook deliveries that ended (with their
attempts) and emails sent, skipped or dead go in batches once past their windows; pending ones and recent
ones stay. Seeded rows live decades back (the fixture's windows are a century, so the notifier's own pass
deletes none of them); pending ones are due only in 2100, so no worker touches them."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import create_async_engine

from services.notifier import retention
from shared.retention import RetentionStatus, run_pass

pytestmark = pytest.mark.integration
BASE = datetime(1970, 3, 1, tzinfo=UTC)
NOW = BASE + timedelta(days=100)
NEVER_DUE = datetime(2100, 1, 1, tzinfo=UTC)

_SUBSCRIPTION = text(
    """
    INSERT INTO webhook_subscriptions (id, url, endpoint, description, event_types, services, teams, active,
                                       allow_internal, secret)
    VALUES (:id, 'http://127.0.0.1:9/hook', '127.0.0.1:9', 'retention', '[]', '[]', '[]', false, true,
            'retention-secret')
    """
)
_DELIVERY = text(
    """
    INSERT INTO webhook_deliveries (id, subscription_id, event_id, event_type, payload, status, attempts,
                                    next_attempt_at, retry_until, created_at)
    VALUES (:id, :subscription, gen_random_uuid(), 'incident.created', '{}', :status, 2, :due, :due, :at)
    """
)
_ATTEMPT = text(
    "INSERT INTO webhook_attempts (delivery_id, attempted_at, status_code, latency_ms)"
    " VALUES (:delivery, :at, 200, 12.5)"
)
_EMAIL = text(
    """
    INSERT INTO email_notifications (id, event_id, event_type, recipient, payload, status, attempts,
                                     next_attempt_at, retry_until, created_at)
    VALUES (gen_random_uuid(), gen_random_uuid(), 'incident.created', 'a@example.org', '{}', :status, 1,
            :due, :due, :at)
    """
)
_LEFT = {
    "webhook_deliveries": "SELECT status, count(*) FROM webhook_deliveries GROUP BY 1",
    "webhook_attempts": "SELECT 'all', count(*) FROM webhook_attempts",
    "email_notifications": "SELECT status, count(*) FROM email_notifications GROUP BY 1",
}


async def seed(connection) -> None:
    """7 old ended deliveries (2 attempts each), an old pending one, a recent delivered one; 5 old emails
    that ended, an old pending one, a recent sent one."""
    subscription = uuid.uuid4()
    await connection.execute(_SUBSCRIPTION, {"id": subscription})
    deliveries = [("delivered", BASE)] * 4 + [("dead", BASE)] * 3
    deliveries += [("pending", BASE), ("delivered", NOW - timedelta(days=10))]
    for status, at in deliveries:
        delivery = uuid.uuid4()
        due = NEVER_DUE if status == "pending" else at
        values = {"id": delivery, "subscription": subscription, "status": status, "at": at, "due": due}
        await connection.execute(_DELIVERY, values)
        for _ in range(2):
            await connection.execute(_ATTEMPT, {"delivery": delivery, "at": at})
    emails = [("sent", BASE)] * 3 + [("skipped", BASE), ("dead", BASE)]
    emails += [("pending", BASE), ("sent", NOW - timedelta(days=10))]
    for status, at in emails:
        due = NEVER_DUE if status == "pending" else at
        await connection.execute(_EMAIL, {"status": status, "at": at, "due": due})


async def left(engine) -> dict[str, dict[str, int]]:
    async with engine.connect() as connection:
        return {
            table: {status: count for status, count in await connection.execute(text(sql))}
            for table, sql in _LEFT.items()
        }


async def test_ended_deliveries_and_emails_go_in_batches_and_pending_or_recent_ones_stay(database_url):
    engine = create_async_engine(database_url)
    transactions = []
    event.listen(engine.sync_engine, "begin", lambda connection: transactions.append(1))
    try:
        async with engine.begin() as connection:
            await seed(connection)
        transactions.clear()
        status = RetentionStatus()
        jobs = retention.jobs(NOW, delivery_days=30, email_days=30)
        deleted = await run_pass(engine, jobs, batch=3, status=status, log=retention.log)
        batches = len(transactions)
        remaining = await left(engine)
    finally:
        await engine.dispose()

    expected = {"webhook_deliveries": 7, "webhook_attempts": 14, "email_notifications": 5}
    assert deleted == expected and status.deleted == expected and status.error is None
    assert batches == 3 + 2  # deliveries 3+3+1, emails 3+2
    assert remaining == {
        "webhook_deliveries": {"pending": 1, "delivered": 1},
        "webhook_attempts": {"all": 4},
        "email_notifications": {"pending": 1, "sent": 1},
    }


async def test_health_shows_the_last_pass(start_notifier):
    """The notifier's own pass (at start) is in /health's details: its time and the rows it deleted."""
    notifier = await start_notifier()
    for _ in range(50):
        body = (await notifier.http.get("/health")).json()
        if body["details"]["retention"]["last_pass_at"]:
            break
        await asyncio.sleep(0.1)
    pass_ = body["details"]["retention"]
    assert pass_["last_pass_at"] and pass_["error"] is None
    assert pass_["deleted"] == {"email_notifications": 0, "webhook_attempts": 0, "webhook_deliveries": 0}
