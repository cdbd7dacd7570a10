"""Several runs of the benchmark, one verdict: the issue's figures are medians of three runs, and this
machine's speed drifts by a quarter within minutes, so one run says little on its own.

`python -m scripts.bench --repeat 3` (`make bench-median`) runs the benchmark three times, each on a fresh
stack, and ends with this summary; `python -m scripts.bench.runs FILE...` gives it for runs already
written under var/bench/. A target is met on the median when more than half of the runs that measured it
met it: each verdict compares one figure with one bound, so that is the median figure's verdict (at the
machine's scale, the median of each run's figure over its own bound, as each run has its own scale).
"""

import json
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

from scripts.bench import targets

# The figures each run's line shows, by where they are in its report.
FIGURES = (
    ("prototype/s", lambda r: r["prototype"]["alerts_per_s"] if r.get("prototype") else None),
    ("single/s", lambda r: r["single"]["alerts_per_s"]),
    ("% of prototype", lambda r: _percent(r.get("ratio_single_to_prototype"))),
    ("no-op req/s", lambda r: r["noop"]["requests_per_s"] if r.get("noop") else None),
    ("batches/s", lambda r: r["batch100"]["alerts_per_s"]),
    ("p99 at 500/s", lambda r: r["open_loop_500"]["latency_ms"]["p99"]),
    ("webhook p99", lambda r: r["webhook"].get("latency_ms", {}).get("p99")),
)


@dataclass(frozen=True, slots=True)
class Summary:
    target: str
    met: int
    measured: int
    verdict: bool | None  # None: no run measured it

    @property
    def said(self) -> str:
        if self.verdict is None:
            return "n/a"
        return f"{'met' if self.verdict else 'MISSED'} on the median ({self.met} of {self.measured} runs)"


def summarize(reports: list[dict]) -> list[Summary]:
    """Each of the issue's targets, as written, over the runs."""
    return _over([report.get("targets", []) for report in reports])


def summarize_scaled(reports: list[dict]) -> list[Summary]:
    """Each target at its run's machine scale, over the runs (each run words them with its own figures,
    so they are named by targets.SCALED_TARGETS)."""
    return _over([_scaled(report) for report in reports], targets.SCALED_TARGETS)


def _over(rows: list[list[dict]], labels: tuple[str, ...] | None = None) -> list[Summary]:
    summaries = []
    for i in range(max((len(row) for row in rows), default=0)):
        verdicts = [row[i] for row in rows if i < len(row)]
        judged = [v["met"] for v in verdicts if v["met"] is not None]
        met = sum(judged)
        name = labels[i] if labels else verdicts[0]["target"]
        summaries.append(Summary(name, met, len(judged), met * 2 > len(judged) if judged else None))
    return summaries


def _scaled(report: dict) -> list[dict]:
    """A run's verdicts at its machine's scale: on a machine at least as fast as the issue's (scale 1)
    they are its absolute ones; without the prototype (a running stack) there are none."""
    if report.get("targets_scaled") or report.get("scale") is None:
        return report.get("targets_scaled", [])
    return [report["targets"][i] for i in targets.SCALED_FROM_CHECK]


def median_figures(reports: list[dict]) -> dict[str, float | None]:
    medians = {}
    for name, figure in FIGURES:
        values = [v for v in (figure(report) for report in reports) if v is not None]
        medians[name] = statistics.median(values) if values else None
    return medians


def print_summary(reports: list[dict], names: list[str]) -> None:
    print(f"\n{len(reports)} runs, each on a fresh stack:")
    print(f"  {'run':<28}" + "".join(f"{name:>16}" for name, _ in FIGURES))
    for name, report in zip(names, reports, strict=True):
        print(f"  {name:<28}" + "".join(_cell(figure(report)) for _, figure in FIGURES))
    print(f"  {'median':<28}" + "".join(_cell(v) for v in median_figures(reports).values()))
    print("\nissue 6's targets on the median of the runs (absolute figures):")
    for summary in summarize(reports):
        print(f"  {summary.target:<78}{summary.said}")
    scaled = summarize_scaled(reports)
    if any(s.measured for s in scaled):
        print("at each run's machine scale (a run as fast as the issue's machine: its absolute verdicts):")
        for summary in scaled:
            print(f"  {summary.target:<78}{summary.said}")


def _percent(ratio: float | None) -> float | None:
    return None if ratio is None else round(ratio * 100, 1)


def _cell(value: float | None) -> str:
    return f"{'-':>16}" if value is None else f"{value:>16,.1f}"


def main(paths: list[str]) -> int:
    if not paths:
        print("usage: python -m scripts.bench.runs var/bench/bench-<time>.json ...", file=sys.stderr)
        return 2
    reports = [json.loads(Path(path).read_text()) for path in paths]
    print_summary(reports, [Path(path).stem for path in paths])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
