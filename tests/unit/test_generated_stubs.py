"""The committed gRPC stubs must be exactly what scripts/gen_proto.sh makes from proto/."""

import filecmp
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_committed_stubs_match_proto(tmp_path):
    env = {**os.environ, "PYTHON": sys.executable}
    subprocess.run(["bash", str(ROOT / "scripts/gen_proto.sh"), str(tmp_path)], check=True, env=env)
    fresh = _sources(tmp_path)
    committed = _sources(ROOT / "shared/gen")
    assert fresh == committed, "stub file set differs: run `make proto`"
    stale = [str(p) for p in fresh if not filecmp.cmp(tmp_path / p, ROOT / "shared/gen" / p, shallow=False)]
    assert not stale, f"stubs out of date, run `make proto`: {stale}"


def _sources(folder: Path) -> list[Path]:
    return sorted(p.relative_to(folder) for p in folder.rglob("*") if p.suffix in (".py", ".pyi"))
