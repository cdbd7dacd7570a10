"""`scripts.security`: the secret scan and its baseline, bandit, the audit's verdicts, the exit code."""

import shutil
import subprocess
from pathlib import Path

import pytest

from scripts import security
from scripts.devstack.settings import ROOT

# An AWS access key id's shape, assembled here so that this file holds none.
KEY = "AKIA" + "Q7ZT" * 4


def _git_repo(path: Path, files: dict[str, str]) -> Path:
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    _commit(path, files)
    return path


def _commit(repo: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)


def test_secret_scan_fails_on_a_new_key_and_passes_once_the_baseline_lists_it(tmp_path):
    repo = _git_repo(tmp_path, {"app.py": "TIMEOUT = 5\n"})
    assert security.scan_secrets(repo).status == "fail"  # no baseline yet
    assert security.update_baseline(repo) == 0
    _commit(repo, {})
    assert security.scan_secrets(repo).status == "pass"  # the baseline's own hashes are not findings

    _commit(repo, {"deploy/settings.py": f'AWS_ACCESS_KEY_ID = "{KEY}"\n'})
    found = security.scan_secrets(repo)
    assert (found.status, found.findings) == ("fail", ["deploy/settings.py:1: AWS Access Key"])

    assert security.update_baseline(repo) == 1
    _commit(repo, {"deploy/settings.py": f'# moved down a line\nAWS_ACCESS_KEY_ID = "{KEY}"\n'})
    assert security.scan_secrets(repo).status == "pass"  # known by its hash, wherever it moves


def test_secret_scan_reads_only_what_git_tracks(tmp_path):
    repo = _git_repo(tmp_path, {"app.py": "TIMEOUT = 5\n"})
    security.update_baseline(repo)
    _commit(repo, {})
    (repo / "local.env").write_text(f"AWS_ACCESS_KEY_ID={KEY}\n")  # untracked, like .env
    assert security.tracked_files(repo) == [".secrets.baseline", "app.py"]
    assert security.scan_secrets(repo).status == "pass"


def test_the_repository_has_no_secret_outside_its_baseline():
    outcome = security.scan_secrets()
    assert outcome.status == "pass", outcome.findings


def test_bandit_fails_on_a_shell_command_unless_justified(tmp_path):
    shell = 'import subprocess\n\n\ndef run(name):\n    subprocess.run(f"ls {name}", shell=True)'
    shutil.copy(ROOT / "pyproject.toml", tmp_path)  # the project's bandit configuration
    (tmp_path / "services").mkdir()
    (tmp_path / "shared/gen").mkdir(parents=True)
    (tmp_path / "shared/gen/stub.py").write_text("import pickle\n")  # excluded by the config
    (tmp_path / "services/tool.py").write_text(shell + "\n")
    found = security.run_bandit(tmp_path)
    assert found.status == "fail"
    assert [f.split(" ")[:2] for f in found.findings] == [["services/tool.py:5:", "B602"]]

    (tmp_path / "services/tool.py").write_text(shell + "  # nosec B602 - a test's fixture\n")
    assert security.run_bandit(tmp_path).status == "pass"


def test_the_services_code_has_no_bandit_finding():
    outcome = security.run_bandit()
    assert outcome.status == "pass", outcome.findings


def _dependency(name: str, **fields) -> dict:
    return {"name": name, "version": "1.0", **fields}


def test_audit_fails_on_a_known_vulnerability_naming_the_fix():
    vuln = {"id": "PYSEC-2099-1", "fix_versions": ["1.2"], "description": ""}
    report = {"dependencies": [_dependency("a", vulns=[vuln]), _dependency("b", vulns=[])]}
    outcome = security.audit_verdict(report, require=False)
    assert (outcome.status, outcome.findings) == ("fail", ["a 1.0: PYSEC-2099-1 (fixed in 1.2)"])


def test_audit_is_skipped_when_no_dependency_could_be_looked_up_unless_required():
    report = {"dependencies": [_dependency(n, skip_reason="Dependency not found on PyPI") for n in "ab"]}
    skipped = security.audit_verdict(report, require=False)
    assert skipped.status == "skip" and "unreachable" in skipped.detail and "2 pinned" in skipped.detail
    assert security.audit_verdict(report, require=True).status == "fail"


def test_audit_passes_when_some_were_looked_up_and_none_is_vulnerable():
    report = {"dependencies": [_dependency("a", vulns=[]), _dependency("b", skip_reason="not found")]}
    outcome = security.audit_verdict(report, require=True)
    assert outcome.status == "pass" and "1 pinned" in outcome.detail and "1 not found" in outcome.detail


def test_audit_runs_pip_audit_on_the_pins_and_skips_what_no_database_knows(tmp_path, monkeypatch):
    monkeypatch.delenv("REQUIRE_AUDIT", raising=False)
    (tmp_path / "constraints.txt").write_text("oncall-platform-no-such-package==0.0.1\n")
    outcome = security.audit_dependencies(tmp_path)
    assert outcome.status == "skip", outcome
    assert "oncall-platform-no-such-package" in outcome.detail


def test_exit_code_is_one_when_any_check_fails(monkeypatch, capsys):
    outcomes = {
        "secrets": security.Outcome("secrets", "pass", "clean"),
        "audit": security.Outcome("audit", "skip", "offline"),
        "bandit": security.Outcome("bandit", "fail", "1 finding(s)", ["x.py:1: B602"]),
    }
    monkeypatch.setattr(security, "CHECKS", {name: (lambda o=o: o) for name, o in outcomes.items()})
    assert security.main(["secrets", "audit"]) == 0
    assert security.main([]) == 1
    assert capsys.readouterr().out.splitlines()[-2:] == ["bandit: fail: 1 finding(s)", "  x.py:1: B602"]
    with pytest.raises(SystemExit) as refused:
        security.main(["lint"])
    assert refused.value.code == 2
