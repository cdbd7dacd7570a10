"""The unit of work shared by REST and gRPC: one transaction per command, then after-commit work."""

import asyncio
import contextlib
import itertools
import logging
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.incident_management import catalog, domain, escalation_actions, heartbeats
from services.incident_management.assignment import InlinePaging, assign_new_incident
from services.incident_management.domain import OnCallAnswer
from services.incident_management.escalation import EscalationSettings
from services.incident_management.escalation_worker import Escalator
from services.incident_management.oncall_client import OnCallClient
from services.incident_management.outbox_relay import OutboxRelay
from services.incident_management.schemas import (
    AlertInput,
    IncidentDeclare,
    IncidentFilter,
    IncidentPatch,
    IngestResult,
    ReassignBody,
    SnoozeBody,
)
from shared import fingerprints
from shared.db import DriverPool, DriverWork, connection_cut
from shared.errors import DomainError, InvalidInput, NotFound, Unavailable
from shared.group_commit import GroupCommit
from shared.models import Incident
from shared.timeutil import utcnow

log = logging.getLogger(__name__)

Batch = list[tuple[AlertInput, str]]  # alerts with their routing keys, stored in order


class Learnt:
    """What earlier ingests and key lookups taught this process, so that alerts can be stored with fewer
    round trips (the statements check again whatever they rely on, `domain.OwnersChanged` when it no
    longer holds):
    - each valid routing key's owner (integration, service name): no key lookup first, in the one
      statement or in the transaction;
    - the (service, severity) pairs it has stored alerts of: an alert of a pair never seen opens an
      incident, so its run goes to a transaction at once instead of trying the one statement first
      (`domain.ingest_joining`, for runs that only join open incidents or repeat firing alerts).
    Bounded: each is emptied when full."""

    def __init__(self, limit: int = 10_000) -> None:
        self._owners: dict[str, tuple[uuid.UUID, str]] = {}
        self._pairs: set[tuple[str, str]] = set()
        self._limit = limit

    def owners(self, found: dict[str, catalog.KeyOwner | DomainError]) -> None:
        if len(self._owners) + len(found) > self._limit:
            self._owners.clear()
        for key, owner in found.items():
            if isinstance(owner, catalog.KeyOwner):
                self._owners[key] = (owner.integration.id, owner.service.name)
            else:
                self._owners.pop(key, None)

    def forget(self, keys: Iterable[str]) -> None:
        for key in keys:
            self._owners.pop(key, None)

    def stored(self, alerts: Iterable[AlertInput]) -> None:
        pairs = {(alert.service, alert.severity) for alert in alerts}
        if len(self._pairs) + len(pairs) > self._limit:
            self._pairs.clear()
        self._pairs |= pairs

    def owned(self, items: Batch) -> tuple[list[AlertInput], dict[uuid.UUID, str]] | None:
        """The alerts with their keys' services and integrations, and those owners; None if a key's owner
        is not known."""
        alerts, owners = [], {}
        for alert, key in items:
            if key:
                found = self._owners.get(key)
                if found is None:
                    return None
                integration_id, service = found
                owners[integration_id] = service
                alert = owned_by(alert, integration_id, service)
            alerts.append(alert)
        return alerts, owners

    def joining_run(self, items: Batch) -> tuple[list[AlertInput], dict[uuid.UUID, str]] | None:
        """`owned`, when every (service, severity) pair is known too; else None."""
        owned = self.owned(items)
        if owned is None or any((a.service, a.severity) not in self._pairs for a in owned[0]):
            return None
        return owned


def owned_by(alert: AlertInput, integration_id: uuid.UUID, service: str) -> AlertInput:
    """The alert as its key's owner makes it: that integration's, of that service, and fingerprinted
    from that service when its sender gave no fingerprint (as a replica fingerprints alerts without a
    key, `shared.fingerprints`)."""
    found = alert.fingerprint or fingerprints.of_alert(service, alert.severity, alert.labels, alert.summary)
    return replace(alert, service=service, integration_id=integration_id, fingerprint=found)


def _owners_of(alerts: Iterable[AlertInput]) -> dict[uuid.UUID, str]:
    return {alert.integration_id: alert.service for alert in alerts if alert.integration_id}


def _created(results: list[IngestResult]) -> list[uuid.UUID]:
    return [r.incident_id for r in results if r.result == "created" and r.incident_id]


def _joined(outcomes: list[IngestResult | Exception]) -> set[uuid.UUID]:
    """Incidents an alert joined (correlated into), for live dashboards."""
    return {
        o.incident_id
        for o in outcomes
        if isinstance(o, IngestResult) and o.result == "correlated" and o.incident_id is not None
    }


def _done() -> asyncio.Future:
    future = asyncio.get_running_loop().create_future()
    future.set_result(None)
    return future


@dataclass
class IncidentCommands:
    sessions: async_sessionmaker[AsyncSession]
    oncall: OnCallClient
    relay: OutboxRelay
    window_seconds: int
    escalator: Escalator
    # The driver's own connections: alerts that only join or repeat are stored with one statement on them,
    # groups of triggers in a transaction on them, routing keys are looked up on them
    driver: DriverPool
    ingest_lanes: int = 2
    inline_paging_seconds: float = 0.5

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
        self._group: GroupCommit[Batch, tuple[list[IngestResult | Exception], asyncio.Future]] = GroupCommit(
            self._store_group, lanes=self.ingest_lanes, max_group=256, weight=len
        )
        self._paging: set[asyncio.Future] = set()
        self._learnt = Learnt()
        # How groups of alerts were stored: by one statement ("joining"), in a "transaction" (after the
        # statement "declined" them, or at once); of those, the ones whose keys' "owners known" spared a
        # lookup, and how often an owner relied on had "owners changed" (nothing stored, looked up again)
        self.stored_by = Counter[str]()
        self._inline = InlinePaging(self.oncall, self.escalation, timeout=self.inline_paging_seconds)

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

    async def _submit(self, batch: Batch) -> list[IngestResult | Exception]:
        outcomes, paged = await self._group.submit(batch)
        self.relay.announce_alerts(_joined(outcomes))
        # Shared by the group: one caller giving up must not cancel it. The alerts are committed whatever
        # paging after commit does: a failure is logged (`_paged`) and the retry worker pages them, so the
        # caller is told they are stored, not an error that would make it send them again.
        with contextlib.suppress(Exception):
            await asyncio.shield(paged)
        return outcomes

    async def _store_group(
        self, batches: list[Batch]
    ) -> list[tuple[list[IngestResult | Exception], asyncio.Future]]:
        """One transaction for the batches, each answered with its own slice of the outcomes."""
        outcomes, paged = await self._store([item for batch in batches for item in batch])
        ends = list(itertools.accumulate(len(batch) for batch in batches))
        return [(outcomes[end - len(batch) : end], paged) for batch, end in zip(batches, ends, strict=True)]

    async def _store(
        self, items: list[tuple[AlertInput, str]], *, retry_cut: bool = True
    ) -> tuple[list[IngestResult | Exception], asyncio.Future]:
        """Alerts that only join or repeat, by one statement (`_store_joining`); else one transaction for
        alerts that may carry different keys, where a bad key fails only its own alerts: on the driver's
        connection when every alert is a trigger, else in a session.
        If the transaction's connection was cut (a database restart), the group is stored once more on a
        new one: alerts a commit had stored before the cut then count as their own duplicates, nothing is
        lost or opened twice. If the transaction itself fails, each alert is retried alone, so one bad
        alert sinks no others.
        Returns the outcomes once committed, and the paging of the new incidents, which runs on its own:
        the next group's transaction does not wait for it."""
        joined = await self._store_joining(items)
        if joined is not None:
            self.stored_by["joining"] += 1
            return joined, _done()  # type: ignore[return-value]
        self.stored_by["transaction"] += 1
        transaction = self._triggers if all(a.action == "trigger" for a, _ in items) else self._in_session
        try:
            prepared, deadlines = await transaction(items)
        except domain.OwnersChanged:  # nothing was stored: look the keys up this time
            self._owners_changed(items)
            return await self._store(items, retry_cut=retry_cut)
        except Exception as error:
            if retry_cut and connection_cut(error):
                return await self._store(items, retry_cut=False)
            if len(items) == 1:
                raise
            alone = [await self._store_alone(item) for item in items]
            paging = [paged for _, paged in alone if paged is not None]
            return [outcome for outcome, _ in alone], asyncio.ensure_future(asyncio.gather(*paging))
        if deadlines is not None:  # paged in the transaction: only the wake-ups are left
            self._wake_after_paging(deadlines)
            return prepared, _done()  # type: ignore[return-value]
        stored = [r for r in prepared if isinstance(r, IngestResult)]
        return prepared, self._in_background(self._after_ingest(stored))

    async def _triggers(self, items: Batch) -> tuple[list[IngestResult | Exception], list | None]:
        """Triggers in a transaction on the driver's connection: their keys' owners known or looked up
        first (and checked again by the ingest statement), the new incidents paged before the commit, what
        paging changed written with their events in one statement."""
        owned = self._learnt.owned(items)
        if owned is not None and owned[1]:
            self.stored_by["owners known"] += 1
        async with self.driver.connection() as connection:
            if owned is None:
                found = await catalog.lookup_keys(connection, {key for _, key in items if key})
                prepared = self._with_owners(items, found)
            else:
                prepared = list(owned[0])
            ready = [(i, a) for i, a in enumerate(prepared) if isinstance(a, AlertInput)]
            if not ready:
                return prepared, None
            alerts, work, now = [a for _, a in ready], DriverWork(), utcnow()
            async with connection.transaction():
                ingested = await domain.ingest_triggers(
                    connection,
                    work,
                    alerts,
                    now=now,
                    window_seconds=self.window_seconds,
                    owners=_owners_of(alerts),
                )
                deadlines = await self._inline.page(work, ingested, now=now)
                await work.write(connection)
        return self._stored(prepared, ready, ingested), deadlines

    async def _in_session(self, items: Batch) -> tuple[list[IngestResult | Exception], list | None]:
        """Alerts with a source's acknowledge or resolve among them, in a session's transaction (the keys
        looked up in it)."""
        async with self.sessions.begin() as session:
            found = await catalog.resolve_keys(session, {key for _, key in items if key})
            prepared = self._with_owners(items, found)
            ready = [(i, a) for i, a in enumerate(prepared) if isinstance(a, AlertInput)]
            now = utcnow()
            ingested = await domain.ingest_alerts(
                session, [a for _, a in ready], now=now, window_seconds=self.window_seconds, take_locks=True
            )
            deadlines = await self._inline.page(session, ingested, now=now)
        return self._stored(prepared, ready, ingested), deadlines

    def _with_owners(
        self, items: Batch, owners: dict[str, catalog.KeyOwner | DomainError]
    ) -> list[AlertInput | Exception]:
        """Each alert with its key's service and integration, or the key's error (401/403) in its place;
        the owners found are learnt."""
        self._learnt.owners(owners)
        prepared: list[AlertInput | Exception] = []
        for alert, key in items:
            owner = owners.get(key) if key else None
            if isinstance(owner, DomainError):
                prepared.append(owner)
            elif owner is not None:
                prepared.append(owned_by(alert, owner.integration.id, owner.service.name))
            else:
                prepared.append(alert)
        return prepared

    def _stored(
        self,
        prepared: list[AlertInput | Exception],
        ready: list[tuple[int, AlertInput]],
        ingested: domain.Ingested,
    ) -> list[IngestResult | Exception]:
        """Committed: each stored alert's outcome in its place (refused ones keep their errors)."""
        outcomes: list[IngestResult | Exception] = list(prepared)  # type: ignore[arg-type]
        for (i, alert), result in zip(ready, ingested.results, strict=True):
            outcomes[i] = replace(result, fingerprint=alert.fingerprint)
        self._learnt.stored(a for _, a in ready)
        return outcomes

    async def _store_joining(self, items: Batch) -> list[IngestResult] | None:
        """Triggers with known keys, if they all join an open incident or repeat a firing alert: stored
        by one statement, without a transaction (nothing to page, no event). None, with nothing stored,
        when they need the transaction, or when the attempt failed (the transaction then decides)."""
        prepared = self._learnt.joining_run(items)
        if prepared is None:
            return None
        alerts, owners = prepared
        now = utcnow()
        try:
            async with self.driver.connection() as connection:
                results = await domain.ingest_joining(
                    connection, alerts, now=now, window_seconds=self.window_seconds, owners=owners
                )
        except domain.OwnersChanged:  # nothing was stored: the transaction looks the keys up
            self._owners_changed(items)
            return None
        except Exception:
            log.warning("alerts not stored in one statement; storing them in a transaction", exc_info=True)
            return None
        if results is None:
            self.stored_by["declined"] += 1
            return None
        return [replace(r, fingerprint=a.fingerprint) for r, a in zip(results, alerts, strict=True)]

    async def _store_alone(
        self, item: tuple[AlertInput, str]
    ) -> tuple[IngestResult | Exception, asyncio.Future | None]:
        try:
            [outcome], paged = await self._store([item], retry_cut=False)
            return outcome, paged
        except Exception as error:
            return error, None

    def _owners_changed(self, items: Batch) -> None:
        self.stored_by["owners changed"] += 1
        self._learnt.forget(key for _, key in items if key)

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
        """The key's owner (the replicas ask once per key they have not cached): learnt too, so the alerts
        that follow need no lookup of their own."""
        try:
            async with self.driver.connection() as connection:
                owner = await catalog.lookup_key(connection, key)
        except DomainError as refused:  # unknown or revoked: forgotten if it was learnt
            self._learnt.owners({key: refused})
            raise
        self._learnt.owners({key: owner})
        return owner

    async def record_heartbeat(self, key: str) -> heartbeats.PingResult:
        async with self.sessions.begin() as session:
            owner = await catalog.resolve_key(session, key)
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
            self.relay.wake()  # only these wrote events; the relay's poll is the safety net
        created = _created(results)
        if not created:
            return
        # Each in its own transaction, at once: a group's new incidents do not wait on one another.
        deadlines = await asyncio.gather(
            *(
                assign_new_incident(self.sessions, self.oncall, self.escalation, incident_id=incident_id)
                for incident_id in created
            )
        )
        self._wake_after_paging(deadlines)

    def _wake_after_paging(self, deadlines: list[datetime | None]) -> None:
        """Paging committed: relay its events; tell the escalation worker about the earliest new deadline
        (none set, nothing for it to re-read)."""
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

    async def status_counts(self, query: IncidentFilter) -> dict[str, int]:
        async with self.sessions() as session:
            return await domain.count_by_status(session, query)

    async def declare(self, body: IncidentDeclare, *, actor: str) -> tuple[Incident, bool]:
        """Open an incident by hand through the alert path (stored, paged and relayed alike); whether it
        is new, or joined an open incident of the same service and severity."""
        result = await self.ingest(domain.declared_alert(body, actor=actor))
        if result.incident_id is None:  # a trigger always lands on an incident
            raise RuntimeError("the declared incident's alert was not stored")
        incident, _, _ = await self.get(result.incident_id)
        return incident, result.result == "created"
