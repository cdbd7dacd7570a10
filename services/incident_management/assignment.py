"""Assigning incidents to whoever is on call: right after creation, and a worker retrying deferred ones."""

import asyncio
import logging
import uuid

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.incident_management import domain
from services.incident_management import repository as repo
from services.incident_management.oncall_client import OnCallClient
from shared.errors import Unavailable
from shared.timeutil import utcnow

log = logging.getLogger(__name__)


async def assign_new_incident(
    sessions: async_sessionmaker[AsyncSession], oncall: OnCallClient, *, incident_id: uuid.UUID, service: str
) -> bool:
    """Ask on-call and assign; if it cannot be asked, defer (timeline says why). True when answered."""
    try:
        answer = await oncall.who_is_on_call(service=service)
    except Unavailable as error:
        async with sessions.begin() as session:
            await domain.defer_assignment(session, incident_id, reason=error.message, now=utcnow())
        return False
    async with sessions.begin() as session:
        await domain.assign(session, incident_id, answer, actor="system", now=utcnow())
    return True


async def retry_pending(
    sessions: async_sessionmaker[AsyncSession], oncall: OnCallClient, *, batch: int = 50
) -> int:
    """One pass over deferred assignments; returns how many were settled."""
    async with sessions() as session:
        pending = await repo.list_pending_assignments(session, limit=batch)
    settled = 0
    for incident in pending:
        try:
            answer = await oncall.who_is_on_call(service=incident.service)
        except Unavailable:
            break  # still down: try the rest on the next pass
        async with sessions.begin() as session:
            current = await repo.get_incident(session, incident_id=incident.id, for_update=True)
            if current is not None and current.assignment_pending:
                await domain.assign(session, incident.id, answer, actor="system", now=utcnow())
                settled += 1
    return settled


async def run_retry_worker(
    sessions: async_sessionmaker[AsyncSession], oncall: OnCallClient, *, interval: float
) -> None:
    """Forever: settle deferred assignments every `interval` seconds."""
    while True:
        try:
            await retry_pending(sessions, oncall)
        except Exception:
            log.exception("assignment retry pass failed")
        await asyncio.sleep(interval)
