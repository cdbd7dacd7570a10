"""Assigning incidents to whoever is on call: right after creation, and a worker retrying deferred ones."""

import logging
import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.incident_management import domain, escalation
from services.incident_management import repository as repo
from services.incident_management.escalation import EscalationSettings
from services.incident_management.oncall_client import OnCallClient
from shared.aio import run_every
from shared.errors import NotFound, Unavailable
from shared.timeutil import utcnow

log = logging.getLogger(__name__)


async def assign_new_incident(
    sessions: async_sessionmaker[AsyncSession],
    oncall: OnCallClient,
    settings: EscalationSettings,
    *,
    incident_id: uuid.UUID,
) -> datetime | None:
    """Page the service's policy or its team's on-call; if on-call is down, defer (timeline says why).
    Returns the incident's next escalation deadline, if it has one."""
    try:
        async with sessions.begin() as session:
            return await escalation.start(session, oncall, incident_id, now=utcnow(), settings=settings)
    except Unavailable as error:
        async with sessions.begin() as session:
            await domain.defer_assignment(session, incident_id, reason=error.message, now=utcnow())
        return None


async def retry_pending(
    sessions: async_sessionmaker[AsyncSession],
    oncall: OnCallClient,
    settings: EscalationSettings,
    *,
    batch: int = 50,
) -> int:
    """One pass over deferred assignments; returns how many were settled."""
    async with sessions() as session:
        pending = await repo.list_pending_assignments(session, limit=batch)
    settled = 0
    for incident in pending:
        try:
            async with sessions.begin() as session:  # start() locks the row and skips it if paged already
                await escalation.start(session, oncall, incident.id, now=utcnow(), settings=settings)
            settled += 1
        except NotFound:
            continue  # deleted meanwhile
        except Unavailable:
            break  # still down: try the rest on the next pass
    return settled


async def run_retry_worker(
    sessions: async_sessionmaker[AsyncSession],
    oncall: OnCallClient,
    settings: EscalationSettings,
    *,
    interval: float,
) -> None:
    """Forever: settle deferred assignments every `interval` seconds."""
    await run_every(
        interval,
        lambda: retry_pending(sessions, oncall, settings),
        log=log,
        failed="assignment retry pass failed",
    )
