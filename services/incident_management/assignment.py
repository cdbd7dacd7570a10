"""Assigning incidents to whoever is on call: right after creation, and a worker retrying deferred ones."""

import asyncio
import logging
import time
import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.incident_management import domain, escalation
from services.incident_management import repository as repo
from services.incident_management.domain import Ingested
from services.incident_management.escalation import EscalationSettings
from services.incident_management.oncall_client import OnCallClient
from shared.aio import run_every
from shared.db import DriverWork, Writes, undone_on_error
from shared.errors import NotFound, Unavailable
from shared.timeutil import utcnow

log = logging.getLogger(__name__)


class InlinePaging:
    """Pages the new incidents of an ingest transaction before it commits: the incident and its assignee
    become visible together, in one commit and one outbox pass, instead of a second transaction after the
    answer, and each is announced by one event, its `incident.triggered` naming the assignee (as
    PagerDuty's does), not followed by an `incident.reassigned`. On-call is given `timeout` seconds; if
    it fails or is slow, what paging changed is undone (in memory: it runs no statement, so it needs no
    savepoint), the incidents stay `assignment_pending` and are paged after commit as before, and inline
    paging pauses for `pause` seconds (a circuit breaker: a slow on-call must not hold the ingest
    transactions and their locks)."""

    def __init__(
        self, oncall: OnCallClient, settings: EscalationSettings, *, timeout: float, pause: float = 5.0
    ) -> None:
        self._oncall, self._settings, self._timeout, self._pause = oncall, settings, timeout, pause
        self._paused_until = 0.0

    @property
    def enabled(self) -> bool:
        return self._timeout > 0 and time.monotonic() >= self._paused_until

    async def page(
        self, session: AsyncSession | DriverWork, ingested: Ingested, *, now: datetime
    ) -> list[datetime | None] | None:
        """Each new incident's next escalation deadline once paged, or None when they are left for after
        the commit (paused, no on-call answer in time, or an error). In a transaction on the driver
        (`DriverWork`), the incidents are those the ingest opened (every alert a trigger)."""
        ids = [r.incident_id for r in ingested.results if r.result == "created" and r.incident_id]
        if not ids or not self.enabled:
            return None
        if ingested.opened is None:  # a source's action came too (in a session): read them back
            assert isinstance(session, AsyncSession)  # nosec B101 - narrows the type; the branch implies it
            found = await repo.get_incidents_for_paging(session, incident_ids=ids)
        else:  # as the ingest left them: built from its rows, not read back
            found = [(repo.adopt_incident(session, o.row), o.policy_id) for o in ingested.opened]
        try:
            with undone_on_error(session, [incident for incident, _ in found]):
                deadlines = await self._page_all(session, found, now=now)
        except Exception as error:  # TimeoutError, Unavailable, or any other: after commit it is retried
            self._paused_until = time.monotonic() + self._pause
            log.warning(
                "paging in the ingest transaction failed; paging after commit instead",
                extra={"fields": {"error": repr(error), "pause_seconds": self._pause}},
            )
            return None
        domain.announce_paged_with_trigger(session)
        return deadlines

    async def _page_all(self, session: Writes, found, *, now: datetime) -> list[datetime | None]:
        # No statement runs in here (page_new only asks on-call), so timing out cancels gRPC calls only,
        # and a failure is undone in memory, with no savepoint.
        async with asyncio.timeout(self._timeout), asyncio.TaskGroup() as group:
            tasks = [
                group.create_task(
                    escalation.page_new(
                        session, self._oncall, incident, policy_id, now=now, settings=self._settings
                    )
                )
                for incident, policy_id in found
            ]
        return [task.result() for task in tasks]


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
