"""The development commands: each runs the tool the Makefile used to run, with extra arguments passed on."""

import os
import subprocess
import sys
from collections.abc import Mapping

from scripts.devstack.settings import ROOT

CODE = ["shared", "services", "scripts", "tests"]
FUZZ = ["tests/integration/test_fuzz_apis.py", "tests/integration/test_fuzz_dashboard.py"]


def _py(*args: str) -> list[list[str]]:
    return [[sys.executable, *args]]


# name -> (help, the commands it runs in order)
COMMANDS: dict[str, tuple[str, list[list[str]]]] = {
    "proto": ("regenerate gRPC stubs into shared/gen/", [["bash", "scripts/gen_proto.sh"]]),
    "check-proto": (
        "fail when committed stubs differ from proto/",
        _py("-m", "pytest", "-q", "tests/unit/test_generated_stubs.py"),
    ),
    "fmt": (
        "format the code",
        [*_py("-m", "ruff", "format", *CODE), *_py("-m", "ruff", "check", "--fix", *CODE)],
    ),
    "lint": (
        "ruff check, ruff format --check, mypy (strict on shared/ and services/)",
        [
            *_py("-m", "ruff", "check", *CODE),
            *_py("-m", "ruff", "format", "--check", *CODE),
            *_py("-m", "mypy"),
        ],
    ),
    "test": (
        "unit, integration and end-to-end tests (embedded PostgreSQL, Redis, Traefik)",
        _py("scripts/run_tests.py"),
    ),
    "test-unit": ("unit tests only", _py("scripts/run_tests.py", "tests/unit")),
    "test-integration": ("integration tests only", _py("scripts/run_tests.py", "tests/integration")),
    "test-e2e": ("end-to-end tests through Traefik", _py("scripts/run_tests.py", "tests/e2e")),
    "test-bench": (
        "the benchmark's tests: its unit tests and a short run on its own stack (needs wrk; ~3 min)",
        _py("scripts/run_tests.py", "tests/bench"),
    ),
    "test-faults": (
        "kill -9 of each service, Redis and PostgreSQL stopped, under re-sent alerts (~3 min)",
        _py("-m", "scripts.faults"),
    ),
    "test-fuzz": (
        "the fuzz tests with FUZZ_EXAMPLES (default 200) cases per operation (~6 min)",
        _py("scripts/run_tests.py", "--timeout", "3600", *FUZZ),
    ),
    "backup": (
        "dump the database (consistent, while running) to var/backups/oncall-<UTC time>.dump",
        _py("-m", "scripts.backup", "dump"),
    ),
    "render-compose": (
        "regenerate config/traefik/compose/ from the Traefik templates",
        _py("-m", "scripts.stack", "render-compose"),
    ),
    "bench": (
        "benchmark ingestion through Traefik (needs wrk: apt-get install -y wrk); JSON in var/bench/",
        _py("-m", "scripts.bench"),
    ),
    "bench-median": (
        "the benchmark three times, with the targets' verdicts on the median of the runs (~6 min)",
        _py("-m", "scripts.bench", "--repeat", "3"),
    ),
    "bench-memory": (
        "the benchmark, then two rounds of 100,000 alerts with RSS after each (~4 min)",
        _py("-m", "scripts.bench", "--volume", "100000"),
    ),
    "bench-live": (
        "the console's live feed: 200 browsers on one web UI, 100 incident changes/s (~1 min)",
        _py("-m", "scripts.bench.live"),
    ),
}


# Defaults a command sets for its steps (the environment's own values win): `make test` keeps the fuzz
# tests' bounded default (tests/integration/fuzzing.py), `make test-fuzz` raises it.
ENV: dict[str, dict[str, str]] = {"test-fuzz": {"FUZZ_EXAMPLES": "200"}}


def command_env(name: str, environ: Mapping[str, str]) -> dict[str, str]:
    """What the command's steps run with: its defaults, then `environ`, then this Python as PYTHON."""
    return {**ENV.get(name, {}), **environ, "PYTHON": sys.executable}


def run(name: str, extra: list[str]) -> int:
    """Run the command's steps in the repository, stopping at the first that fails; `extra` goes to the
    last step."""
    steps = COMMANDS[name][1]
    env = command_env(name, os.environ)
    for index, step in enumerate(steps):
        argv = [*step, *extra] if index == len(steps) - 1 else step
        code = subprocess.run(argv, cwd=ROOT, env=env, check=False).returncode
        if code:
            return code
    return 0
