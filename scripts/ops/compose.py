"""The compose side of the CLI: which stack a command is for, and `docker compose` calls."""

import shutil
import subprocess
import sys
from pathlib import Path

from scripts.devstack.settings import ROOT, StackSettings


def marker(settings: StackSettings) -> Path:
    """Present while the stack was deployed with compose: later commands then choose compose too."""
    return settings.var_dir / "compose-mode"


def choose_mode(settings: StackSettings, asked: str | None) -> str:
    """`asked`, else compose when the stack was deployed with it or on Windows (where the native stack's
    servers do not run), else native."""
    if asked:
        return asked
    if marker(settings).exists():
        return "compose"
    if sys.platform == "win32":
        print("Windows: the native stack's servers do not run here; using docker compose", file=sys.stderr)
        return "compose"
    return "native"


def engine_answers() -> bool:
    """True when a `docker` client is on PATH and its engine answers."""
    if shutil.which("docker") is None:
        return False
    done = subprocess.run(["docker", "info"], capture_output=True, timeout=30, check=False)
    return done.returncode == 0


def scale_args(replicas: int) -> list[str]:
    """`docker compose` arguments for `replicas` alert-ingestion containers: the running ones are kept (not
    recreated); it returns once the new ones are healthy, which is when Traefik's Docker provider adds
    them to the pool. Removed ones are stopped with SIGTERM, their last requests answered; a request sent
    to one as it stops is re-sent by the gateway's retry."""
    return ["up", "-d", "--scale", f"alert-ingestion={replicas}", "--no-recreate", "--wait"]


def run(*args: str) -> int:
    """`docker compose ARGS` in the repository; its exit code."""
    if shutil.which("docker") is None:
        print("docker not found on PATH: compose mode needs Docker (or use --mode native)", file=sys.stderr)
        return 2
    print("$ docker compose " + " ".join(args), flush=True)
    return subprocess.run(["docker", "compose", *args], cwd=ROOT, check=False).returncode
