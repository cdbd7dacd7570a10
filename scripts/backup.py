"""Back up and restore the stack's database: `python -m scripts.backup dump|restore FILE`.

A dump is one consistent snapshot (pg_dump reads in a single transaction, so the stack keeps serving) in
pg_dump's custom format, written to VAR_DIR/backups/oncall-<UTC time>.dump: the folder 0700, the file
0600, as it holds password hashes and secrets. The embedded PostgreSQL is dumped and restored with its own
tools (pgserver's); a server named by DATABASE_URL with the pg_dump/pg_restore found on PATH. Redis is not
backed up: it only carries the event stream, which PostgreSQL's outbox feeds.
"""

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from scripts.devstack import processes, runner
from scripts.devstack.settings import StackSettings
from shared import embedded
from shared.config import libpq_url


class BackupError(RuntimeError):
    """A backup or restore that cannot be done; the message says why and what to do."""


def tool(settings: StackSettings, name: str) -> str:
    """pg_dump or pg_restore: the embedded server's own, else the one on PATH."""
    if not settings.database_url:
        return str(embedded.PG_BIN / name)
    found = shutil.which(name)
    if not found:
        raise BackupError(
            f"{name} not found on PATH: with DATABASE_URL, install the PostgreSQL client tools of the "
            "server's major version (e.g. `apt-get install postgresql-client-16`)"
        )
    return found


def connection(settings: StackSettings) -> tuple[str, dict[str, str]]:
    """The database's libpq URL without its password, and an environment carrying the password
    (PGPASSWORD), so that it is not on a command line other users can read."""
    url = make_url(libpq_url(runner.backends_of(settings).database_url))
    env = {**os.environ, **({"PGPASSWORD": url.password} if url.password else {})}
    bare = URL.create(url.drivername, url.username, None, url.host, url.port, url.database, query=url.query)
    return bare.render_as_string(hide_password=False), env


@contextlib.contextmanager
def database_running(settings: StackSettings, *, create: bool) -> Iterator[None]:
    """The embedded PostgreSQL running for the block: started, and stopped afterwards, if it was not.
    `create=False` refuses to make a new, empty cluster."""
    data_dir = settings.var_dir / "pg"
    if settings.database_url or embedded.postgres_pid(data_dir) is not None:
        yield
        return
    if not create and not (data_dir / "location").exists():
        raise BackupError(f"no database under {data_dir}: nothing to back up")
    embedded.start_postgres(data_dir, settings.postgres_port, database="oncall")
    try:
        yield
    finally:
        embedded.stop_postgres(data_dir)


def dump(settings: StackSettings, *, now: datetime) -> Path:
    """Write a dump to VAR_DIR/backups/ and return its path; a failed dump leaves no file."""
    folder = settings.backup_dir
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    folder.chmod(0o700)
    target = folder / f"oncall-{now:%Y%m%dT%H%M%SZ}.dump"
    partial = target.with_suffix(".partial")
    url, env = connection(settings)
    command = [tool(settings, "pg_dump"), "--format=custom", "--dbname", url]
    try:
        with os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as out:
            with database_running(settings, create=False):
                done = subprocess.run(command, stdout=out, stderr=subprocess.PIPE, text=True, env=env)
        if done.returncode != 0:
            raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def running_processes(settings: StackSettings) -> list[str]:
    """The stack's recorded processes (services, gateway) that still run."""
    if not settings.run_dir.exists():
        return []
    names = sorted(path.stem for path in settings.run_dir.glob("*.pid"))
    return [name for name in names if processes.running_pid(settings.run_dir, name) is not None]


def restore(settings: StackSettings, file: Path) -> None:
    """Replace the database's contents with the dump's, in one transaction; only while no service runs."""
    if not file.is_file():
        raise BackupError(f"{file}: no such file")
    running = running_processes(settings)
    if running:
        raise BackupError(
            f"the stack is running ({', '.join(running)}): stop it with `make down`, then restore"
        )
    url, env = connection(settings)
    command = [
        tool(settings, "pg_restore"),
        *("--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction"),
        *("--exit-on-error", "--dbname", url, str(file.resolve())),
    ]
    with database_running(settings, create=True):
        done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise BackupError(f"pg_restore failed; the database is as it was: {done.stderr.strip()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="backup", description=__doc__)
    parser.add_argument("command", choices=["dump", "restore"])
    parser.add_argument("file", nargs="?", type=Path, help="for restore: the dump, e.g. var/backups/…")
    args = parser.parse_args(argv)
    settings = StackSettings()
    try:
        if args.command == "dump":
            print(f"wrote {dump(settings, now=datetime.now(UTC))}")
            return 0
        if args.file is None:
            parser.error("restore needs the dump's path, e.g. `make restore FILE=var/backups/…`")
        restore(settings, args.file)
    except BackupError as failure:
        print(failure, file=sys.stderr)
        return 1
    print(f"restored {args.file}; `make up` starts the stack on it")
    return 0


if __name__ == "__main__":
    sys.exit(main())
