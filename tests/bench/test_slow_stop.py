"""A slow stop of the benchmark's stack is reported with what the services' logs say about it."""

import json

from scripts.bench.phases import slow_stop
from scripts.bench.report import print_wall_time
from shared.aio import STUCK_WORKER


def test_slow_stop_names_the_workers_the_services_logged_as_stuck(tmp_path):
    stuck = json.dumps({"level": "error", "message": STUCK_WORKER, "task": "outbox-relay"})
    (tmp_path / "incident-management.log").write_text(f'{{"message": "started"}}\n{stuck}\n')
    (tmp_path / "notifier.log").write_text('{"message": "stream consumer stopped"}\n')
    found = slow_stop(tmp_path)
    assert found == {"log_dir": str(tmp_path), "stuck_workers": [f"incident-management: {stuck}"]}


def test_slow_stop_without_evidence_says_so(tmp_path, capsys):
    (tmp_path / "oncall.log").write_text("")
    report = {"total_seconds": 20.0, "wall_seconds": {"stack stop": 12.1}, "slow_stop": slow_stop(tmp_path)}
    print_wall_time(report)
    out = capsys.readouterr().out
    assert "stack stop 12.1" in out and str(tmp_path) in out
    assert "no service logged a worker that ignored its cancel" in out
