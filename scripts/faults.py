"""Faults under a stream of alerts, as a verdict: `make test-faults` (or `python -m scripts.faults`).

Starts its own native stack under var/faults-stack (embedded PostgreSQL and Redis, so that they can be
stopped), then for each fault streams alerts at `--rate` a second to a new service for `--before` seconds,
causes the fault (kill -9 of a process and its restart, or a server stopped for a while and started again),
and streams `--after` seconds more. The sender re-sends as Alertmanager does: on a 5xx, a 429 or no answer,
the same alert (same fingerprint) after a growing pause. Every alert opens an incident of its own
(CORRELATION_WINDOW_SECONDS=0), whose `incident.triggered` event a webhook receiver on 127.0.0.1 counts by
event id. Each fault prints one line; the run fails on an accepted alert not stored, one stored twice, an
incident whose event is not delivered within `--deliver-seconds` of the stream's end, or an alert never
accepted (refused, or still failing after two minutes of re-sends).
"""

import argparse
import asyncio
import os
import random
import shutil
import signal
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import aiohttp
import asyncpg
import uvloop

from scripts import webhook_receiver
from scripts.devstack import processes, runner
from scripts.devstack.ports import free_port_values
from scripts.devstack.settings import ROOT, StackSettings

# What a stack needs for the harness: every alert its own incident, webhooks allowed to 127.0.0.1.
SERVICE_ENV = {"CORRELATION_WINDOW_SECONDS": "0", "WEBHOOK_ALLOW_INTERNAL_TARGETS": "true"}


@dataclass(frozen=True)
class Fault:
    """A named fault: `act` causes it and brings the stack back (blocking; run in a thread)."""

    name: str
    act: Callable[[StackSettings], None]


def kill(name: str) -> Fault:
    """kill -9 of one process of the stack, then its restart."""

    def act(settings: StackSettings) -> None:
        pid = processes.running_pid(settings.run_dir, name)
        if pid is None:
            raise RuntimeError(f"{name} is not running")
        os.kill(pid, signal.SIGKILL)
        while processes.running_pid(settings.run_dir, name) is not None:  # dying, not gone yet
            time.sleep(0.01)
        runner.start_named(settings, name)

    return Fault(f"kill -9 {name}", act)


def stopped(name: str, seconds: float) -> Fault:
    """An embedded server stopped for `seconds`, then started again."""

    def act(settings: StackSettings) -> None:
        runner.stop(settings, name)
        time.sleep(seconds)
        runner.start_named(settings, name)

    return Fault(f"{name} stopped {seconds:g} s", act)


def all_faults(*, redis_seconds: float, postgres_seconds: float) -> list[Fault]:
    return [
        kill("alert-ingestion-1"),
        kill("incident-management"),
        kill("notifier"),
        stopped("redis", redis_seconds),
        stopped("postgres", postgres_seconds),
    ]


def events_about(receiver: webhook_receiver.Receiver, incidents: set[str]) -> dict[str, int]:
    """Per incident among `incidents`, how many distinct events arrived for it."""
    counts: dict[str, int] = {}
    for incident in receiver.incident_of.values():
        if incident in incidents:
            counts[incident] = counts.get(incident, 0) + 1
    return counts


@dataclass
class Sender:
    """Alerts to one integration key, each re-sent until a 202 (or a refusal), as Alertmanager re-sends."""

    client: aiohttp.ClientSession
    key: str
    give_up_seconds: float = 120.0
    sent: int = 0
    accepted: set[str] = field(default_factory=set)
    accepted_at: list[float] = field(default_factory=list)
    refused: dict[int, int] = field(default_factory=dict)
    gave_up: int = 0

    async def one(self, fingerprint: str) -> None:
        body = {"severity": "high", "summary": f"fault {fingerprint}", "fingerprint": fingerprint}
        headers = {"Authorization": f"Bearer {self.key}"}
        deadline, pause = time.monotonic() + self.give_up_seconds, 0.5
        while time.monotonic() < deadline:
            status, _ = await webhook_receiver.post_alert(self.client, body, headers)
            if status == 202:
                self.accepted.add(fingerprint)
                self.accepted_at.append(time.monotonic())
                return
            if status and status < 500 and status != 429:
                self.refused[status] = self.refused.get(status, 0) + 1
                return
            await asyncio.sleep(pause * random.uniform(0.8, 1.2))
            pause = min(pause * 2, 5.0)
        self.gave_up += 1

    async def stream(self, rate: float, until: asyncio.Event) -> tuple[float, float]:
        """New alerts at `rate` a second until `until` is set, then wait for their re-sends; returns when
        the stream started and ended."""
        tasks, start = [], time.monotonic()
        try:
            while not until.is_set():
                tasks.append(asyncio.create_task(self.one(f"f{self.sent}")))
                self.sent += 1
                await asyncio.sleep(max(0.0, start + self.sent / rate - time.monotonic()))
            end = time.monotonic()
            await asyncio.gather(*tasks)
        except asyncio.CancelledError:  # the fault failed: no sends after the client closes
            for task in tasks:
                task.cancel()
            raise
        return start, end

    def longest_gap(self, start: float, end: float) -> float:
        """The longest time within [start, end] without a 202."""
        times = [start, *sorted(t for t in self.accepted_at if start <= t <= end), end]
        return max(b - a for a, b in zip(times, times[1:], strict=False))


@dataclass(frozen=True)
class Verdict:
    fault: str
    sent: int
    accepted: int
    stored: int
    lost: int
    twice: int
    expected: int
    delivered: int
    gap: float
    unsent: int

    @property
    def passed(self) -> bool:
        return self.lost == self.twice == self.unsent == 0 and self.delivered == self.expected

    def line(self) -> str:
        verdict = "ok" if self.passed else "FAIL"
        return (
            f"{self.fault:32} sent {self.sent:5}  accepted {self.accepted:5}  stored {self.stored:5}  "
            f"lost {self.lost}  twice {self.twice}  events {self.delivered}/{self.expected}  "
            f"longest without 202 {self.gap:5.1f} s  unsent {self.unsent}  {verdict}"
        )


@dataclass(frozen=True)
class Phases:
    """Seconds of stream before and after a fault, its rate, and the wait for events afterwards."""

    rate: float = 100.0
    before: float = 3.0
    after: float = 3.0
    deliver_seconds: float = 90.0


async def run_fault(
    settings: StackSettings,
    database_url: str,
    client: aiohttp.ClientSession,
    receiver: webhook_receiver.Receiver,
    fault: Fault,
    phases: Phases,
) -> Verdict:
    """Stream alerts to a new service across `fault`, then count what was accepted, stored, delivered."""
    service = f"fault-{uuid.uuid4().hex[:8]}"
    sender = Sender(client, await integration_key(client, service))
    until = asyncio.Event()
    streaming = asyncio.create_task(sender.stream(phases.rate, until))
    try:
        await asyncio.sleep(phases.before)
        await asyncio.to_thread(fault.act, settings)
        await asyncio.sleep(phases.after)
    except BaseException:
        streaming.cancel()
        raise
    until.set()
    start, end = await streaming
    fingerprints, rows, incidents = await stored(database_url, service)
    deadline = time.monotonic() + phases.deliver_seconds
    while len(events_about(receiver, incidents)) < len(incidents) and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.2)
    events = events_about(receiver, incidents)
    return Verdict(
        fault=fault.name,
        sent=sender.sent,
        accepted=len(sender.accepted),
        stored=len(fingerprints),
        lost=len(sender.accepted - fingerprints),
        twice=rows - len(fingerprints) + sum(n - 1 for n in events.values()),
        expected=len(incidents),
        delivered=len(events),
        gap=sender.longest_gap(start, end),
        unsent=sender.gave_up + sum(sender.refused.values()),
    )


async def integration_key(client: aiohttp.ClientSession, service: str) -> str:
    """A new service with an `api` integration, made through the gateway; its key."""
    async with client.post("/api/v1/services", json={"name": service}) as reply:
        reply.raise_for_status()
        made = await reply.json()
    path = f"/api/v1/services/{made['id']}/integrations"
    async with client.post(path, json={"name": "api", "type": "api"}) as reply:
        reply.raise_for_status()
        return (await reply.json())["key"]


async def stored(database_url: str, service: str) -> tuple[set[str], int, set[str]]:
    """The service's stored fingerprints, its alert rows, and its incidents' ids."""
    connection = await asyncpg.connect(database_url.replace("postgresql+asyncpg", "postgresql"))
    try:
        alerts = await connection.fetch("SELECT fingerprint FROM alerts WHERE service = $1", service)
        incidents = await connection.fetch("SELECT id FROM incidents WHERE service = $1", service)
    finally:
        await connection.close()
    return {r["fingerprint"] for r in alerts}, len(alerts), {str(r["id"]) for r in incidents}


async def subscribe_as_admin(
    settings: StackSettings, client: aiohttp.ClientSession, receiver: webhook_receiver.Receiver, url: str
) -> None:
    """Make `client` call as the stack's first admin, and subscribe `receiver` (at `url`) to new incidents."""
    email, password = runner.admin_login(settings)
    async with client.post("/api/v1/auth/token", json={"email": email, "password": password}) as reply:
        reply.raise_for_status()
        client.headers["Authorization"] = f"Bearer {(await reply.json())['access_token']}"
    subscription = {"url": url, "event_types": ["incident.triggered"], "allow_internal": True}
    async with client.post("/api/v1/webhooks", json=subscription) as reply:
        reply.raise_for_status()
        receiver.secret = (await reply.json())["secret"]


async def run_faults(
    settings: StackSettings, database_url: str, faults: list[Fault], phases: Phases
) -> list[Verdict]:
    """Each fault in turn on a running stack, called as its first admin, with one webhook subscription."""
    receiver = webhook_receiver.Receiver()
    timeout = aiohttp.ClientTimeout(total=10)
    connector = aiohttp.TCPConnector(limit=512)
    async with (
        webhook_receiver.running(receiver) as url,
        aiohttp.ClientSession(settings.gateway_url, timeout=timeout, connector=connector) as client,
    ):
        await subscribe_as_admin(settings, client, receiver, url)
        verdicts = []
        for fault in faults:
            verdicts.append(await run_fault(settings, database_url, client, receiver, fault, phases))
            print(verdicts[-1].line(), flush=True)
    return verdicts


def suite_settings() -> StackSettings:
    return StackSettings(
        _env_file=None,
        var_dir=ROOT / "var" / "faults-stack",
        **free_port_values(replicas=2),
        rate_limit_average=1_000_000,
        rate_limit_burst=1_000_000,
        log_level="WARNING",
        service_env={**SERVICE_ENV, "AUTH_TOKEN_MINUTES": "60"},
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="faults", description=__doc__)
    parser.add_argument("--rate", type=float, default=100.0, help="new alerts a second")
    parser.add_argument("--before", type=float, default=5.0, help="seconds of stream before each fault")
    parser.add_argument("--after", type=float, default=5.0, help="seconds of stream after each fault")
    parser.add_argument("--redis-seconds", type=float, default=20.0)
    parser.add_argument("--postgres-seconds", type=float, default=10.0)
    parser.add_argument("--deliver-seconds", type=float, default=90.0, help="the wait for events after")
    args = parser.parse_args(argv)
    phases = Phases(
        rate=args.rate, before=args.before, after=args.after, deliver_seconds=args.deliver_seconds
    )
    faults = all_faults(redis_seconds=args.redis_seconds, postgres_seconds=args.postgres_seconds)
    settings = suite_settings()
    shutil.rmtree(settings.var_dir, ignore_errors=True)  # from empty data each time
    try:
        runner.up(settings)
        database_url = runner.backends_of(settings).database_url
        verdicts = uvloop.run(run_faults(settings, database_url, faults, phases))
    finally:
        runner.down(settings)
    failed = [v.fault for v in verdicts if not v.passed]
    print(
        f"faults: {len(verdicts) - len(failed)} of {len(verdicts)} passed"
        + (f"; failed: {failed}" if failed else "")
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
