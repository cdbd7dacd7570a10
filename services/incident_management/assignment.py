"""Assigning incidents to whoever is on call: in the transaction that opens them, and a worker paging
those left pending."""

import asyncio
import logging
import time
import uuid
from datetime import datetime

import asyncpg

from services.incident_management import domain, escalation
from services.incident_management import repository as repo
from services.incident_management.escalation import EscalationSettings
from services.incident_management.models import Incident, TimelineEntry
from services.incident_management.oncall_client import OnCallClient
from shared.aio import run_every
from shared.db import DriverPool
from shared.errors import DomainError, Unavailable
from shared.timeutil import utcnow

log = logging.getLogger(__name__)


class InlinePaging:
    """Pages the new incidents of an ingest transaction before it commits, each announced by one event:
    its `incident.triggered` names the assignee (as PagerDuty's does), with no `incident.reassigned`
    after it. Paging them after the commit instead, each in a transaction of its own, cost single alerts
    258 → 184/s (53.4 → 36.0 % of the prototype, same machine and hour): an extra transaction and
    on-call round trip per new incident of the storm's start.

    On-call is given `timeout` seconds for all of them (one call, `OnCallClient` batches the services).
    Paging runs no statement until on-call has answered: the escalation rules change the incidents in
    memory and add their rows here, written in one statement. If on-call fails or is slow, nothing of
    it is written; the incidents stay `assignment_pending` with an `assignment_deferred` entry saying why,
    the retry worker pages them, and inline paging pauses for `pause` seconds (a slow on-call must not
    hold every ingest transaction and its locks)."""

    def __init__(
        self, oncall: OnCallClient, settings: EscalationSettings, *, timeout: float, pause: float = 5.0
    ) -> None:
        self._oncall, self._settings, self._timeout, self._pause = oncall, settings, timeout, pause
        self._paused_until, self._why = 0.0, ""

    async def page(
        self, connection: asyncpg.Connection, created: list[uuid.UUID], now: datetime
    ) -> tuple[list[Incident], domain.Added, datetime | None]:
        """Page the incidents `created` in the connection's transaction (`domain.Page`)."""
        found = await repo.lock_incidents_for_paging(connection, incident_ids=created)
        added = domain.Added()
        try:
            deadlines = await self._page_all(added, found, now=now)
        except Exception as error:  # TimeoutError, Unavailable, or any other: the retry worker pages them
            self._pause_after(error)
            deferred = domain.Added(self._deferred([incident for incident, _ in found], now))
            return [], deferred, None
        return [incident for incident, _ in found], added, min(filter(None, deadlines), default=None)

    async def _page_all(
        self, added: domain.Added, found: list[tuple[Incident, uuid.UUID | None]], *, now: datetime
    ) -> list[datetime | None]:
        if time.monotonic() < self._paused_until:
            raise Unavailable(self._why)
        async with asyncio.timeout(self._timeout), asyncio.TaskGroup() as group:
            tasks = [
                group.create_task(
                    escalation.page_new(added, self._oncall, i, policy, now=now, settings=self._settings)
                )
                for i, policy in found
            ]
        return [task.result() for task in tasks]

    def _pause_after(self, error: Exception) -> None:
        if isinstance(error, ExceptionGroup) and len(error.exceptions) == 1:
            error = error.exceptions[0]
        if time.monotonic() < self._paused_until:
            return  # paused already: `_why` still says why
        if isinstance(error, DomainError):
            self._why = error.message
        elif isinstance(error, TimeoutError):
            self._why = f"on-call did not answer within {self._timeout:g} s"
        else:
            self._why = f"paging failed ({type(error).__name__})"
            log.error("paging in the ingest transaction failed", exc_info=error)
        self._paused_until = time.monotonic() + self._pause
        log.warning(
            "paging new incidents left to the retry worker",
            extra={"fields": {"reason": self._why, "pause_seconds": self._pause}},
        )

    def _deferred(self, incidents: list[Incident], now: datetime) -> list[TimelineEntry]:
        message = f"Not assigned yet: {self._why}; will retry"
        return [
            TimelineEntry(
                incident_id=i.id, at=now, actor="system", kind="assignment_deferred", message=message
            )
            for i in incidents
        ]


async def retry_pending(
    driver: DriverPool, oncall: OnCallClient, settings: EscalationSettings, *, batch: int = 50
) -> int:
    """One pass over deferred assignments, each paged in a transaction of its own; returns how many were
    settled."""
    async with driver.connection() as connection:
        pending = await repo.list_pending_assignments(connection, limit=batch)
    settled = 0
    for incident_id in pending:
        try:
            async with driver.connection() as connection, connection.transaction():
                # Locked, and skipped when it was paged meanwhile (by the process that stored it, say).
                found = await repo.lock_incidents_for_paging(connection, incident_ids=[incident_id])
                added = domain.Added()
                for incident, policy_id in found:
                    await escalation.page_new(
                        added, oncall, incident, policy_id, now=utcnow(), settings=settings
                    )
                incidents = [incident for incident, _ in found]
                await repo.write_incidents(
                    connection, incidents=incidents, timeline=added.timeline(), events=added.events()
                )
            settled += len(found)
        except Unavailable:
            break  # still down: try the rest on the next pass
    return settled


async def run_retry_worker(
    driver: DriverPool, oncall: OnCallClient, settings: EscalationSettings, *, interval: float
) -> None:
    """Forever: settle deferred assignments every `interval` seconds."""
    await run_every(
        interval,
        lambda: retry_pending(driver, oncall, settings),
        log=log,
        failed="assignment retry pass failed",
    )
