"""The escalation worker: fires due escalation deadlines exactly once across replicas and restarts.

Each incident's next deadline is the `next_escalation_at` column. Every replica runs this worker; it
claims due rows with FOR UPDATE SKIP LOCKED and runs the step in the same transaction as the claim, so
the timeline entry, the outbox event and the next deadline commit together, once.
"""

import asyncio
import logging
import uuid
from datetime import datetime, timedelta

import asyncpg

from services.incident_management import domain
from services.incident_management import repository as repo
from services.incident_management.escalation import EscalationSettings, fire
from services.incident_management.models import Incident
from services.incident_management.oncall_client import OnCallClient
from services.incident_management.outbox_relay import OutboxRelay
from shared.aio import wait_event
from shared.db import DriverPool
from shared.errors import DomainError, Unavailable
from shared.metrics import ESCALATIONS
from shared.timeutil import utcnow

log = logging.getLogger(__name__)

# The shortest sleep, so a replica does not spin on a due row another replica holds locked.
MIN_SLEEP = 0.05


class Escalator:
    """The worker: fires due deadlines, sleeping until the earliest one (polling as a safety net)."""

    def __init__(
        self, driver: DriverPool, oncall: OnCallClient, relay: OutboxRelay, settings: EscalationSettings
    ) -> None:
        self.driver, self.oncall, self.relay, self.settings = driver, oncall, relay, settings
        self._wake = asyncio.Event()
        self._planned: datetime | None = None  # when the worker will look again; None while it works

    def wake(self, at: datetime | None = None) -> None:
        """Called after a commit that may have set a deadline, so the worker re-reads the earliest one.
        With the deadline `at`, only when it comes before the worker's planned look (new incidents
        wait minutes: an alert storm does not cost the worker a query per commit)."""
        if at is None or self._planned is None or at < self._planned:
            self._wake.set()

    async def fire_due(self, *, batch: int = 50) -> int:
        """Fire up to `batch` due escalations, one transaction each; returns how many fired."""
        fired = 0
        while fired < batch:
            now = utcnow()
            async with self.driver.connection() as connection, connection.transaction():
                incident = await repo.claim_due_escalation(connection, now=now)
                if incident is None:
                    break
                outcome = await self._fire_one(connection, incident, now)
            ESCALATIONS.labels(outcome).inc()  # once committed
            fired += 1
        if fired:
            self.relay.wake()
        return fired

    async def _fire_one(self, connection: asyncpg.Connection, incident: Incident, now: datetime) -> str:
        """Fire one claimed deadline; returns escalations_total's outcome: fired, postponed or stopped.
        `fire` runs no statement: when it fails, what it changed in memory is dropped and the incident,
        read again as stored, only gets its new deadline."""
        added = domain.Added()
        try:
            await fire(added, self.oncall, incident, now=now, settings=self.settings)
        except Unavailable as error:
            log.warning(
                "escalation postponed: %s", error.message, extra={"fields": {"incident": str(incident.id)}}
            )
            retry_at = now + timedelta(seconds=self.settings.retry_seconds)
            await self._reschedule(connection, incident.id, retry_at, domain.Added())
            return "postponed"
        except DomainError as error:  # e.g. the policy changed under us: stop rather than retry forever
            stopped = domain.Added()
            message = f"Escalation stopped: {error.message}"
            domain.add_entry(stopped, incident, now, "escalation", "escalation_stopped", message)
            await self._reschedule(connection, incident.id, None, stopped)
            return "stopped"
        await repo.write_incidents(
            connection, incidents=[incident], timeline=added.timeline(), events=added.events()
        )
        return "fired"

    async def _reschedule(
        self, connection: asyncpg.Connection, incident_id: uuid.UUID, at: datetime | None, added: domain.Added
    ) -> None:
        stored = await repo.lock_incident(connection, incident_id=incident_id)  # ours already: no wait
        if stored is not None:
            stored.next_escalation_at = at
            await repo.write_incidents(connection, incidents=[stored], timeline=added.timeline())

    async def _seconds_to_next(self) -> float:
        async with self.driver.connection() as connection:
            earliest = await repo.get_earliest_escalation(connection)
        if earliest is None:
            return self.settings.poll_seconds
        return min(self.settings.poll_seconds, max(MIN_SLEEP, (earliest - utcnow()).total_seconds()))

    async def run(self) -> None:
        """Forever: fire what is due, then sleep until the next deadline, a wake-up or the poll."""
        while True:
            self._wake.clear()
            self._planned = None
            try:
                await self.fire_due()
                delay = await self._seconds_to_next()
            except Exception:
                log.exception("escalation pass failed")
                delay = self.settings.poll_seconds
            self._planned = utcnow() + timedelta(seconds=delay)
            await wait_event(self._wake, delay)  # not asyncio.wait_for: on 3.11 it can swallow a cancel
