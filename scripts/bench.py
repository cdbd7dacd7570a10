"""Benchmark of the ingestion hot path through Traefik: `make bench` (or `python -m scripts.bench`).

Starts its own native stack under var/bench-stack, from empty data each time, creates services with routing
keys, owned by teams with a rotation of two people each (benchkit/owners.py: every new incident is assigned
and emailed to the person on call, as in a real deployment; `--unowned` leaves them to no team, which
neither pages nor emails), then measures in one run: a no-op endpoint behind the same
Traefik, the issue's minimal prototype of the hop (benchkit/prototype.py), single alerts and batches at
saturation (wrk; single alerts twice: the storm's start, which opens its incidents and pages them, then
the storm going on, its incidents open already), open-loop latency at fixed fractions of saturation (and
the no-op's at the same offered rates), alert -> signed webhook latency, CPU per alert per process,
memory, the cost of the credential check (benchkit/credentials.py) and the incident list on a seeded
history of 100,000 incidents; on a machine slower than the issue's (by the prototype), open loop and
webhook again at the issue's rates scaled to it (benchkit/targets.py). Prints a table and writes JSON under
var/bench/. It calls the API as the stack's first admin, with an access token; alerts carry the
integrations' keys.

Or it measures a stack that is already running, and starts and stops nothing: `--running` for the native
stack of this environment's settings (VAR_DIR, ports, .env: the one `make up` started), with every figure;
`--gateway URL` for any other (docker compose, say), with the figures seen through its gateway only (its
admin given as ADMIN_EMAIL and ADMIN_PASSWORD). The
services, keys, teams, people, incidents and subscription the run creates stay there (and its emails go to
addresses under example.com): point it at a test deployment.
A phase the stack does not allow is skipped and says why: the no-op ceiling needs the replicas started
with BENCH_NOOP_ENDPOINT=true, the webhook phase a notifier with WEBHOOK_ALLOW_INTERNAL_TARGETS=true (its
receiver listens on 127.0.0.1).
"""

import argparse
import asyncio
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import asyncpg
import httpx
import uvloop

from scripts.benchkit import (
    credentials,
    integrations,
    listing,
    logs,
    openloop,
    owners,
    probe,
    procstat,
    prototype,
    runs,
    targets,
    volume,
    webhook,
    wrk,
)
from scripts.benchkit.report import print_report
from scripts.devstack import processes, runner
from scripts.devstack.ports import free_port_values
from scripts.devstack.settings import ROOT, StackSettings
from shared import embedded
from shared.aio import STUCK_WORKER
from shared.serve import settle_heap

OUT_DIR = ROOT / "var" / "bench"


def bench_settings() -> StackSettings:
    return StackSettings(
        _env_file=None,
        var_dir=ROOT / "var" / "bench-stack",
        **free_port_values(replicas=2),
        rate_limit_average=1_000_000,
        rate_limit_burst=1_000_000,
        log_level="WARNING",
        # An alert storm over many services: each (service, severity) opens an incident when first seen,
        # then its alerts join it; the report gives the mix each phase produced. The window is the
        # platform's default, five minutes, longer than a run: only the storm's start opens incidents (with
        # a minute's, they would open again in whichever phase ran a minute later).
        service_env={
            "CORRELATION_WINDOW_SECONDS": "300",
            "BENCH_NOOP_ENDPOINT": "true",
            "WEBHOOK_ALLOW_INTERNAL_TARGETS": "true",  # the receiver is on 127.0.0.1
            "AUTH_TOKEN_MINUTES": "60",  # one access token serves the whole run
        },
    )


def make_keys(
    gateway: str, count: int, *, owned: bool, headers: dict[str, str]
) -> tuple[list[str], list[str]]:
    """`count` services, each with an `api` and an `alertmanager` integration, and with `owned` teams owning
    them (benchkit/owners.py: every new incident paged by email), made with the admin's `headers`; returns
    both key lists."""

    async def create() -> list[list[str]]:
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(gateway, timeout=timeout, headers=headers) as client:
            prefix = f"bench-{int(time.time())}"
            kinds = ("api", "alertmanager")
            keys = await integrations.create_keys(client, count, prefix=prefix, kinds=kinds)
            if owned:
                await owners.own(client, [f"{prefix}-{i}" for i in range(count)], prefix=prefix)
            return keys

    api, am = uvloop.run(create())
    return api, am


@dataclass(frozen=True)
class Target:
    """What a run measures: a gateway, and when the stack is a native one on this machine, its settings
    (its processes give CPU and memory, its database what the alerts did)."""

    gateway: str
    settings: StackSettings | None = None


def process_groups(settings: StackSettings | None) -> dict[str, list[int]]:
    if settings is None:
        return {}
    groups = {}
    names = [spec.name for spec in runner.service_specs(settings, runner.backends_of(settings))]
    for name in [*names, *prototype.NAMES]:  # the prototype's only while its phase runs
        pid = processes.running_pid(settings.run_dir, name)
        if pid:
            groups[name] = [pid]
    postmaster = embedded.postgres_pid(settings.var_dir / "pg")
    if postmaster:
        groups["postgres"] = [postmaster, *procstat.children(postmaster)]
    redis = embedded.redis_pid(settings.var_dir / "redis")
    if redis:
        groups["redis"] = [redis]
    return groups


_MIX = """
    SELECT (SELECT count(*) FROM incidents) AS incidents, (SELECT count(*) FROM alerts) AS alerts,
           (SELECT coalesce(sum(duplicate_count), 0) FROM alerts) AS duplicates,
           (SELECT count(*) FROM email_notifications WHERE status = 'sent') AS emails
"""


def driver_url(settings: StackSettings) -> str:
    """The stack's database URL as asyncpg takes it."""
    return runner.backends_of(settings).driver_url


def stored_counts(settings: StackSettings | None) -> dict[str, int] | None:
    """Incidents, alerts and duplicates stored so far: the difference over a phase is its real mix."""
    if settings is None:
        return None

    async def query() -> dict[str, int]:
        connection = await asyncpg.connect(driver_url(settings))
        try:
            return dict(await connection.fetchrow(_MIX))
        finally:
            await connection.close()

    return asyncio.run(query())


def mix_of(before: dict[str, int] | None, after: dict[str, int] | None) -> dict[str, int] | None:
    if before is None or after is None:
        return None
    created = after["incidents"] - before["incidents"]
    return {
        "created": created,
        "correlated": after["alerts"] - before["alerts"] - created,
        "duplicate": after["duplicates"] - before["duplicates"],
        "emails": after["emails"] - before["emails"],  # sent by the phase's end
    }


def cpu_snapshot(settings: StackSettings | None) -> dict[int, float]:
    return {pid: procstat.cpu_seconds(pid) for pids in process_groups(settings).values() for pid in pids}


def cpu_ms_per(settings: StackSettings | None, before: dict[int, float], count: int) -> dict[str, float]:
    """CPU ms each process group spent since `before`, per item (per PID, so new backends count)."""
    return {
        name: round(sum(procstat.cpu_seconds(p) - before.get(p, 0.0) for p in pids) * 1000 / max(count, 1), 3)
        for name, pids in process_groups(settings).items()
    }


def webhook_phase(target: Target, headers: dict[str, str], *, rate: float, seconds: float) -> dict:
    """Alert -> signed webhook latency, with the CPU each process spent per new incident while sending,
    and how many cores the stack kept busy meanwhile, and this process (the sender and the receiver,
    which share the machine with the stack)."""
    before: dict[int, float] = {}
    started: list[float] = []
    own: list[float] = []

    def ready() -> None:
        before.update(cpu_snapshot(target.settings))
        started.append(time.monotonic())
        own.append(time.process_time())

    try:
        result = uvloop.run(webhook.measure(target.gateway, headers, rate=rate, seconds=seconds, ready=ready))
    except webhook.Refused as refused:
        return {"skipped": str(refused)}
    elapsed = time.monotonic() - started[0]
    cpu = cpu_ms_per(target.settings, before, result["incidents"])
    result["cpu_ms_per_incident"] = cpu
    # Latency at this rate is mostly queueing once the stack nears the machine's cores (which the load
    # generator and the receiver share too).
    busy = sum(cpu.values()) * result["incidents"] / 1000 / elapsed
    result["stack_cores_busy"] = round(busy, 2) if cpu else None
    result["generator_cores_busy"] = round((time.process_time() - own[0]) / elapsed, 2)
    return result


def measured(settings: StackSettings | None, run, alerts_per_request: int) -> dict:
    """Run a wrk phase; add CPU ms per alert for each process group (per PID, so new backends count) and
    the mix of outcomes the phase produced."""
    before = cpu_snapshot(settings)
    counts = stored_counts(settings)
    result = run()
    mix = mix_of(counts, stored_counts(settings))
    cpu = cpu_ms_per(settings, before, (result.requests - result.errors) * alerts_per_request)
    return {
        "requests_per_s": round(result.rate, 1),
        "alerts_per_s": round(result.rate * alerts_per_request, 1),
        "errors": result.errors,
        "latency_ms": result.latency_ms,
        "cpu_ms_per_alert": cpu,
        "mix": mix,
    }


def merged(parts: list[dict]) -> dict:
    """One phase measured in parts of equal length: the mean rates, CPU per alert over all of them, the
    worse of the parts at each latency percentile, and the parts themselves."""
    alerts = [part["alerts_per_s"] for part in parts]
    names = {name for part in parts for name in part["cpu_ms_per_alert"]}
    cpu = {
        name: round(
            sum(part["cpu_ms_per_alert"].get(name, 0.0) * n for part, n in zip(parts, alerts, strict=True))
            / max(sum(alerts), 1e-9),
            3,
        )
        for name in sorted(names)
    }
    return {
        "requests_per_s": round(sum(part["requests_per_s"] for part in parts) / len(parts), 1),
        "alerts_per_s": round(sum(alerts) / len(parts), 1),
        "errors": sum(part["errors"] for part in parts),
        "latency_ms": {p: max(part["latency_ms"][p] for part in parts) for p in parts[0]["latency_ms"]},
        "cpu_ms_per_alert": cpu,
        "mix": None,
        "parts": parts,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=6, help="length of each phase (default 6)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--services", type=int, default=50)
    parser.add_argument(
        "--unowned",
        action="store_true",
        help="leave the services to no team, so no one is paged (as the benchmark did until the fifteenth "
        "session); by default teams own them and each new incident is emailed to the person on call",
    )
    parser.add_argument(
        "--webhook-rate",
        type=float,
        default=100,
        help="new incidents/s offered in the alert → webhook phase (default 100, the issue's target)",
    )
    parser.add_argument(
        "--incidents",
        type=int,
        help="after the phases, seed this many incidents and time the incident list on them (0: skip; "
        "default 100,000 on the benchmark's own stack, 0 on a running one)",
    )
    parser.add_argument(
        "--volume",
        type=int,
        default=0,
        help="after the phases, send this many alerts twice (e.g. 100000) and report RSS after each round",
    )
    running = parser.add_mutually_exclusive_group()
    running.add_argument(
        "--running",
        action="store_true",
        help="measure the native stack already running with this environment's settings (VAR_DIR, ports, "
        ".env) instead of starting one",
    )
    running.add_argument(
        "--gateway", help="measure the running stack behind this gateway URL (figures through it only)"
    )
    parser.add_argument(
        "--out", type=Path, help="write the JSON report here (default: var/bench/bench-<time>.json)"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run it this many times (each on a fresh stack) and end with the targets' verdicts on the"
        " median of the runs, as the issue's figures are (make bench-median: 3)",
    )
    args = parser.parse_args()
    if not wrk.available():
        print("wrk is not installed: apt-get install -y wrk", file=sys.stderr)
        return 2
    if args.gateway and args.incidents:
        parser.error("--incidents needs the stack's database: use --running for a native stack")
    if args.repeat < 1:
        parser.error("--repeat takes 1 or more")
    if args.repeat > 1 and args.out:
        parser.error("--out names one report: leave it out with --repeat")
    # The load generators share the machine with the stack and time every answer: like the services, they
    # run on uvloop and keep the garbage collector's pauses out of the latencies they measure.
    settle_heap()
    reports, names = [], []
    for run in range(1, args.repeat + 1):
        if args.repeat > 1:
            print(f"\nrun {run} of {args.repeat}", flush=True)
        report, out = run_once(args)
        if report is None:
            return 2
        reports.append(report)
        names.append(out.stem)
    if args.repeat > 1:
        runs.print_summary(reports, names)
    return 0


def run_once(args) -> tuple[dict | None, Path | None]:
    """One run, on a fresh stack of its own or on the one running: its report, printed and written."""
    machine = {  # before the stack
        "python_loop_ms": probe.python_loop_ms(),
        "loop_additions": probe.LOOP,
        "cores": os.cpu_count(),
    }
    started, laps = time.monotonic(), Laps()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    out = args.out or OUT_DIR / f"bench-{time.strftime('%Y%m%dT%H%M%S')}.json"
    if args.running or args.gateway:
        target = (
            Target(args.gateway) if args.gateway else Target(StackSettings().gateway_url, StackSettings())
        )
        if not _answers(target.gateway):
            print(f"no stack answers at {target.gateway} (start one with `make up`)", file=sys.stderr)
            return None, None
        report = {"machine": machine, "stack": target.gateway} | run_phases(
            target, args, own=False, laps=laps
        )
    else:
        settings = bench_settings()
        try:
            runner.down(settings)  # whatever an interrupted run left behind
            shutil.rmtree(settings.var_dir, ignore_errors=True)  # each run starts from empty tables
            runner.up(settings, extra=prototype.prepare(settings))
            laps("stack start")
            measured_from = logs.now()
            report = {"machine": machine, "stack": "own"} | run_phases(
                Target(settings.gateway_url, settings), args, own=True, laps=laps
            )
            measured_until = logs.now()
        finally:
            runner.down(settings)
        laps("stack stop")
        if laps.seconds["stack stop"] > SLOW_STOP_SECONDS:
            report["slow_stop"] = slow_stop(settings.log_dir)
        report["logged"] = _logged(settings.log_dir, measured_from, measured_until, out)
    report["total_seconds"] = round(time.monotonic() - started, 1)
    report["wall_seconds"] = laps.seconds
    report["targets"] = targets.as_json(targets.check(report))
    report["targets_scaled"] = targets.as_json(targets.check_scaled(report))
    out.write_text(json.dumps(report, indent=2))
    print_report(report)
    print(f"\nwritten to {out}")
    return report, out


def _answers(gateway: str) -> bool:
    """Whether the gateway hands the API on (401: it asks for credentials, which come next)."""
    try:
        return httpx.get(f"{gateway}/api/v1/services", timeout=5).status_code in (200, 401)
    except httpx.HTTPError:
        return False


NOOP_SKIPPED = "the replicas have no no-op endpoint: start them with BENCH_NOOP_ENDPOINT=true for the ceiling"


def _noop_enabled(gateway: str, key: str) -> bool:
    body = {"service": "bench", "severity": "info", "summary": "probe"}
    headers = {"Authorization": f"Bearer {key}"}
    return httpx.post(f"{gateway}{openloop.NOOP}", json=body, headers=headers, timeout=10).status_code != 404


PROTOTYPE_SKIPPED = "the minimal prototype runs beside the benchmark's own stack only (it adds a table)"
CHECK_SKIPPED = "the credential check is timed on the stack's database: use --running for a native stack"


def _logged(log_dir: Path, since, until, out: Path) -> dict:
    """The warnings and errors the stack logged while measured; its logs kept beside the report if any."""
    # The prototype runs for its phase only: Traefik's health checks of it fail once it is stopped.
    by_process = logs.said(log_dir, since=since, until=until, unwatched=frozenset({prototype.SERVICE}))
    return {"by_process": by_process, "kept": str(logs.keep(log_dir, out)) if by_process else None}


# Stopping the stack takes ~2 s; a service that waited for a worker ignoring its cancel takes over 10.
SLOW_STOP_SECONDS = 5.0


def slow_stop(log_dir: Path) -> dict:
    """Why stopping the stack was slow, as far as the services' logs say (they stay until the next run)."""
    said = [f"{process}: {line.strip()}" for process, line in logs.lines(log_dir) if STUCK_WORKER in line]
    return {"log_dir": str(log_dir), "stuck_workers": said}


class Laps:
    """Wall seconds of each part of a run, so the report says where its time went."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.monotonic()

    def __call__(self, name: str) -> None:
        now = time.monotonic()
        self.seconds[name] = round(now - self._last, 1)
        self._last = now


def run_phases(target: Target, args, *, own: bool, laps: Laps) -> dict:
    gateway, settings = target.gateway, target.settings
    # The admin's access token on every call but alert ingestion, which takes the integrations' keys.
    headers = credentials.admin_headers(gateway, settings or StackSettings())
    api_keys, am_keys = make_keys(gateway, args.services, owned=not args.unowned, headers=headers)
    laps("services and keys")
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    api_file, am_file = OUT_DIR / "keys-api.txt", OUT_DIR / "keys-am.txt"
    api_file.write_text("\n".join(api_keys) + "\n")
    am_file.write_text("\n".join(am_keys) + "\n")

    def phase(mode: str, keys: Path, batch: int = 1, seconds: int = args.seconds) -> dict:
        def run() -> wrk.WrkResult:
            return wrk.run(gateway, mode=mode, keys_file=keys, batch=batch, seconds=seconds, connections=n)

        return measured(settings, run, batch)

    n = args.connections  # wrk's, in every phase
    report: dict = {"connections": n, "phase_seconds": args.seconds, "services_owned": not args.unowned}
    report["noop"] = phase("noop", api_file) if own or _noop_enabled(gateway, api_keys[0]) else None
    half = max(1, args.seconds // 2)  # the storm going on, the prototype's halves, no-op open loops

    def single_alerts() -> None:
        report["single"] = phase("single", api_file)
        report["single_steady"] = phase("single", api_file, seconds=half)

    if own:
        # Half before the single alerts and half after: the machine's speed drifts within a run, and the
        # scaled targets rest on the ratio of the two (the prototype idles meanwhile, its CPU there ~0).
        with prototype.serving(settings):
            before = phase("prototype", api_file, seconds=half)
            single_alerts()
            after = phase("prototype", api_file, seconds=half)
        report["prototype"] = merged([before, after])
    else:
        report["prototype_skipped"] = PROTOTYPE_SKIPPED
        single_alerts()
    report["batch100"] = phase("batch", api_file, batch=100)
    report["alertmanager10"] = phase("alertmanager", am_file, batch=10)
    if report["noop"] is None:
        report["noop_skipped"] = NOOP_SKIPPED
    else:
        report["ratio_single_to_noop"] = round(
            report["single"]["requests_per_s"] / report["noop"]["requests_per_s"], 3
        )
    if "prototype" in report:
        for name in ("single", "single_steady"):
            report[f"ratio_{name}_to_prototype"] = round(
                report[name]["alerts_per_s"] / report["prototype"]["alerts_per_s"], 3
            )
    laps("closed loop")
    saturation = report["single"]["alerts_per_s"]
    report["scale"] = targets.machine_scale(report.get("prototype"))
    slower = report["scale"] is not None and report["scale"] < 1  # than the machine of the figures
    open_rate, hook_rate = targets.scaled_rates(report["scale"]) if slower else (None, None)

    def open_loop(rate: float, *, path: str = openloop.ALERTS, seconds: float = args.seconds) -> dict:
        result = uvloop.run(openloop.run(gateway, api_keys, rate=rate, seconds=seconds, path=path))
        row = {"rate": round(result.offered_rate, 1), "ok": result.ok, "sent": result.sent}
        return row | {"statuses": result.statuses, "latency_ms": result.latency_ms}

    fractions = (0.25, 0.5, 0.75)
    report["open_loop"] = [{"fraction": f, **open_loop(saturation * f)} for f in fractions]
    report["open_loop_500"] = open_loop(500)
    if slower:
        report["open_loop_scaled"] = open_loop(open_rate)
    if report["noop"] is not None:  # the bare hop's latency at the same offered loads, half as long
        report["open_loop_noop"] = [
            {"fraction": f, **open_loop(saturation * f, path=openloop.NOOP, seconds=half)} for f in fractions
        ]
    laps("open loop")
    report["webhook"] = webhook_phase(target, headers, rate=args.webhook_rate, seconds=args.seconds)
    if slower:
        report["webhook_scaled"] = webhook_phase(target, headers, rate=hook_rate, seconds=args.seconds)
    report["rss_mb"] = rss_of(settings)
    laps("webhook")
    if settings is None:
        report["credential_check"] = {"skipped": CHECK_SKIPPED}
    else:
        report["credential_check"] = credentials.measure(settings, gateway, headers)
        laps("credential check")
    counts = stored_counts(settings)  # by now the closed and open loops' new incidents have been paged
    report["emails_sent"] = counts["emails"] if counts else None
    incidents = args.incidents if args.incidents is not None else (100_000 if own else 0)
    if incidents and settings is not None:
        report["incident_list"] = listing.run(driver_url(settings), gateway, headers, count=incidents)
        laps("incident list")
    if args.volume:
        report["volume"] = {"alerts_per_round": args.volume, "rounds": []}
        for _ in range(2):
            stored = uvloop.run(volume.send(gateway, api_keys, total=args.volume))
            report["volume"]["rounds"].append({"stored": stored, "rss_mb": rss_of(settings)})
        laps("volume")
    return report


def rss_of(settings: StackSettings | None) -> dict[str, float]:
    return {
        name: round(sum(procstat.rss_mb(p) for p in pids), 1)
        for name, pids in process_groups(settings).items()
    }


if __name__ == "__main__":
    sys.exit(main())
