"""The escalation worker: fires due escalation deadlines exactly once across replicas and restarts.

Each incident's next deadline is the `next_escalation_at` column. Every replica runs this worker; it
claims due rows with FOR UPDATE SKIP LOCKED and runs the step in the same transaction as the claim, so
the timeline entry, the outbox event and the next deadline commit together, once.
"""

import asyncio
import logging
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.incident_management import repository as repo
from services.incident_management.escalation import EscalationSettings, fire
from services.incident_management.models import Incident
from services.incident_management.oncall_client import OnCallClient
from services.incident_management.outbox_relay import OutboxRelay
from shared.aio import wait_event
from shared.errors import DomainError, Unavailable
from shared.metrics import ESCALATIONS
from shared.timeutil import utcnow

log = logging.getLogger(__name__)

# The shortest sleep, so a replica does not spin on a due row another replica holds locked.
MIN_SLEEP = 0.05


class Escalator:
    """The worker: fires due deadlines, sleeping until the earliest one (polling as a safety net)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        oncall: OnCallClient,
        relay: OutboxRelay,
        settings: EscalationSettings,
    ) -> None:
        self.sessions, self.oncall, self.relay, self.settings = sessions, oncall, relay, settings
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
            async with self.sessions.begin() as session:
                incident = await repo.claim_due_escalation(session, now=now)
                if incident is None:
                    break
                outcome = await self._fire_one(session, incident, now)
            ESCALATIONS.labels(outcome).inc()  # once committed
            fired += 1
        if fired:
            self.relay.wake()
        return fired

    async def _fire_one(self, session: AsyncSession, incident: Incident, now: datetime) -> str:
        """Fire one claimed deadline; returns escalations_total's outcome: fired, postponed or stopped."""
        incident_id = incident.id
        try:
            async with session.begin_nested():  # on-call down: what fire() changed is undone
                await fire(session, self.oncall, incident, now=now, settings=self.settings)
        except Unavailable as error:
            log.warning(
                "escalation postponed: %s", error.message, extra={"fields": {"incident": str(incident_id)}}
            )
            retry_at = now + timedelta(seconds=self.settings.retry_seconds)
            await repo.update_next_escalation(session, incident_id=incident_id, at=retry_at)
            return "postponed"
        except DomainError as error:  # e.g. the policy changed under us: stop rather than retry forever
            await repo.update_next_escalation(session, incident_id=incident_id, at=None)
            repo.add_timeline(
                session,
                incident_id=incident_id,
                at=now,
                actor="escalation",
                kind="escalation_stopped",
                message=f"Escalation stopped: {error.message}",
            )
            return "stopped"
        return "fired"

    async def _seconds_to_next(self) -> float:
        async with self.sessions() as session:
            earliest = await repo.get_earliest_escalation(session)
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
