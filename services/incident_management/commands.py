"""The unit of work shared by REST and gRPC: one transaction per command, then after-commit work.

Storing alerts: each replica's group commit sends one gRPC call; the alerts waiting here share the next of
`ingest_lanes` transactions (`shared.group_commit`), on the driver's own connection: their routing keys
looked up, then one call of the ingest SQL function for the alerts of valid keys, their events written to
the outbox, commit; then the new incidents are paged, each in its own transaction.
"""

import asyncio
import contextlib
import itertools
import logging
import uuid
from dataclasses import dataclass, replace

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.incident_management import catalog, domain, escalation_actions, heartbeats
from services.incident_management.assignment import assign_new_incident
from services.incident_management.domain import OnCallAnswer
from services.incident_management.escalation import EscalationSettings
from services.incident_management.escalation_worker import Escalator
from services.incident_management.oncall_client import OnCallClient
from services.incident_management.outbox_relay import OutboxRelay
from services.incident_management.schemas import (
    AlertInput,
    IncidentFilter,
    IncidentPatch,
    IngestResult,
    ReassignBody,
    SnoozeBody,
)
from shared import fingerprints
from shared.db import DriverPool
from shared.errors import DomainError, InvalidInput, NotFound, Unavailable
from shared.group_commit import GroupCommit
from shared.models import Incident
from shared.timeutil import utcnow

log = logging.getLogger(__name__)

Batch = list[tuple[AlertInput, str]]  # alerts with their routing keys, stored in order
Outcomes = list[IngestResult | Exception]  # each alert's result, or its key's error (401/403)


def owned_by(alert: AlertInput, owner: catalog.KeyOwner) -> AlertInput:
    """The alert as its key's owner makes it: that integration's, of that service, and fingerprinted
    from that service when its sender gave no fingerprint (as a replica fingerprints alerts without a
    key, `shared.fingerprints`)."""
    service = owner.service.name
    found = alert.fingerprint or fingerprints.of_alert(service, alert.severity, alert.labels, alert.summary)
    return replace(alert, service=service, integration_id=owner.integration.id, fingerprint=found)


def with_owners(
    items: Batch, owners: dict[str, catalog.KeyOwner | DomainError]
) -> list[AlertInput | Exception]:
    """Each alert with its key's service and integration, or the key's error in its place."""
    prepared: list[AlertInput | Exception] = []
    for alert, key in items:
        owner = owners.get(key) if key else None
        if isinstance(owner, catalog.KeyOwner):
            prepared.append(owned_by(alert, owner))
        else:
            prepared.append(owner or alert)
    return prepared


@dataclass
class IncidentCommands:
    sessions: async_sessionmaker[AsyncSession]
    oncall: OnCallClient
    relay: OutboxRelay
    window_seconds: int
    escalator: Escalator
    driver: DriverPool  # the driver's own connections: the ingest transactions and key lookups
    ingest_lanes: int = 2

    @property
    def escalation(self) -> EscalationSettings:
        return self.escalator.settings

    def _committed(self) -> None:
        """After a commit: events to relay, maybe a new deadline for the escalation worker."""
        self.relay.wake()
        self.escalator.wake()

    def __post_init__(self) -> None:
        # Items are batches (a single alert is a batch of one), taken whole: a group's transaction holds
        # at most 256 alerts, or one larger batch alone.
        self._group: GroupCommit[Batch, tuple[Outcomes, asyncio.Future]] = GroupCommit(
            self._store_group, lanes=self.ingest_lanes, max_group=256, weight=len
        )
        self._paging: set[asyncio.Future] = set()

    async def ingest(self, alert: AlertInput, *, integration_key: str = "") -> IngestResult:
        """Store the alert (committed before we answer, possibly with others that arrived meanwhile); a
        new incident is paged before we answer too. With a routing key, the key must be valid and
        decides the service."""
        [result] = await self._submit([(alert, integration_key)])
        if isinstance(result, Exception):
            raise result
        return result

    async def ingest_many(self, alerts: list[AlertInput], *, integration_key: str = "") -> list[IngestResult]:
        """Store a batch, in order, in one transaction (shared with whatever else is waiting): all of it is
        committed before we answer."""
        outcomes = await self._submit([(alert, integration_key) for alert in alerts])
        for outcome in outcomes:
            if isinstance(outcome, Exception):
                raise outcome  # one key for the whole batch: it is refused as a whole
        return outcomes  # type: ignore[return-value]

    async def _submit(self, batch: Batch) -> Outcomes:
        outcomes, paged = await self._group.submit(batch)
        # Shared by the group: one caller giving up must not cancel it. The alerts are committed whatever
        # paging after commit does: a failure is logged (`_paged`) and the retry worker pages them, so the
        # caller is told they are stored, not an error that would make it send them again.
        with contextlib.suppress(Exception):
            await asyncio.shield(paged)
        return outcomes

    async def _store_group(self, batches: list[Batch]) -> list[tuple[Outcomes, asyncio.Future]]:
        """One transaction for the batches, each answered with its own slice of the outcomes."""
        outcomes, paged = await self._store([item for batch in batches for item in batch])
        ends = list(itertools.accumulate(len(batch) for batch in batches))
        return [(outcomes[end - len(batch) : end], paged) for batch, end in zip(batches, ends, strict=True)]

    async def _store(self, items: Batch) -> tuple[Outcomes, asyncio.Future]:
        """The group in one transaction. A bad key fails only its own alerts (checked before the ingest
        function, which then has nothing to refuse); should the transaction fail anyway (its connection
        cut by a database restart, say), each alert is stored alone, in a transaction of its own, so one
        alert sinks no others and a cut connection is retried on a new one (alerts a commit had stored
        before the cut then count as their own duplicates: nothing is lost or opened twice).
        Returns the outcomes once committed, and the paging of the new incidents, which runs on its own:
        the next group's transaction does not wait for it."""
        try:
            outcomes = await self._transaction(items)
        except Exception:
            if len(items) == 1:
                raise
            log.warning("a group of alerts failed; storing each alone", exc_info=True)
            outcomes = [await self._alone(item) for item in items]
        stored = [outcome for outcome in outcomes if isinstance(outcome, IngestResult)]
        return outcomes, self._in_background(self._after_ingest(stored))

    async def _transaction(self, items: Batch) -> Outcomes:
        """Keys looked up, then the alerts of valid keys stored with their events, in one transaction."""
        async with self.driver.connection() as connection, connection.transaction():
            owners = await catalog.lookup_keys(connection, {key for _, key in items if key})
            outcomes: Outcomes = with_owners(items, owners)  # type: ignore[assignment]
            ready = [(i, a) for i, a in enumerate(outcomes) if isinstance(a, AlertInput)]
            stored = await domain.ingest(
                connection, [a for _, a in ready], now=utcnow(), window_seconds=self.window_seconds
            )
        for (i, alert), result in zip(ready, stored, strict=True):
            outcomes[i] = replace(result, fingerprint=alert.fingerprint)
        return outcomes

    async def _alone(self, item: tuple[AlertInput, str]) -> IngestResult | Exception:
        try:
            [outcome] = await self._transaction([item])
            return outcome
        except Exception as error:
            return error

    def _in_background(self, work) -> asyncio.Future:
        """Run `work` to the end even if every caller waiting for it gives up; a failure is logged (new
        incidents it did not page are still `assignment_pending`: the retry worker pages them)."""
        task = asyncio.ensure_future(work)
        self._paging.add(task)
        task.add_done_callback(self._paged)
        return task

    def _paged(self, task: asyncio.Future) -> None:
        self._paging.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("paging new incidents failed", exc_info=task.exception())

    async def integration(self, key: str) -> catalog.KeyOwner:
        """The key's owner (the replicas ask once per key they have not cached); 401 unknown, 403 revoked."""
        async with self.driver.connection() as connection:
            return await catalog.lookup_key(connection, key)

    async def record_heartbeat(self, key: str) -> heartbeats.PingResult:
        owner = await self.integration(key)
        async with self.sessions.begin() as session:
            ping = await heartbeats.record_ping(
                session, owner, now=utcnow(), window_seconds=self.window_seconds
            )
        self._committed()
        return ping

    async def open_missed_heartbeats(self) -> int:
        """One pass of the heartbeat check; returns how many heartbeats were found missed."""
        async with self.sessions.begin() as session:
            outcomes = await heartbeats.open_missed(session, now=utcnow(), window_seconds=self.window_seconds)
        await self._after_ingest(outcomes)
        return len(outcomes)

    async def _after_ingest(self, results: list[IngestResult]) -> None:
        """After commit: publish events, and page for each new incident (its policy or on-call)."""
        if any(r.result not in ("correlated", "duplicate", "ignored") for r in results):
            self.relay.wake()  # only these may have written events; the relay's poll is the safety net
        created = [r.incident_id for r in results if r.result == "created" and r.incident_id]
        if not created:
            return
        # Each in its own transaction, at once: a group's new incidents do not wait on one another.
        deadlines = await asyncio.gather(
            *(
                assign_new_incident(self.sessions, self.oncall, self.escalation, incident_id=incident_id)
                for incident_id in created
            )
        )
        # Paging committed: relay its events; tell the escalation worker about the earliest new deadline
        # (none set, nothing for it to re-read)
        self.relay.wake()
        earliest = min((d for d in deadlines if d is not None), default=None)
        if earliest is not None:
            self.escalator.wake(at=earliest)

    async def acknowledge(self, incident_id: uuid.UUID, *, actor: str) -> Incident:
        ack_timeout = self.escalation.ack_timeout_seconds
        async with self.sessions.begin() as session:
            incident = await domain.acknowledge(
                session, incident_id, actor=actor, now=utcnow(), ack_timeout=ack_timeout
            )
        self._committed()
        return incident

    async def unacknowledge(self, incident_id: uuid.UUID, *, actor: str) -> Incident:
        async with self.sessions.begin() as session:
            incident = await escalation_actions.unacknowledge(session, incident_id, actor=actor, now=utcnow())
        self._committed()
        return incident

    async def escalate(self, incident_id: uuid.UUID, *, actor: str) -> Incident:
        async with self.sessions.begin() as session:
            incident = await escalation_actions.request_escalation(
                session, incident_id, actor=actor, now=utcnow()
            )
        self._committed()
        return incident

    async def reassign(self, incident_id: uuid.UUID, body: ReassignBody, *, actor: str) -> Incident:
        """To a user at once, or to a policy (checked with on-call when it can be asked)."""
        if body.escalation_policy_id is not None:
            await self._check_policy(body.escalation_policy_id)
        async with self.sessions.begin() as session:
            if body.escalation_policy_id is not None:
                incident = await escalation_actions.reassign_to_policy(
                    session, incident_id, body.escalation_policy_id, actor=actor, now=utcnow()
                )
            else:
                answer = OnCallAnswer(user_id=body.user_id, reason="manual")
                incident = await escalation_actions.reassign_to_user(
                    session, incident_id, answer, actor=actor, now=utcnow(), settings=self.escalation
                )
        self._committed()
        return incident

    async def _check_policy(self, policy_id: uuid.UUID) -> None:
        try:
            await self.oncall.resolve_escalation(policy_id=policy_id, level=0, at=utcnow())
        except NotFound as error:
            raise InvalidInput(error.message, field="escalation_policy_id") from error
        except Unavailable:
            pass  # the worker reports a missing policy on the timeline when it pages

    async def snooze(self, incident_id: uuid.UUID, body: SnoozeBody, *, actor: str) -> Incident:
        async with self.sessions.begin() as session:
            incident = await escalation_actions.snooze(
                session, incident_id, body.until, actor=actor, now=utcnow()
            )
        self._committed()
        return incident

    async def resolve(self, incident_id: uuid.UUID, *, actor: str) -> Incident:
        async with self.sessions.begin() as session:
            incident = await domain.resolve(session, incident_id, actor=actor, now=utcnow())
        self._committed()
        return incident

    async def update(self, incident_id: uuid.UUID, patch: IncidentPatch, *, actor: str) -> Incident:
        async with self.sessions.begin() as session:
            incident = await domain.update(
                session,
                incident_id,
                patch,
                actor=actor,
                now=utcnow(),
                ack_timeout=self.escalation.ack_timeout_seconds,
            )
        self._committed()
        return incident

    async def get(self, incident_id: uuid.UUID):
        async with self.sessions() as session:
            return await domain.get_detail(session, incident_id)

    async def list(self, query: IncidentFilter) -> tuple[list[Incident], int]:
        async with self.sessions() as session:
            return await domain.list_incidents(session, query)
