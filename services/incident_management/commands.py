"""The unit of work shared by REST and gRPC: one transaction per command, then after-commit work.

Storing alerts: each replica's group commit sends one gRPC call; the alerts waiting here share the next of
`ingest_lanes` groups (`shared.group_commit`), on the driver's own connection: their routing keys looked
up, then the alerts of valid keys stored by one statement when they only join incidents, else in one
transaction: one call of the ingest SQL function, the new incidents paged (`assignment.InlinePaging`), the
events written to the outbox, commit.
"""

import itertools
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from typing import Any, Protocol, TypeVar, cast

import asyncpg
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.incident_management import catalog, domain, escalation_actions, heartbeats
from services.incident_management.assignment import InlinePaging
from services.incident_management.domain import OnCallAnswer
from services.incident_management.escalation import EscalationSettings
from services.incident_management.escalation_worker import Escalator
from services.incident_management.models import Incident, Integration, MonitoredService
from services.incident_management.oncall_client import OnCallClient
from services.incident_management.outbox_relay import OutboxRelay
from services.incident_management.schemas import (
    AlertInput,
    IncidentDeclare,
    IncidentFilter,
    IncidentPatch,
    IngestResult,
    IntegrationCreate,
    ReassignBody,
    ServiceCreate,
    ServicePatch,
    SnoozeBody,
)
from shared import fingerprints
from shared.db import DriverPool
from shared.errors import DomainError, InvalidInput, NotFound, Unavailable
from shared.group_commit import GroupCommit
from shared.timeutil import utcnow

log = logging.getLogger(__name__)

QUIET_GROUP_MAX = 16  # alerts in a group stored by one statement at most (`IncidentCommands._quietly`)
Batch = list[tuple[AlertInput, str]]  # alerts with their routing keys, stored in order
Outcomes = list[IngestResult | Exception]  # each alert's result, or its key's error (401/403)
Answer = TypeVar("Answer", bound=BaseModel, covariant=True)


class Report(Protocol[Answer]):
    """An analytics query's computation (`analytics.incident_analytics`, say)."""

    async def __call__(self, session: AsyncSession, query: Any, /, *, now: datetime) -> Answer: ...


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


def _joined(outcomes: Outcomes) -> set[uuid.UUID]:
    """Incidents an alert joined (correlated into), for live dashboards."""
    return {
        o.incident_id
        for o in outcomes
        if isinstance(o, IngestResult) and o.result == "correlated" and o.incident_id is not None
    }


@dataclass
class IncidentCommands:
    sessions: async_sessionmaker[AsyncSession]
    oncall: OnCallClient
    relay: OutboxRelay
    window_seconds: int
    escalator: Escalator
    driver: DriverPool  # the driver's own connections: the ingest transactions and key lookups
    ingest_lanes: int = 2
    inline_paging_seconds: float = 0.5  # how long on-call may take to page new incidents in a transaction

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
        self._group: GroupCommit[Batch, Outcomes] = GroupCommit(
            self._store_group, lanes=self.ingest_lanes, max_group=256, weight=len
        )
        self._paging = InlinePaging(self.oncall, self.escalation, timeout=self.inline_paging_seconds)

    async def ingest(self, alert: AlertInput, *, integration_key: str = "") -> IngestResult:
        """Store the alert (committed before we answer, possibly with others that arrived meanwhile); a
        new incident is paged in the same transaction. With a routing key, the key must be valid and
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
        outcomes = await self._group.submit(batch)
        self.relay.announce_alerts(_joined(outcomes))
        return outcomes

    async def _store_group(self, batches: list[Batch]) -> list[Outcomes | Exception]:
        """One transaction for the batches, each answered with its own slice of the outcomes."""
        outcomes = await self._store([item for batch in batches for item in batch])
        ends = list(itertools.accumulate(len(batch) for batch in batches))
        return [outcomes[end - len(batch) : end] for batch, end in zip(batches, ends, strict=True)]

    async def _store(self, items: Batch) -> Outcomes:
        """The group in one transaction. A bad key fails only its own alerts (checked before the ingest
        function, which then has nothing to refuse); should the transaction fail anyway (its connection
        cut by a database restart, say), each alert is stored alone, in a transaction of its own, so one
        alert sinks no others and a cut connection is retried on a new one (alerts a commit had stored
        before the cut then count as their own duplicates: nothing is lost or opened twice)."""
        try:
            return await self._transaction(items)
        except Exception:
            if len(items) == 1:
                raise
            log.warning("a group of alerts failed; storing each alone", exc_info=True)
            return [await self._alone(item) for item in items]

    async def _transaction(self, items: Batch) -> Outcomes:
        """The group by one statement when it only joins incidents (`_quietly`); else its keys looked up,
        then the alerts of valid keys stored in one transaction that pages their new incidents and writes
        the events."""
        async with self.driver.connection() as connection:
            quiet = await self._quietly(connection, items)
            if quiet is not None:
                return quiet
            owners = await catalog.lookup_keys(connection, {key for _, key in items if key})
            # Each alert's slot, taken by its result once stored (a bad key's error stays in its alerts').
            outcomes = cast("list[AlertInput | IngestResult | Exception]", with_owners(items, owners))
            ready = [(i, a) for i, a in enumerate(outcomes) if isinstance(a, AlertInput)]
            stored = domain.Ingested([], None)
            if ready:
                async with connection.transaction():
                    stored = await domain.ingest(
                        connection,
                        [a for _, a in ready],
                        now=utcnow(),
                        window_seconds=self.window_seconds,
                        page=self._paging.page,
                    )
        self._after_ingest(stored.results, stored.earliest_deadline)
        for (i, _), result in zip(ready, stored.results, strict=True):
            outcomes[i] = result
        return cast(Outcomes, outcomes)  # every alert's slot now holds its result (the zip is strict)

    async def _quietly(self, connection: asyncpg.Connection, items: Batch) -> Outcomes | None:
        """The group by one statement outside a transaction (`domain.ingest_quiet`), its keys checked in
        it, when every alert only joins an open incident or repeats a firing one; None, with nothing
        stored, otherwise (or when a keyed alert has no fingerprint: its key's service derives it).

        Against the transaction (BEGIN, key lookup, ingest, COMMIT) it saves three round trips per group:
        while a storm goes on, incident-management's CPU per single alert went 0.54-0.58 → 0.34-0.38 ms
        (the benchmark's `single_steady`, alternated on one machine). The statement costs PostgreSQL
        ~7 µs per alert more than the ingest call alone (its wrapper and the keys' owners: 2.84 → 3.58 ms
        for 100 alerts), so a group larger than `QUIET_GROUP_MAX`, which pays the round trips once for
        many alerts, goes to the transaction at once; a group it refuses (at the first alert that would
        open an incident, before any write) costs one short statement more."""
        if len(items) > QUIET_GROUP_MAX or any(key and not alert.fingerprint for alert, key in items):
            return None
        hashes = catalog.hash_keys({key for _, key in items if key})
        stored = await domain.ingest_quiet(
            connection,
            [alert for alert, _ in items],
            [hashes[key] if key else None for _, key in items],
            now=utcnow(),
            window_seconds=self.window_seconds,
        )
        return None if stored is None else list(stored.results)

    async def _alone(self, item: tuple[AlertInput, str]) -> IngestResult | Exception:
        try:
            [outcome] = await self._transaction([item])
            return outcome
        except Exception as error:
            return error

    async def integration(self, key: str) -> catalog.KeyOwner:
        """The key's owner (the replicas ask once per key they have not cached); 401 unknown, 403 revoked."""
        async with self.driver.connection() as connection:
            return await catalog.lookup_key(connection, key)

    async def record_heartbeat(self, key: str) -> heartbeats.PingResult:
        owner = await self.integration(key)
        async with self.driver.connection() as connection, connection.transaction():
            ping = await heartbeats.record_ping(
                connection, owner, now=utcnow(), window_seconds=self.window_seconds
            )
        self._committed()
        return ping

    async def open_missed_heartbeats(self) -> int:
        """One pass of the heartbeat check; returns how many heartbeats were found missed."""
        async with self.driver.connection() as connection, connection.transaction():
            missed = await heartbeats.open_missed(
                connection, now=utcnow(), window_seconds=self.window_seconds, page=self._paging.page
            )
        self._after_ingest(missed.results, missed.earliest_deadline)
        return len(missed.results)

    def _after_ingest(self, results: list[IngestResult], earliest_deadline: datetime | None) -> None:
        """After commit: publish the events; tell the escalation worker about the earliest new deadline
        (none set, nothing for it to re-read: an alert storm does not cost it a query per commit)."""
        if any(r.result not in ("correlated", "duplicate", "ignored") for r in results):
            self.relay.wake()  # only these may have written events; the relay's poll is the safety net
        if earliest_deadline is not None:
            self.escalator.wake(at=earliest_deadline)

    async def _change(self, incident_id: uuid.UUID, apply: domain.Change) -> Incident:
        """A person's change of one incident, in a transaction on the driver's connection
        (`domain.change`): the console's buttons at 100 changes/s cost incident-management ~0.45 cores
        through a session, its pool of 20 ran dry and answers took seconds on a loaded machine
        (`make bench-live`)."""
        async with self.driver.connection() as connection, connection.transaction():
            incident = await domain.change(connection, incident_id, apply)
        self._committed()
        return incident

    async def acknowledge(self, incident_id: uuid.UUID, *, actor: str) -> Incident:
        ack_timeout = self.escalation.ack_timeout_seconds
        return await self._change(
            incident_id, partial(domain.acknowledge, actor=actor, now=utcnow(), ack_timeout=ack_timeout)
        )

    async def resolve(self, incident_id: uuid.UUID, *, actor: str) -> Incident:
        return await self._change(incident_id, partial(domain.resolve, actor=actor, now=utcnow()))

    async def update(self, incident_id: uuid.UUID, patch: IncidentPatch, *, actor: str) -> Incident:
        ack_timeout = self.escalation.ack_timeout_seconds
        return await self._change(
            incident_id,
            partial(domain.update, patch=patch, actor=actor, now=utcnow(), ack_timeout=ack_timeout),
        )

    async def unacknowledge(self, incident_id: uuid.UUID, *, actor: str) -> Incident:
        return await self._change(
            incident_id, partial(escalation_actions.unacknowledge, actor=actor, now=utcnow())
        )

    async def escalate(self, incident_id: uuid.UUID, *, actor: str) -> Incident:
        return await self._change(
            incident_id, partial(escalation_actions.request_escalation, actor=actor, now=utcnow())
        )

    async def reassign(self, incident_id: uuid.UUID, body: ReassignBody, *, actor: str) -> Incident:
        """To a user at once, or to a policy (checked with on-call when it can be asked)."""
        now = utcnow()
        if body.escalation_policy_id is not None:
            await self._check_policy(body.escalation_policy_id)
            policy_id = body.escalation_policy_id
            return await self._change(
                incident_id,
                lambda w, i: escalation_actions.reassign_to_policy(w, i, policy_id, actor=actor, now=now),
            )
        answer, settings = OnCallAnswer(user_id=body.user_id, reason="manual"), self.escalation
        return await self._change(
            incident_id,
            lambda w, i: escalation_actions.reassign_to_user(
                w, i, answer, actor=actor, now=now, settings=settings
            ),
        )

    async def _check_policy(self, policy_id: uuid.UUID) -> None:
        try:
            await self.oncall.resolve_escalation(policy_id=policy_id, level=0, at=utcnow())
        except NotFound as error:
            raise InvalidInput(error.message, field="escalation_policy_id") from error
        except Unavailable:
            pass  # the worker reports a missing policy on the timeline when it pages

    async def snooze(self, incident_id: uuid.UUID, body: SnoozeBody, *, actor: str) -> Incident:
        return await self._change(
            incident_id, lambda w, i: escalation_actions.snooze(w, i, body.until, actor=actor, now=utcnow())
        )

    async def get(self, incident_id: uuid.UUID) -> domain.IncidentDetail:
        async with self.sessions() as session:
            return await domain.get_detail(session, incident_id)

    async def list(self, query: IncidentFilter) -> domain.IncidentListing:
        async with self.sessions() as session:
            return await domain.list_incidents(session, query)

    async def declare(self, body: IncidentDeclare, *, actor: str) -> tuple[Incident, bool]:
        """Open an incident by hand through the alert path (stored, paged and relayed alike); whether it
        is new, or joined an open incident of the same service and severity."""
        result = await self.ingest(domain.declared_alert(body, actor=actor))
        if result.incident_id is None:  # a trigger always lands on an incident
            raise RuntimeError("the declared incident's alert was not stored")
        async with self.driver.connection() as connection:  # the incident alone, not its alerts and timeline
            incident = await domain.get_stored(connection, result.incident_id)
        return incident, result.result == "created"

    # --- services and integrations; analytics ------------------------------------------------------

    async def create_service(self, body: ServiceCreate) -> MonitoredService:
        async with self.sessions.begin() as session:
            return await catalog.create_service(session, body)

    async def list_services(self) -> Sequence[tuple[MonitoredService, Sequence[Integration]]]:
        async with self.sessions() as session:
            return await catalog.list_services(session)

    async def get_service(self, service_id: uuid.UUID) -> MonitoredService:
        async with self.sessions() as session:
            return await catalog.get_service(session, service_id)

    async def update_service(self, service_id: uuid.UUID, patch: ServicePatch) -> MonitoredService:
        async with self.sessions.begin() as session:
            return await catalog.update_service(session, service_id, patch)

    async def delete_service(self, service_id: uuid.UUID) -> None:
        async with self.sessions.begin() as session:
            await catalog.delete_service(session, service_id)

    async def create_integration(
        self, service_id: uuid.UUID, body: IntegrationCreate
    ) -> tuple[Integration, str]:
        async with self.sessions.begin() as session:
            return await catalog.create_integration(session, service_id, body)

    async def list_integrations(self, service_id: uuid.UUID) -> Sequence[Integration]:
        async with self.sessions() as session:
            return await catalog.list_integrations(session, service_id)

    async def get_integration(self, service_id: uuid.UUID, integration_id: uuid.UUID) -> Integration:
        async with self.sessions() as session:
            return await catalog.get_integration(session, service_id, integration_id)

    async def revoke_integration(self, service_id: uuid.UUID, integration_id: uuid.UUID) -> Integration:
        async with self.sessions.begin() as session:
            return await catalog.revoke_integration(session, service_id, integration_id, now=utcnow())

    async def report(self, compute: Report[Answer], query: BaseModel) -> Answer:
        """One analytics answer (`analytics*`) over the incidents as committed."""
        async with self.sessions() as session:
            return await compute(session, query, now=utcnow())
