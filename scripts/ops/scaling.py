"""Live scaling of the native stack's alert-ingestion replicas, without a failed request: a new replica
joins Traefik's pool only once healthy; a removed one leaves the pool first, then drains and stops."""

import os
import signal
import time
from pathlib import Path

import httpx

from scripts.devstack import processes, prometheus, runner, traefik
from scripts.devstack.processes import ProcessSpec, StartupFailed
from scripts.devstack.settings import ROOT, StackSettings

MAX_REPLICAS = 32  # StackSettings.ingestion_replicas's bound
# After Traefik's API shows the new pool: requests it had already sent on reach the replica before SIGTERM.
DRAIN_GRACE_SECONDS = 0.5


def replicas_file(settings: StackSettings) -> Path:
    """Where a scaled stack keeps its replica count, so every later command sees the same stack."""
    return settings.var_dir / "ingestion-replicas"


def live_settings(settings: StackSettings) -> StackSettings:
    """`settings` with the replica count of the running stack when it was scaled."""
    try:
        count = int(replicas_file(settings).read_text())
    except (FileNotFoundError, ValueError):
        return settings
    return settings.model_copy(update={"ingestion_replicas": count})


def ingestion_specs(settings: StackSettings) -> list[ProcessSpec]:
    """The ingestion replicas of `settings`, in order."""
    specs = runner.service_specs(settings, runner.backends_of(settings))
    return [spec for spec in specs if spec.gateway_service == "alert-ingestion"]


def check_count(replicas: int) -> None:
    """ValueError unless 1 <= `replicas` <= MAX_REPLICAS (native and compose alike)."""
    if not 1 <= replicas <= MAX_REPLICAS:
        raise ValueError(f"replicas must be between 1 and {MAX_REPLICAS}")


def scale(settings: StackSettings, replicas: int) -> list[str]:
    """Bring the running stack to `replicas` ingestion replicas; returns what changed, one line each."""
    check_count(replicas)
    if processes.running_pid(settings.run_dir, "traefik") is None:
        raise StartupFailed("the stack is not running (`deploy` starts it)")
    current = live_settings(settings)
    target = current.model_copy(update={"ingestion_replicas": replicas})
    before, after = ingestion_specs(current), ingestion_specs(target)
    if replicas > len(before):
        return _add(target, after[len(before) :])
    if replicas < len(before):
        return _remove(target, before[replicas:])
    return []


def _add(target: StackSettings, new: list[ProcessSpec]) -> list[str]:
    dirs = {"run_dir": target.run_dir, "log_dir": target.log_dir}
    for spec in new:
        processes.start(spec, cwd=ROOT, **dirs)
    for spec in new:
        processes.wait_healthy(spec, timeout=target.startup_timeout_seconds, **dirs)
    _publish(target)
    for spec in new:
        processes.wait_routed(spec, admin_url=_admin(target), timeout=target.startup_timeout_seconds)
    return [f"started {spec.name} ({spec.base_url}), healthy and in Traefik's pool" for spec in new]


def _remove(target: StackSettings, gone: list[ProcessSpec]) -> list[str]:
    _publish(target)
    for spec in gone:
        wait_unrouted(spec, admin_url=_admin(target), timeout=target.startup_timeout_seconds)
    time.sleep(DRAIN_GRACE_SECONDS)
    # uvicorn answers what it holds after SIGTERM before it exits (processes.stop waits for that).
    processes.stop_all([spec.name for spec in gone], run_dir=target.run_dir, timeout=30)
    return [f"took {spec.name} out of Traefik's pool, drained and stopped it" for spec in gone]


def _publish(target: StackSettings) -> None:
    """Re-render Traefik's routes (its file provider reloads them) and Prometheus's targets (reloaded on
    SIGHUP), and note the count for later commands."""
    traefik.write_native(target)
    prometheus.write_native(target)
    pid = processes.running_pid(target.run_dir, "prometheus")
    if pid is not None:
        os.kill(pid, signal.SIGHUP)
    replicas_file(target).write_text(f"{target.ingestion_replicas}\n")


def _admin(settings: StackSettings) -> str:
    return f"http://127.0.0.1:{settings.gateway_admin_port}"


def wait_unrouted(spec: ProcessSpec, *, admin_url: str, timeout: float) -> None:
    """Block until Traefik's pool for the replica's service no longer lists it (its config reloaded)."""
    url = f"{admin_url}/api/http/services/{spec.gateway_service}@file"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        servers = httpx.get(url, timeout=2.0).json().get("serverStatus", {})
        if spec.base_url not in servers:
            return
        time.sleep(0.1)
    raise StartupFailed(f"Traefik still routes to {spec.name} after {timeout:.0f}s")
