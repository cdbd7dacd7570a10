"""What a phase cost: CPU and memory of the stack's processes, and what its alerts did in the database."""

import asyncio
import time
from dataclasses import dataclass

import asyncpg
import uvloop

from scripts.bench import procstat, prototype, webhook
from scripts.devstack import processes, runner
from scripts.devstack.settings import StackSettings
from shared import embedded


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


def rss_of(settings: StackSettings | None) -> dict[str, float]:
    return {
        name: round(sum(procstat.rss_mb(p) for p in pids), 1)
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
