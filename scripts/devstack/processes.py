"""Local processes of the stack: started detached, logged to var/log/, tracked by PID files in var/run/."""

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from shared.embedded import pid_alive, stop_pids


@dataclass(frozen=True)
class ProcessSpec:
    name: str
    argv: list[str]
    health_url: str
    env: dict[str, str] = field(default_factory=dict)
    gateway_service: str | None = None  # Traefik's name for the load balancer that routes to it

    @property
    def base_url(self) -> str:
        return self.health_url.split("/health", 1)[0]


class StartupFailed(RuntimeError):
    pass


def python_module(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]


def _stat(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name (state first), or None."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _start_time(pid: int) -> str | None:
    """The kernel's start time of `pid` (field 22 of /proc/<pid>/stat): guards against reused PIDs."""
    fields = _stat(pid)
    return fields[19] if fields else None


def running_pid(run_dir: Path, name: str) -> int | None:
    """PID of the recorded process `name` if that very process still runs."""
    try:
        pid_text, started = (run_dir / f"{name}.pid").read_text().split()
        pid = int(pid_text)
    except (FileNotFoundError, ValueError):
        return None
    fields = _stat(pid)
    if not pid_alive(pid) or (fields and (fields[0] == "Z" or fields[19] != started)):
        return None  # gone, a zombie not yet reaped, or the PID now belongs to another process
    return pid


def start(spec: ProcessSpec, *, run_dir: Path, log_dir: Path, cwd: Path) -> int:
    """Start `spec` in its own session unless it already runs; return its PID."""
    pid = running_pid(run_dir, spec.name)
    if pid is not None:
        return pid
    run_dir.mkdir(parents=True, exist_ok=True)
    log_dir.mkdir(parents=True, exist_ok=True)
    with open(log_dir / f"{spec.name}.log", "ab") as log:
        process = subprocess.Popen(
            spec.argv,
            cwd=cwd,
            env={**os.environ, **spec.env},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    (run_dir / f"{spec.name}.pid").write_text(f"{process.pid} {_start_time(process.pid) or 0}\n")
    return process.pid


def stop(name: str, *, run_dir: Path, timeout: float = 15.0) -> bool:
    """SIGTERM the recorded process (SIGKILL after `timeout`); True if one was running."""
    return bool(stop_all([name], run_dir=run_dir, timeout=timeout))


def stop_all(names: list[str], *, run_dir: Path, timeout: float = 15.0) -> list[str]:
    """SIGTERM the recorded processes together (SIGKILL after `timeout`); returns those that were running."""
    pids = {name: running_pid(run_dir, name) for name in names}
    for name in names:
        (run_dir / f"{name}.pid").unlink(missing_ok=True)
    stop_pids([pid for pid in pids.values() if pid is not None], timeout=timeout)
    return [name for name, pid in pids.items() if pid is not None]


def healthy(url: str) -> bool:
    """200 from an HTTP health URL, or an accepted connection for `tcp://host:port` (e.g. SMTP)."""
    if url.startswith("tcp://"):
        host, _, port = url.removeprefix("tcp://").rpartition(":")
        try:
            with socket.create_connection((host, int(port)), timeout=1.0):
                return True
        except OSError:
            return False
    try:
        return httpx.get(url, timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False


def wait_healthy(spec: ProcessSpec, *, run_dir: Path, log_dir: Path, timeout: float) -> None:
    """Block until the health URL answers 200; fail early, with the log's tail, if the process dies."""
    deadline = time.monotonic() + timeout
    while not healthy(spec.health_url):
        if running_pid(run_dir, spec.name) is None:
            raise StartupFailed(
                f"{spec.name} exited during start-up:\n{log_tail(log_dir / f'{spec.name}.log')}"
            )
        if time.monotonic() > deadline:
            raise StartupFailed(f"{spec.name} not healthy at {spec.health_url} after {timeout:.0f}s")
        time.sleep(0.1)


def log_tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


def wait_routed(spec: ProcessSpec, *, admin_url: str, timeout: float) -> None:
    """Block until Traefik's health check sees the process UP, so the gateway routes to it again."""
    url = f"{admin_url}/api/http/services/{spec.gateway_service}@file"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            reply = httpx.get(url, timeout=1.0)
            # 404: Traefik answers /ping before its file provider has loaded the routes
            status = {} if reply.status_code == 404 else reply.json().get("serverStatus", {})
        except (httpx.HTTPError, ValueError):
            return  # no gateway (or no API) to wait for
        if status.get(spec.base_url) == "UP":
            return
        time.sleep(0.1)
    raise StartupFailed(f"Traefik still does not route to {spec.name} after {timeout:.0f}s")
