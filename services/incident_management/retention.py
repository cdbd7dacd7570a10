"""The retention job of incident-management: incidents resolved more than RETENTION_DAYS ago go, with their
alerts and timeline, and so do outbox events relayed more than OUTBOX_RETENTION_HOURS ago.

The incidents' figures stay in the analytics sums (`SET LOCAL oncall.retention = on`, migration 0017), so
analytics without a filter give the same figures for the whole quarter hours they covered. Open and
acknowledged incidents are never deleted, however old. An event still waiting for the relay
(`published_at IS NULL`) is never deleted either.
"""

import logging
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.aio import run_every
from shared.retention import Purge, RetentionStatus, run_pass
from shared.timeutil import utcnow

log = logging.getLogger(__name__)

# Alerts and timeline entries are deleted by the statement itself (not left to ON DELETE CASCADE) so that
# the pass can count them. `created_at < :cutoff` is implied by resolution before the cutoff; it lets the
# (created_at, id) index find the candidates. FOR UPDATE re-checks the status of a row changed meanwhile:
# an incident reopened since the snapshot is not deleted.
INCIDENTS = Purge(
    "incidents",
    text(
        """
        WITH doomed AS (
            SELECT id FROM incidents
             WHERE status = 'resolved' AND resolved_at < :cutoff AND created_at < :cutoff
             LIMIT :batch FOR UPDATE SKIP LOCKED
        ), alerts AS (
            DELETE FROM alerts WHERE incident_id IN (SELECT id FROM doomed) RETURNING 1
        ), timeline AS (
            DELETE FROM timeline_entries WHERE incident_id IN (SELECT id FROM doomed) RETURNING 1
        ), deleted AS (
            DELETE FROM incidents WHERE id IN (SELECT id FROM doomed) RETURNING 1
        )
        SELECT (SELECT count(*) FROM deleted) AS incidents,
               (SELECT count(*) FROM alerts) AS alerts,
               (SELECT count(*) FROM timeline) AS timeline_entries
        """
    ),
    keep_sums=True,
)

OUTBOX = Purge(
    "outbox_events",
    text(
        """
        WITH deleted AS (
            DELETE FROM outbox_events
             WHERE id IN (SELECT id FROM outbox_events WHERE published_at < :cutoff
                          LIMIT :batch FOR UPDATE SKIP LOCKED)
            RETURNING 1
        )
        SELECT count(*) AS outbox_events FROM deleted
        """
    ),
)


def jobs(now: datetime, *, retention_days: float, outbox_hours: float) -> list[tuple[Purge, datetime]]:
    """What a pass at `now` deletes, each with its cutoff."""
    return [
        (INCIDENTS, now - timedelta(days=retention_days)),
        (OUTBOX, now - timedelta(hours=outbox_hours)),
    ]


async def run_retention(
    engine: AsyncEngine,
    status: RetentionStatus,
    *,
    retention_days: float,
    outbox_hours: float,
    batch: int,
    interval: float,
) -> None:
    """Forever: a pass every `interval` seconds; a failed pass is logged and shown in /health."""

    async def one_pass() -> None:
        todo = jobs(utcnow(), retention_days=retention_days, outbox_hours=outbox_hours)
        await run_pass(engine, todo, batch=batch, status=status, log=log)

    await run_every(interval, one_pass, log=log, failed="retention pass failed")
