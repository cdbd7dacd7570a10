"""The retention job of the notifier: webhook deliveries that ended (delivered or dead) more than
DELIVERY_RETENTION_DAYS after their creation go with their attempts, and emails sent, skipped or dead more
than EMAIL_RETENTION_DAYS after theirs. Pending deliveries and emails are never deleted.

The rows' unique keys make a redelivered stream entry notify nothing twice. The consumer group redelivers
only entries still pending (reclaimed after CLAIM_IDLE_SECONDS), so windows of days leave a wide margin;
a new consumer group started at 0 (CONSUMER_GROUP_START) would re-read the kept stream and notify again
the events whose rows are gone.
"""

import logging
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.aio import run_every
from shared.retention import Purge, RetentionStatus, run_pass
from shared.timeutil import utcnow

log = logging.getLogger(__name__)

# Attempts are deleted by the statement itself (not left to ON DELETE CASCADE) so that the pass counts them.
DELIVERIES = Purge(
    "webhook_deliveries",
    text(
        """
        WITH doomed AS (
            SELECT id FROM webhook_deliveries
             WHERE status IN ('delivered', 'dead') AND created_at < :cutoff
             LIMIT :batch FOR UPDATE SKIP LOCKED
        ), attempts AS (
            DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM doomed) RETURNING 1
        ), deleted AS (
            DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM doomed) RETURNING 1
        )
        SELECT (SELECT count(*) FROM deleted) AS webhook_deliveries,
               (SELECT count(*) FROM attempts) AS webhook_attempts
        """
    ),
)

EMAILS = Purge(
    "email_notifications",
    text(
        """
        WITH deleted AS (
            DELETE FROM email_notifications
             WHERE id IN (SELECT id FROM email_notifications
                           WHERE status IN ('sent', 'skipped', 'dead') AND created_at < :cutoff
                           LIMIT :batch FOR UPDATE SKIP LOCKED)
            RETURNING 1
        )
        SELECT count(*) AS email_notifications FROM deleted
        """
    ),
)


def jobs(now: datetime, *, delivery_days: float, email_days: float) -> list[tuple[Purge, datetime]]:
    """What a pass at `now` deletes, each with its cutoff."""
    return [(DELIVERIES, now - timedelta(days=delivery_days)), (EMAILS, now - timedelta(days=email_days))]


async def run_retention(
    engine: AsyncEngine,
    status: RetentionStatus,
    *,
    delivery_days: float,
    email_days: float,
    batch: int,
    interval: float,
) -> None:
    """Forever: a pass every `interval` seconds; a failed pass is logged and shown in /health."""

    async def one_pass() -> None:
        todo = jobs(utcnow(), delivery_days=delivery_days, email_days=email_days)
        await run_pass(engine, todo, batch=batch, status=status, log=log)

    await run_every(interval, one_pass, log=log, failed="retention pass failed")
