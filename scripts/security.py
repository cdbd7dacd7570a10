"""Security checks: `python -m scripts.security [secrets] [bandit] [audit]` (all three when none is named).

- secrets: detect-secrets on every file git tracks; a finding not in `.secrets.baseline` fails. Accept a
  false positive with `--update-baseline` (then audit and commit the baseline).
- bandit: bandit on shared/ and services/, configured in pyproject.toml's [tool.bandit].
- audit: pip-audit of constraints.txt's pins (the images and `make install` install those). Its
  vulnerability database is online; when it cannot be reached the check is skipped and says why, unless
  REQUIRE_AUDIT=1 makes that a failure.

Each check prints one line, `name: pass|fail|skip: detail` (findings follow); the exit code is 1 when any
check failed.
"""

import argparse
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from detect_secrets import SecretsCollection
from detect_secrets.core import baseline
from detect_secrets.settings import default_settings, transient_settings

from scripts.devstack.settings import ROOT

BASELINE = ".secrets.baseline"
BANDIT_TARGETS = ("shared", "services")


@dataclass(frozen=True)
class Outcome:
    """A check's verdict (pass, fail or skip), a one-line summary, and its findings."""

    name: str
    status: str
    detail: str
    findings: list[str] = field(default_factory=list)


def tracked_files(root: Path) -> list[str]:
    """The files git tracks under root (relative paths), those deleted from the work tree left out."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True, check=True).stdout
    return [name for name in listed.decode().split("\0") if name and (root / name).is_file()]


def _scan(root: Path) -> SecretsCollection:
    """The tracked files' findings, each named by its path relative to root (detect-secrets would write
    the absolute path into the baseline, which then matches on no other checkout)."""
    found = SecretsCollection(root=str(root))
    found.scan_files(*tracked_files(root))
    for name, secret in found:
        secret.filename = name
    return found


def _keys(collection: SecretsCollection) -> set[tuple[str, str, str]]:
    return {(name, secret.secret_hash, secret.type) for name, secret in collection}


def scan_secrets(root: Path = ROOT) -> Outcome:
    """Potential secrets in the tracked files that the committed baseline does not list."""
    path = root / BASELINE
    if not path.is_file():
        return Outcome("secrets", "fail", f"no {BASELINE}: create it with --update-baseline")
    known_data = baseline.load_from_file(str(path))
    with transient_settings(known_data):  # the baseline's plugins and filters, restored afterwards
        known = baseline.load(known_data, BASELINE)  # its name: the filter skips the file itself
        found, listed = _scan(root), _keys(known)
    new = [(name, secret) for name, secret in found if (name, secret.secret_hash, secret.type) not in listed]
    findings = sorted(f"{name}:{secret.line_number}: {secret.type}" for name, secret in new)
    if findings:
        return Outcome("secrets", "fail", f"{len(findings)} potential secret(s) not in {BASELINE}", findings)
    return Outcome("secrets", "pass", f"no potential secret outside {BASELINE}")


def update_baseline(root: Path = ROOT) -> int:
    """Rewrite the baseline from a fresh scan, keeping the audit marks of what it already listed."""
    path = root / BASELINE
    with default_settings():
        known = baseline.load(baseline.load_from_file(str(path)), BASELINE) if path.is_file() else None
        found = _scan(root)
        if known is not None:
            found.merge(known)
        baseline.save_to_file(found, str(path))
    return sum(1 for _ in found)


def run_bandit(root: Path = ROOT) -> Outcome:
    """bandit's findings on the services' code (its config and exclusions: pyproject.toml)."""
    command = [sys.executable, "-m", "bandit", "-q", "-c", "pyproject.toml", "-f", "json", "-r"]
    done = subprocess.run([*command, *BANDIT_TARGETS], cwd=root, capture_output=True, text=True, check=False)
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        return Outcome("bandit", "fail", f"bandit did not run: {done.stderr.strip()[-300:]}")
    findings = [
        f"{r['filename']}:{r['line_number']}: {r['test_id']} {r['issue_severity'].lower()}: {r['issue_text']}"
        for r in report["results"]
    ]
    errors = [f"{e['filename']}: {e['reason']}" for e in report["errors"]]
    if findings or errors:
        detail = f"{len(findings)} finding(s), {len(errors)} error(s)"
        return Outcome("bandit", "fail", detail, findings + errors)
    lines = report["metrics"]["_totals"]["loc"]
    return Outcome("bandit", "pass", f"no finding in {', '.join(BANDIT_TARGETS)} ({lines} lines)")


def audit_verdict(report: dict, *, require: bool) -> Outcome:
    """The verdict on pip-audit's JSON report: any vulnerability fails; none looked up at all is a skip."""
    dependencies = report["dependencies"]
    vulnerable = [
        f"{d['name']} {d['version']}: {v['id']} (fixed in {', '.join(v['fix_versions']) or 'no release'})"
        for d in dependencies
        for v in d.get("vulns", [])
    ]
    if vulnerable:
        return Outcome("audit", "fail", f"{len(vulnerable)} known vulnerability(ies)", vulnerable)
    unaudited = [d for d in dependencies if "skip_reason" in d]
    if dependencies and len(unaudited) == len(dependencies):
        first = unaudited[0]["skip_reason"]
        why = f"none of the {len(unaudited)} pinned dependencies could be looked up (first: {first})"
        return _unreachable(why, require=require)
    audited = len(dependencies) - len(unaudited)
    detail = f"no known vulnerability in {audited} pinned dependencies ({len(unaudited)} not found)"
    return Outcome("audit", "pass", detail)


def _unreachable(why: str, *, require: bool) -> Outcome:
    status = "fail" if require else "skip"
    return Outcome("audit", status, f"vulnerability database unreachable: {why}")


def audit_dependencies(root: Path = ROOT, *, source: str = "pypi") -> Outcome:
    """pip-audit of constraints.txt's pins (exact, so no resolver runs) against source's database."""
    command = [sys.executable, "-m", "pip_audit", "-r", "constraints.txt", "--no-deps", "--disable-pip"]
    command += ["-s", source, "-f", "json", "--progress-spinner", "off"]
    require = os.environ.get("REQUIRE_AUDIT") == "1"
    try:
        done = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=600, check=False)
    except subprocess.TimeoutExpired:
        return _unreachable("pip-audit got no answer within 600 s", require=require)
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return _unreachable(last[:300], require=require)
    return audit_verdict(report, require=require)


CHECKS = {"secrets": scan_secrets, "bandit": run_bandit, "audit": audit_dependencies}


def run(names: list[str]) -> int:
    """Run the named checks (every one when empty), print each verdict; 1 when any failed."""
    failed = False
    for name in names or list(CHECKS):
        outcome = CHECKS[name]()
        print(f"{outcome.name}: {outcome.status}: {outcome.detail}", flush=True)
        for finding in outcome.findings:
            print(f"  {finding}")
        failed |= outcome.status == "fail"
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    """Parse the command line; run the checks, or rewrite the secrets baseline."""
    parser = argparse.ArgumentParser(prog="python -m scripts.security", description=__doc__.splitlines()[0])
    parser.add_argument("checks", nargs="*", metavar="check", help=f"any of {', '.join(CHECKS)}")
    parser.add_argument("--update-baseline", action="store_true", help=f"rewrite {BASELINE} from a scan")
    args = parser.parse_args(argv)
    if unknown := set(args.checks) - set(CHECKS):
        parser.error(f"unknown check(s): {', '.join(sorted(unknown))}")
    if args.update_baseline:
        print(f"{BASELINE}: {update_baseline()} potential secret(s) listed; audit them, then commit it")
        return 0
    return run(args.checks)


if __name__ == "__main__":
    sys.exit(main())
