"""Several benchmark runs, one verdict per target: met on the median when more than half of the runs
that measured it met it."""

import json

from scripts.bench import runs, targets
from tests.bench.test_targets import _report


def _run(single: float, *, scale: float | None = None) -> dict:
    """A run that meets every target but, maybe, the single alerts' (with a slower machine's scale)."""
    report = _report()
    report["single"]["alerts_per_s"] = single
    report["scale"] = scale
    report["targets"] = targets.as_json(targets.check(report))
    report["targets_scaled"] = targets.as_json(targets.check_scaled(report))
    return report


def test_a_target_met_by_two_runs_of_three_is_met_on_the_median():
    summary = runs.summarize([_run(1_010), _run(990), _run(1_020)])
    single = summary[0]
    assert (single.met, single.measured, single.verdict) == (2, 3, True)
    assert single.said == "met on the median (2 of 3 runs)"
    assert all(s.verdict is True for s in summary[1:])


def test_a_target_met_by_one_run_of_three_is_missed_and_half_is_not_more_than_half():
    assert runs.summarize([_run(990), _run(1_010), _run(980)])[0].verdict is False
    assert runs.summarize([_run(990), _run(1_010)])[0].said == "MISSED on the median (1 of 2 runs)"


def test_a_target_no_run_measured_has_no_verdict():
    reports = [_run(1_010) for _ in range(3)]
    for report in reports:
        report["targets"][-2]["met"] = None  # memory: no 100,000-alert rounds
    assert runs.summarize(reports)[-2].verdict is None and runs.summarize(reports)[-2].said == "n/a"


def test_scaled_targets_are_judged_each_on_its_runs_own_scale():
    # 900/s meets 1,000 x 0.85 = 850; 800/s misses 1,000 x 0.88 = 880
    reports = [_run(900, scale=0.85), _run(800, scale=0.88), _run(950, scale=0.9)]
    assert [len(r["targets_scaled"]) for r in reports] == [len(targets.SCALED_TARGETS)] * 3
    single = runs.summarize_scaled(reports)[0]
    assert (single.target, single.met, single.verdict) == (targets.SCALED_TARGETS[0], 2, True)
    # a run on a machine as fast as the has its absolute verdicts there; a running stack none
    fast = runs.summarize_scaled([_run(990, scale=1.0)])
    assert [s.verdict for s in fast] == [False, True, True, True]
    assert [s.target for s in fast] == list(targets.SCALED_TARGETS)
    assert runs.summarize_scaled([_run(1_010)]) == []


def test_the_summary_of_written_runs_prints_each_run_and_the_medians(tmp_path, capsys):
    paths = []
    for i, single in enumerate((1_010, 990, 1_020)):
        report = _run(single) | {
            "prototype": {"alerts_per_s": 1_000.0 + i},
            "ratio_single_to_prototype": single / 1_000,
        }
        paths.append(tmp_path / f"bench-{i}.json")
        paths[-1].write_text(json.dumps(report))
    assert runs.main([str(p) for p in paths]) == 0
    printed = capsys.readouterr().out
    assert "bench-0" in printed and "bench-2" in printed
    median = next(line for line in printed.splitlines() if line.strip().startswith("median"))
    assert median.split()[1:4] == ["1,001.0", "1,010.0", "101.0"]  # prototype, single, % of prototype
    assert "single alerts >= 1,000/s" in printed and "met on the median (2 of 3 runs)" in printed


def test_the_scaled_targets_are_where_check_has_them():
    report = _run(1_010, scale=0.99)
    absolute = [report["targets"][i]["target"] for i in targets.SCALED_FROM_CHECK]
    scaled = [verdict["target"] for verdict in report["targets_scaled"]]
    assert [t.split()[:2] for t in absolute] == [t.split()[:2] for t in scaled]
    assert [t.split()[:2] for t in targets.SCALED_TARGETS] == [t.split()[:2] for t in scaled]
