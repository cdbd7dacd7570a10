"""Benchmark of the ingestion hot path through Traefik: `make bench` (or `python -m scripts.bench`).

Starts its own native stack under var/bench-stack, from empty data each time, creates services with
routing keys, then measures in one run: a no-op endpoint behind the same Traefik, single
alerts and batches at saturation (wrk), open-loop latency at fixed fractions of saturation, alert ->
signed webhook latency, CPU per alert per process, memory, and the incident list on a seeded history of
100,000 incidents. Prints a table and writes JSON under var/bench/.
"""

import argparse
import asyncio
import json
import shutil
import sys
import time
from pathlib import Path

import asyncpg
import httpx
import uvloop

from scripts.benchkit import listing, openloop, probe, procstat, volume, webhook, wrk
from scripts.devstack import processes, runner
from scripts.devstack.ports import free_port_values
from scripts.devstack.settings import ROOT, StackSettings
from shared import embedded
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
        # then its alerts join it for a minute; the report gives the mix each phase produced.
        service_env={
            "CORRELATION_WINDOW_SECONDS": "60",
            "BENCH_NOOP_ENDPOINT": "true",
            "WEBHOOK_ALLOW_INTERNAL_TARGETS": "true",  # the receiver is on 127.0.0.1
        },
    )


def make_keys(gateway: str, count: int) -> tuple[list[str], list[str]]:
    """`count` services, each with an `api` and an `alertmanager` integration; returns both key lists."""
    api, am = [], []
    stamp = int(time.time())
    with httpx.Client(base_url=gateway, timeout=10) as client:
        for i in range(count):
            service = client.post("/api/v1/services", json={"name": f"bench-{stamp}-{i}"}).raise_for_status()
            url = f"/api/v1/services/{service.json()['id']}/integrations"
            for kind, keys in (("api", api), ("alertmanager", am)):
                reply = client.post(url, json={"name": kind, "type": kind}).raise_for_status()
                keys.append(reply.json()["key"])
    return api, am


def process_groups(settings: StackSettings) -> dict[str, list[int]]:
    groups = {}
    for spec in runner.service_specs(settings, runner.backends_of(settings)):
        pid = processes.running_pid(settings.run_dir, spec.name)
        if pid:
            groups[spec.name] = [pid]
    postmaster = embedded.postgres_pid(settings.var_dir / "pg")
    if postmaster:
        groups["postgres"] = [postmaster, *procstat.children(postmaster)]
    redis = embedded.redis_pid(settings.var_dir / "redis")
    if redis:
        groups["redis"] = [redis]
    return groups


_MIX = """
    SELECT (SELECT count(*) FROM incidents) AS incidents, (SELECT count(*) FROM alerts) AS alerts,
           (SELECT coalesce(sum(duplicate_count), 0) FROM alerts) AS duplicates
"""


def driver_url(settings: StackSettings) -> str:
    """The stack's database URL as asyncpg takes it."""
    return runner.backends_of(settings).database_url.replace("postgresql+asyncpg://", "postgresql://")


def stored_counts(settings: StackSettings) -> dict[str, int]:
    """Incidents, alerts and duplicates stored so far: the difference over a phase is its real mix."""

    async def query() -> dict[str, int]:
        connection = await asyncpg.connect(driver_url(settings))
        try:
            return dict(await connection.fetchrow(_MIX))
        finally:
            await connection.close()

    return asyncio.run(query())


def mix_of(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    created = after["incidents"] - before["incidents"]
    return {
        "created": created,
        "correlated": after["alerts"] - before["alerts"] - created,
        "duplicate": after["duplicates"] - before["duplicates"],
    }


def cpu_snapshot(settings: StackSettings) -> dict[int, float]:
    return {pid: procstat.cpu_seconds(pid) for pids in process_groups(settings).values() for pid in pids}


def cpu_ms_per(settings: StackSettings, before: dict[int, float], count: int) -> dict[str, float]:
    """CPU ms each process group spent since `before`, per item (per PID, so new backends count)."""
    return {
        name: round(sum(procstat.cpu_seconds(p) - before.get(p, 0.0) for p in pids) * 1000 / max(count, 1), 3)
        for name, pids in process_groups(settings).items()
    }


def webhook_phase(settings: StackSettings, *, rate: float, seconds: float) -> dict:
    """Alert -> signed webhook latency, with the CPU each process spent per new incident while sending."""
    before: dict[int, float] = {}
    result = uvloop.run(
        webhook.measure(
            settings.gateway_url,
            rate=rate,
            seconds=seconds,
            ready=lambda: before.update(cpu_snapshot(settings)),
        )
    )
    result["cpu_ms_per_incident"] = cpu_ms_per(settings, before, result["incidents"])
    return result


def measured(settings, run, alerts_per_request: int) -> dict:
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


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=8, help="length of each phase (default 8)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--services", type=int, default=50)
    parser.add_argument(
        "--webhook-rate",
        type=float,
        default=100,
        help="new incidents/s offered in the alert → webhook phase (default 100, the issue's target)",
    )
    parser.add_argument(
        "--incidents",
        type=int,
        default=100_000,
        help="after the phases, seed this many incidents and time the incident list on them (0: skip)",
    )
    parser.add_argument(
        "--volume",
        type=int,
        default=0,
        help="after the phases, send this many alerts twice (e.g. 100000) and report RSS after each round",
    )
    parser.add_argument(
        "--out", type=Path, help="write the JSON report here (default: var/bench/bench-<time>.json)"
    )
    args = parser.parse_args()
    if not wrk.available():
        print("wrk is not installed: apt-get install -y wrk", file=sys.stderr)
        return 2
    # The load generators share the machine with the stack and time every answer: like the services, they
    # run on uvloop and keep the garbage collector's pauses out of the latencies they measure.
    settle_heap()
    settings = bench_settings()
    machine = {"python_loop_ms": probe.python_loop_ms(), "loop_additions": probe.LOOP}  # before the stack
    started = time.monotonic()
    try:
        runner.down(settings)  # whatever an interrupted run left behind
        shutil.rmtree(settings.var_dir, ignore_errors=True)  # each run starts from empty tables
        runner.up(settings)
        report = {"machine": machine} | run_phases(settings, args)
    finally:
        runner.down(settings)
    report["total_seconds"] = round(time.monotonic() - started, 1)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    out = args.out or OUT_DIR / f"bench-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(json.dumps(report, indent=2))
    print_report(report)
    print(f"\nwritten to {out}")
    return 0


def run_phases(settings: StackSettings, args) -> dict:
    gateway = settings.gateway_url
    api_keys, am_keys = make_keys(gateway, args.services)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    api_file, am_file = OUT_DIR / "keys-api.txt", OUT_DIR / "keys-am.txt"
    api_file.write_text("\n".join(api_keys) + "\n")
    am_file.write_text("\n".join(am_keys) + "\n")
    common = {"seconds": args.seconds, "connections": args.connections}

    def phase(mode: str, keys: Path, batch: int = 1) -> dict:
        return measured(
            settings, lambda: wrk.run(gateway, mode=mode, keys_file=keys, batch=batch, **common), batch
        )

    report: dict = {"connections": args.connections, "phase_seconds": args.seconds}
    report["noop"] = phase("noop", api_file)
    report["single"] = phase("single", api_file)
    report["batch100"] = phase("batch", api_file, batch=100)
    report["alertmanager10"] = phase("alertmanager", am_file, batch=10)
    report["ratio_single_to_noop"] = round(
        report["single"]["requests_per_s"] / report["noop"]["requests_per_s"], 3
    )
    saturation = report["single"]["alerts_per_s"]
    report["open_loop"] = []
    for fraction in (0.25, 0.5, 0.75):
        result = uvloop.run(openloop.run(gateway, api_keys, rate=saturation * fraction, seconds=args.seconds))
        report["open_loop"].append(
            {
                "fraction": fraction,
                "rate": round(result.offered_rate),
                "ok": result.ok,
                "sent": result.sent,
                "statuses": result.statuses,
                "latency_ms": result.latency_ms,
            }
        )
    fixed = uvloop.run(openloop.run(gateway, api_keys, rate=500, seconds=args.seconds))
    report["open_loop_500"] = {
        "ok": fixed.ok,
        "sent": fixed.sent,
        "statuses": fixed.statuses,
        "latency_ms": fixed.latency_ms,
    }
    report["webhook"] = webhook_phase(settings, rate=args.webhook_rate, seconds=args.seconds)
    report["rss_mb"] = rss_of(settings)
    if args.incidents:
        report["incident_list"] = listing.run(driver_url(settings), gateway, count=args.incidents)
    if args.volume:
        report["volume"] = {"alerts_per_round": args.volume, "rounds": []}
        for _ in range(2):
            stored = uvloop.run(volume.send(gateway, api_keys, total=args.volume))
            report["volume"]["rounds"].append({"stored": stored, "rss_mb": rss_of(settings)})
    return report


def rss_of(settings: StackSettings) -> dict[str, float]:
    return {
        name: round(sum(procstat.rss_mb(p) for p in pids), 1)
        for name, pids in process_groups(settings).items()
    }


def print_report(report: dict) -> None:
    machine = report["machine"]
    print(
        f"\nmachine: a pure-Python loop of {machine['loop_additions']:,} additions took "
        f"{machine['python_loop_ms']} ms (best of 3, before the stack started)"
    )
    print(f"\n{'phase':<16}{'alerts/s':>10}{'req/s':>9}{'errors':>8}{'p50 ms':>8}{'p90 ms':>8}{'p99 ms':>8}")
    for name in ("noop", "single", "batch100", "alertmanager10"):
        row = report[name]
        lat = row["latency_ms"]
        print(
            f"{name:<16}{row['alerts_per_s']:>10.0f}{row['requests_per_s']:>9.0f}{row['errors']:>8}"
            f"{lat.get('p50', 0):>8.1f}{lat.get('p90', 0):>8.1f}{lat.get('p99', 0):>8.1f}"
        )
    print("\nwhat the alerts did (new incident / joined an open one / duplicate):")
    for name in ("single", "batch100", "alertmanager10"):
        mix = report[name]["mix"]
        counts = (
            f"{mix['created']:>8} created{mix['correlated']:>8} correlated{mix['duplicate']:>8} duplicate"
        )
        print(f"  {name:<16}{counts}")
    print(f"\nsingle-alert throughput / no-op ceiling: {report['ratio_single_to_noop']:.1%}")
    print(f"\n{'open loop':<16}{'offered/s':>10}{'ok':>8}{'sent':>8}{'p50 ms':>8}{'p90 ms':>8}{'p99 ms':>8}")
    for row in [*report["open_loop"], {"fraction": "500/s", "rate": 500, **report["open_loop_500"]}]:
        lat = row["latency_ms"]
        label = f"{row['fraction']:.0%} of sat." if isinstance(row["fraction"], float) else row["fraction"]
        print(
            f"{label:<16}{row['rate']:>10}{row['ok']:>8}{row['sent']:>8}{lat['p50']:>8.1f}{lat['p90']:>8.1f}{lat['p99']:>8.1f}"
        )
    hook = report["webhook"]
    print(
        f"\nalert → signed webhook at {hook['rate']:.0f} alerts/s: p50 {hook['latency_ms']['p50']} ms, "
        f"p90 {hook['latency_ms']['p90']} ms, p99 {hook['latency_ms']['p99']} ms "
        f"({hook['delivered']}/{hook['incidents']} delivered, {hook['bad_signatures']} bad signatures; "
        f"of {hook['sent']} alerts sent the gateway answered {hook['statuses']})"
    )
    if "incident_list" in report:
        seeded = report["incident_list"]
        print(f"\nincident list and analytics with {seeded['incidents_seeded']:,} incidents stored:")
        for name, lat in seeded["latency_ms"].items():
            print(f"  {name:<46}p50 {lat['p50']:>6.1f} ms   p99 {lat['p99']:>6.1f} ms")
        print("  dashboard page /ui/ (logged in), server time (Server-Timing) and as the client saw it:")
        for name, lat in seeded["dashboard_ms"].items():
            print(
                f"    {name:<44}server p50 {lat['server_p50']:>6.1f} p99 {lat['server_p99']:>6.1f} ms   "
                f"total p50 {lat['total_p50']:>6.1f} p99 {lat['total_p99']:>6.1f} ms"
            )
    print("\nCPU ms per new incident (alert -> webhook phase, while sending):")
    for name, value in sorted(hook["cpu_ms_per_incident"].items()):
        print(f"  {name:<22}{value:>8.3f}")
    print("\nCPU ms per alert (single alerts):")
    for name, value in sorted(report["single"]["cpu_ms_per_alert"].items()):
        print(f"  {name:<22}{value:>8.3f}")
    print("\nRSS after the run (MB):")
    for name, value in sorted(report["rss_mb"].items()):
        print(f"  {name:<22}{value:>8.1f}")
    if "volume" in report:
        rounds = report["volume"]["rounds"]
        print(f"\nRSS (MB) after each round of {report['volume']['alerts_per_round']} alerts in batches:")
        for name in sorted(rounds[0]["rss_mb"]):
            print(f"  {name:<22}" + "".join(f"{r['rss_mb'][name]:>8.1f}" for r in rounds))
        print("  stored per round: " + ", ".join(str(r["stored"]) for r in rounds))


if __name__ == "__main__":
    sys.exit(main())
