"""`logs [service] [-f]` on the native stack: the tail of each process's log under VAR_DIR/log, followed."""

import time
from pathlib import Path

from scripts.devstack.settings import StackSettings

POLL_SECONDS = 0.5


def log_files(settings: StackSettings, service: str | None) -> list[Path]:
    """The service's log, or every log of the stack (replicas match by prefix: `alert-ingestion`)."""
    found = sorted(settings.log_dir.glob("*.log")) if settings.log_dir.exists() else []
    if service is None:
        return found
    return [path for path in found if path.stem == service or path.stem.startswith(f"{service}-")]


def show(settings: StackSettings, service: str | None, *, lines: int, follow: bool) -> int:
    """Print the last `lines` of each log, each line prefixed by its process; then follow if asked."""
    files = log_files(settings, service)
    if not files:
        known = ", ".join(p.stem for p in log_files(settings, None)) or "none yet"
        print(f"no log for {service or 'the stack'} in {settings.log_dir} (logs: {known})")
        return 2
    width = max(len(p.stem) for p in files)
    offsets = {}
    for path in files:
        data = path.read_bytes()
        for line in data.decode(errors="replace").splitlines()[-lines:] or ["(empty so far)"]:
            print(f"{path.stem:{width}} | {line}")
        offsets[path] = len(data)
    while follow:
        time.sleep(POLL_SECONDS)
        for path in files:
            with path.open("rb") as file:
                file.seek(offsets[path])
                new = file.read()
            offsets[path] += len(new)
            for line in new.decode(errors="replace").splitlines():
                print(f"{path.stem:{width}} | {line}", flush=True)
    return 0
