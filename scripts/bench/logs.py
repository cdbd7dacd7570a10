"""What the benchmark's own stack logged while it was measured: each process's warnings and errors, counted
by message, so that a run with an outlier (a stall, a failed call, a retry) says what the services saw.
The stack logs at WARNING (phases.py), one JSON object per line: the services' own (`ts`, `level`,
`msg`, shared/logging.py) and Traefik's (`time`, `level`, `message`); any other line (a traceback a process
printed before its logging was set up, say) has no time and is counted as it is."""

import json
import shutil
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

# Levels as the services (Python's names) and Traefik (zerolog's) write them, from warnings up.
LEVELS = {
    "warning": "warning",
    "warn": "warning",
    "error": "error",
    "critical": "error",
    "fatal": "error",
    "panic": "error",
}


def said(
    log_dir: Path, *, since: datetime, until: datetime, unwatched: frozenset[str] = frozenset()
) -> dict[str, dict]:
    """Per process that logged a warning or worse from `since` to `until` (Traefik's times are to the
    second): {"warning": n, "error": n, "messages": {message: count}}, the most frequent messages first.
    Traefik's lines about a service in `unwatched` (one the benchmark stops on purpose) are left out."""
    levels: dict[str, Counter] = {}
    messages: dict[str, Counter] = {}
    for process, line in lines(log_dir):
        entry = _entry(line, unwatched)
        if entry is None:
            continue
        level, message, at = entry
        if at is not None and not since <= at <= until:
            continue
        levels.setdefault(process, Counter())[level] += 1
        messages.setdefault(process, Counter())[message] += 1
    return {p: dict(levels[p]) | {"messages": dict(messages[p].most_common())} for p in levels}


def lines(log_dir: Path) -> Iterator[tuple[str, str]]:
    """(process, line) for every line of the stack's logs, process by process in name order."""
    for path in sorted(log_dir.glob("*.log")):
        for line in path.read_text(errors="replace").splitlines():
            yield path.stem, line


def _entry(line: str, unwatched: frozenset[str]) -> tuple[str, str, datetime | None] | None:
    """(level, message, time) of a line at warning or above; None for a quieter one, a blank line, or one
    about an unwatched service (Traefik's `serviceName` is `<service>@<provider>`)."""
    if not line.strip():
        return None
    try:
        record = json.loads(line)
    except ValueError:
        record = None
    if not isinstance(record, dict):
        return "unparsed", line.strip()[:300], None
    level = LEVELS.get(str(record.get("level", "")).lower())
    if level is None or str(record.get("serviceName", "")).partition("@")[0] in unwatched:
        return None
    stamp = record.get("ts") or record.get("time")
    at = datetime.fromisoformat(stamp.replace("Z", "+00:00")) if isinstance(stamp, str) else None
    message = str(record.get("msg") or record.get("message") or line.strip()[:300])
    if record.get("serviceName"):  # Traefik's, about one of its services: which one
        message = f"{message} ({record['serviceName']})"
    return level, message, at


def keep(log_dir: Path, beside: Path) -> Path:
    """Copy the stack's logs next to the run's JSON (`bench-….json` → `bench-…-logs/`): the next run starts
    from an empty stack directory."""
    kept = beside.with_name(f"{beside.stem}-logs")
    shutil.copytree(log_dir, kept, dirs_exist_ok=True)
    return kept


def now() -> datetime:
    return datetime.now(UTC)
