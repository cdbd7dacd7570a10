"""One run of the benchmark: its own stack started (or a running one found), every phase measured in turn,
the report printed and written under var/bench/."""

import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import aiohttp
import httpx
import uvloop

from scripts.bench import (
    credentials,
    integrations,
    listing,
    logs,
    noop_replica,
    openloop,
    owners,
    probe,
    prototype,
    targets,
    volume,
    wrk,
)
from scripts.bench.measure import (
    Target,
    driver_url,
    measured,
    merged,
    rss_of,
    stored_counts,
    webhook_phase,
)
from scripts.bench.report import print_report
from scripts.devstack import runner
from scripts.devstack.ports import free_port_values
from scripts.devstack.processes import ProcessSpec
from scripts.devstack.settings import ROOT, StackSettings
from shared.aio import STUCK_WORKER

OUT_DIR = ROOT / "var" / "bench"


def bench_settings() -> StackSettings:
    return StackSettings(
        _env_file=None,
        var_dir=ROOT / "var" / "bench-stack",
        **free_port_values(replicas=2),
        rate_limit_average=1_000_000,
        rate_limit_burst=1_000_000,
        log_level="WARNING",
        ingestion_module=noop_replica.__name__,  # the product's replica plus the no-op route
        # An alert storm over many services: each (service, severity) opens an incident when first seen,
        # then its alerts join it; the report gives the mix each phase produced. The window is the
        # platform's default, five minutes, longer than a run: only the storm's start opens incidents (with
        # a minute's, they would open again in whichever phase ran a minute later).
        service_env={
            "CORRELATION_WINDOW_SECONDS": "300",
            "WEBHOOK_ALLOW_INTERNAL_TARGETS": "true",  # the receiver is on 127.0.0.1
            "AUTH_TOKEN_MINUTES": "60",  # one access token serves the whole run
        },
    )


def make_keys(
    gateway: str, count: int, *, owned: bool, headers: dict[str, str]
) -> tuple[list[str], list[str]]:
    """`count` services, each with an `api` and an `alertmanager` integration, and with `owned` teams owning
    them (owners.py: every new incident paged by email), made with the admin's `headers`; returns both key
    lists."""

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


def run_once(args) -> tuple[dict | None, Path | None]:
    """One run, on a fresh stack of its own or on the one running: its report, printed and written."""
    machine = machine_probe()
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
        with own_stack(settings, laps, out, extra=lambda: prototype.prepare(settings)) as after:
            report = {"machine": machine, "stack": "own"} | run_phases(
                Target(settings.gateway_url, settings), args, own=True, laps=laps
            )
        report |= after
    report["total_seconds"] = round(time.monotonic() - started, 1)
    report["wall_seconds"] = laps.seconds
    report["targets"] = targets.as_json(targets.check(report))
    report["targets_scaled"] = targets.as_json(targets.check_scaled(report))
    out.write_text(json.dumps(report, indent=2))
    print_report(report)
    print(f"\nwritten to {out}")
    return report, out


def machine_probe() -> dict:
    """How fast the machine runs Python now (taken before the stack starts), and its cores."""
    return {"python_loop_ms": probe.python_loop_ms(), "loop_additions": probe.LOOP, "cores": os.cpu_count()}


@contextmanager
def own_stack(
    settings: StackSettings, laps: "Laps", out: Path, extra: Callable[[], Sequence[ProcessSpec]] = tuple
) -> Iterator[dict]:
    """The benchmark's own stack, from empty data, for the `with` block, with the `extra` processes made
    once the old data is gone; the dict it yields gets, once the stack is stopped, what the services
    logged while measured (and what they say of a slow stop)."""
    after: dict = {}
    try:
        runner.down(settings)  # whatever an interrupted run left behind
        shutil.rmtree(settings.var_dir, ignore_errors=True)  # each run starts from empty tables
        runner.up(settings, extra=extra())
        laps("stack start")
        measured_from = logs.now()
        yield after
        measured_until = logs.now()
    finally:
        runner.down(settings)
    laps("stack stop")
    if laps.seconds["stack stop"] > SLOW_STOP_SECONDS:
        after["slow_stop"] = slow_stop(settings.log_dir)
    after["logged"] = _logged(settings.log_dir, measured_from, measured_until, out)


def _answers(gateway: str) -> bool:
    """Whether the gateway hands the API on (401: it asks for credentials, which come next)."""
    try:
        return httpx.get(f"{gateway}/api/v1/services", timeout=5).status_code in (200, 401)
    except httpx.HTTPError:
        return False


NOOP_SKIPPED = (
    "the replicas serve no no-op route: start them with INGESTION_MODULE=scripts.bench.noop_replica for the"
    " ceiling"
)


def _noop_enabled(gateway: str, key: str) -> bool:
    body = {"service": "bench", "severity": "info", "summary": "probe"}
    headers = {"Authorization": f"Bearer {key}"}
    return (
        httpx.post(f"{gateway}{noop_replica.PATH}", json=body, headers=headers, timeout=10).status_code != 404
    )


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
            {"fraction": f, **open_loop(saturation * f, path=noop_replica.PATH, seconds=half)}
            for f in fractions
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
