"""Heartbeat monitors: a ping moves the deadline; silence past it opens an incident, a ping resolves it."""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import asyncpg

from services.incident_management import domain
from services.incident_management import repository as repo
from services.incident_management.catalog import KeyOwner
from services.incident_management.models import Heartbeat, Integration, MonitoredService
from services.incident_management.schemas import AlertInput
from shared.errors import PermissionDenied
from shared.timeutil import rfc3339


@dataclass(frozen=True, slots=True)
class PingResult:
    service: str
    next_due_at: datetime
    recovered: bool


def missed_fingerprint(integration: Integration) -> str:
    return f"heartbeat:{integration.id}"


def missed_alert(heartbeat: Heartbeat, integration: Integration, service: MonitoredService) -> AlertInput:
    last = rfc3339(heartbeat.last_ping_at) or "never"
    return AlertInput(
        service=service.name,
        severity="critical",
        summary=f"Heartbeat missed: {integration.name} (expected every {heartbeat.interval_seconds}s, "
        f"last ping {last})",
        fingerprint=missed_fingerprint(integration),
        source="heartbeat",
        labels={"integration": integration.name, "type": "heartbeat"},
        integration_id=integration.id,
    )


async def record_ping(
    connection: asyncpg.Connection, owner: KeyOwner, *, now: datetime, window_seconds: int
) -> PingResult:
    """Push the deadline to now + interval + grace; a pending 'missed' alert is resolved by this ping."""
    heartbeat = await repo.lock_heartbeat(connection, integration_id=owner.integration.id)
    if heartbeat is None:
        raise PermissionDenied(
            f"integration {owner.integration.name!r} is not a heartbeat monitor", field="key"
        )
    heartbeat.last_ping_at = now
    heartbeat.due_at = now + timedelta(seconds=heartbeat.interval_seconds + heartbeat.grace_seconds)
    recovered = False
    if heartbeat.missed_alert_fingerprint is not None:
        alert = replace(missed_alert(heartbeat, owner.integration, owner.service), action="resolve")
        ingested = await domain.ingest(connection, [alert], now=now, window_seconds=window_seconds)
        recovered = ingested.results[0].result == "resolved"
        heartbeat.missed_alert_fingerprint = None
    await repo.write_heartbeats(connection, [heartbeat])
    return PingResult(owner.service.name, now + timedelta(seconds=heartbeat.interval_seconds), recovered)


async def open_missed(
    connection: asyncpg.Connection,
    *,
    now: datetime,
    window_seconds: int,
    page: domain.Page | None = None,
    batch: int = 100,
) -> domain.Ingested:
    """Trigger a 'missed' alert for each overdue heartbeat, once: the claim and the mark share a transaction;
    `page` pages the incidents opened. Returns each alert's outcome."""
    claimed = await repo.claim_missed_heartbeats(connection, now=now, limit=batch)
    alerts = [missed_alert(heartbeat, integration, service) for heartbeat, integration, service in claimed]
    if not alerts:
        return domain.Ingested([], None)
    outcomes = await domain.ingest(connection, alerts, now=now, window_seconds=window_seconds, page=page)
    for (heartbeat, _, _), alert in zip(claimed, alerts, strict=True):
        heartbeat.missed_alert_fingerprint = alert.fingerprint
    await repo.write_heartbeats(connection, [heartbeat for heartbeat, _, _ in claimed])
    return outcomes
