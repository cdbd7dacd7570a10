"""`make bench` still works end to end: a short run of the benchmark (its own native stack, wrk as the
load generator) gives a complete, consistent report. Figures are checked for sense, never for speed."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scripts.bench import listing, prototype, runs, targets
from scripts.devstack import runner
from scripts.devstack.settings import ROOT
from tests.conftest import fresh_database
from tests.e2e.conftest import running_stack, stack_settings

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(400)]  # the run is in the first test's setup
SERVICES = {
    "alert-ingestion-1",
    "alert-ingestion-2",
    "incident-management",
    "notifier",
    "oncall",
    "traefik",
    "web-ui",
}


def run_bench(out, *args: str, env: dict[str, str] | None = None) -> str:
    """The benchmark with one-second phases, its report written to `out`; returns what it printed."""
    if shutil.which("wrk") is None:
        if os.environ.get("REQUIRE_WRK"):
            pytest.fail("wrk is required here (apt-get install -y wrk)")
        pytest.skip("wrk is not installed (apt-get install -y wrk)")
    argv = [sys.executable, "-m", "scripts.bench", "--seconds", "1", *args, "--out", str(out)]
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("bench") / "report.json"
    printed = run_bench(out, "--services", "5", "--webhook-rate", "20", "--incidents", "2000")
    assert "single-alert throughput / no-op ceiling" in printed
    return json.loads(out.read_text())


def test_the_report_says_how_fast_the_machine_ran_python(report):
    assert report["machine"]["python_loop_ms"] > 0 and report["machine"]["loop_additions"] > 0


def test_the_report_says_where_the_runs_time_went(report):
    parts = report["wall_seconds"]
    assert {
        "stack start",
        "closed loop",
        "open loop",
        "webhook",
        "credential check",
        "incident list",
        "stack stop",
    } <= set(parts)
    assert sum(parts.values()) == pytest.approx(report["total_seconds"], abs=1.0)


def test_the_report_says_what_the_stack_logged_while_measured(report):
    logged = report["logged"]
    for counts in logged["by_process"].values():
        assert sum(v for k, v in counts.items() if k != "messages") == sum(counts["messages"].values()) > 0
    if logged["by_process"]:  # the logs of a run that logged something are kept beside its report
        assert {f"{p}.log" for p in logged["by_process"]} <= {p.name for p in Path(logged["kept"]).iterdir()}
    else:
        assert logged["kept"] is None


def test_every_closed_loop_phase_stored_alerts_without_errors(report):
    phases = (
        ("noop", 1),
        ("prototype", 1),
        ("single", 1),
        ("single_steady", 1),
        ("batch100", 100),
        ("alertmanager10", 10),
    )
    for name, per_request in phases:
        phase = report[name]
        assert phase["errors"] == 0 and phase["requests_per_s"] > 0, (name, phase)
        assert phase["alerts_per_s"] == pytest.approx(phase["requests_per_s"] * per_request, rel=0.01)
        assert phase["latency_ms"]["p50"] <= phase["latency_ms"]["p99"]
    for name in ("single", "single_steady", "batch100", "alertmanager10"):  # read back from the database
        mix = report[name]["mix"]
        assert sum(mix.values()) > 0 and set(mix) == {"created", "correlated", "duplicate", "emails"}
        assert report[name]["cpu_ms_per_alert"]["incident-management"] > 0
    assert report["single"]["mix"]["created"] > 0  # the first alert of each (service, severity)
    # Teams own the services: each new incident was assigned and emailed to the person on call.
    assert report["services_owned"] is True
    assert report["emails_sent"] >= report["single"]["mix"]["created"]
    ratio = report["single"]["requests_per_s"] / report["noop"]["requests_per_s"]
    assert report["ratio_single_to_noop"] == pytest.approx(ratio, abs=0.001)


def test_the_minimal_prototype_ran_in_its_own_processes_for_its_phase_only(report):
    cpu = report["prototype"]["cpu_ms_per_alert"]
    assert cpu["prototype-store"] > 0 and cpu["prototype-replica-1"] > 0 and cpu["prototype-replica-2"] > 0
    assert cpu["incident-management"] < cpu["prototype-store"]  # the platform's services were not asked
    # measured in two halves, before and after the single alerts, while it idled
    before, after = report["prototype"]["parts"]
    assert report["prototype"]["alerts_per_s"] == pytest.approx(
        (before["alerts_per_s"] + after["alerts_per_s"]) / 2, abs=0.1
    )
    # it idled meanwhile: a small fraction of the CPU it spent in one of its halves (requests still in
    # flight as its first half ended may finish in the single alerts' time)
    for single in (report["single"], report["single_steady"]):
        for name in prototype.NAMES:
            idle_ms = single["cpu_ms_per_alert"][name] * single["alerts_per_s"]
            busy_ms = before["cpu_ms_per_alert"][name] * before["alerts_per_s"]
            assert idle_ms < busy_ms / 5, (name, idle_ms, busy_ms)
    for later in ("batch100", "alertmanager10"):  # stopped by then
        assert not set(report[later]["cpu_ms_per_alert"]) & set(prototype.NAMES), later
    assert not (ROOT / "var" / "bench-stack" / "traefik" / "dynamic" / "bench-prototype.yml").exists()
    for name in ("single", "single_steady"):
        ratio = report[name]["alerts_per_s"] / report["prototype"]["alerts_per_s"]
        assert report[f"ratio_{name}_to_prototype"] == pytest.approx(ratio, abs=0.001)


def test_a_slower_machine_is_measured_again_at_the_issues_figures_scaled_by_the_prototype(report):
    assert report["scale"] == targets.machine_scale(report["prototype"])
    if report["scale"] >= 1:  # as fast as the issue's machine: nothing to scale
        assert report["targets_scaled"] == [] and "webhook_scaled" not in report
        return
    open_rate, hook_rate = targets.scaled_rates(report["scale"])
    assert report["open_loop_scaled"]["rate"] == pytest.approx(open_rate, abs=0.1)
    assert report["webhook_scaled"]["rate"] == pytest.approx(hook_rate, abs=0.1)
    hook = report["webhook_scaled"]
    assert hook["incidents"] > 0 and hook["delivered"] == hook["incidents"] and hook["bad_signatures"] == 0
    assert len(report["targets_scaled"]) == 4
    assert all(verdict["met"] in (True, False) for verdict in report["targets_scaled"])


def test_open_loop_phases_offer_their_rate_and_count_every_answer(report):
    rows = [*report["open_loop"], report["open_loop_500"], *report["open_loop_noop"]]
    rows += [report["open_loop_scaled"]] if "open_loop_scaled" in report else []
    assert [row["fraction"] for row in report["open_loop"]] == [0.25, 0.5, 0.75]
    for row in rows:
        assert row["sent"] > 0 and sum(row["statuses"].values()) == row["sent"]
        assert row["ok"] == sum(n for code, n in row["statuses"].items() if code.startswith("2"))
    # the no-op endpoint at the very same offered rates: the bare hop's latency beside the platform's
    noop = report["open_loop_noop"]
    for platform, bare in zip(report["open_loop"], noop, strict=True):
        assert bare["fraction"] == platform["fraction"]
        assert bare["rate"] == pytest.approx(platform["rate"], rel=0.05)
        # the no-op endpoint answered them (202), none was refused as a bad or unrouted request
        assert bare["statuses"].get("202", 0) > 0 and not [c for c in bare["statuses"] if c.startswith("4")]


def test_webhooks_arrive_signed_for_every_new_incident(report):
    hook = report["webhook"]
    assert hook["incidents"] > 0 and hook["delivered"] == hook["incidents"]
    assert hook["bad_signatures"] == 0
    # the stack's share of the machine while sending: some, and no more than it has
    assert 0 < hook["stack_cores_busy"] <= report["machine"]["cores"] * 1.1
    # and the benchmark's own (sender, receiver), which shares the machine with it
    assert 0 < hook["generator_cores_busy"] <= report["machine"]["cores"] * 1.1
    assert set(hook["cpu_ms_per_incident"]) >= SERVICES


def test_list_and_analytics_are_timed_on_the_seeded_history(report):
    seeded = report["incident_list"]
    assert seeded["incidents_seeded"] == 2000
    assert set(seeded["latency_ms"]) == set(listing.QUERIES)
    assert all(0 < figures["p50"] <= figures["p99"] for figures in seeded["latency_ms"].values())


def test_the_dashboard_page_is_timed_by_the_server_and_the_client(report):
    pages = report["incident_list"]["dashboard_ms"]
    assert set(pages) == set(listing.PAGES)
    for figures in pages.values():
        assert 0 < figures["server_p50"] <= figures["server_p99"]
        assert 0 < figures["total_p50"] <= figures["total_p99"]
        assert figures["server_p50"] <= figures["total_p50"]


def test_the_credential_check_is_timed_warm_and_cold_beside_the_request_it_guards(report):
    check = report["credential_check"]
    for kind in ("access_token", "api_token"):
        warm, cold = check[kind]["warm_ms"], check[kind]["cold_ms"]
        assert 0 < warm["p50"] <= warm["p99"] and 0 < cold["p50"] <= cold["p99"], (kind, check)
        assert warm["p50"] < cold["p50"]  # the cached user or token against a database lookup
    assert 0 < check["request_ms"]["p50"] <= check["request_ms"]["p99"]
    share = check["access_token"]["warm_ms"]["p50"] / check["request_ms"]["p50"]
    assert check["check_share_of_request_p50"] == pytest.approx(share, abs=1e-4)


def test_the_report_gives_a_verdict_on_each_of_the_issues_targets(report):
    verdicts = {v["target"]: v for v in report["targets"]}
    assert len(verdicts) == 9 and all(v["measured"] for v in verdicts.values())
    # throughput, ratio, batches, 500/s, and the credential check
    measured_here = [v["met"] for v in [*report["targets"][:4], report["targets"][8]]]
    assert all(met in (True, False) for met in measured_here)
    # this short run offers 20 new incidents/s, seeds 2,000 incidents and sends no 100,000-alert rounds
    assert [v["met"] for v in report["targets"][4:8]] == [None, None, None, None]


def test_runs_are_summarized_from_their_reports(report, capsys):
    """What `--repeat` ends with: each run's figures, their medians, the verdicts on the median."""
    runs.print_summary([report, report, report], ["a", "b", "c"])
    printed = capsys.readouterr().out
    median = next(line.split() for line in printed.splitlines() if line.strip().startswith("median"))
    assert len(median) == 1 + len(runs.FIGURES) and "-" not in median  # every figure found in a real report
    assert float(median[2].replace(",", "")) == report["single"]["alerts_per_s"]
    verdicts = runs.summarize([report, report, report])
    assert [v.verdict for v in verdicts] == [t["met"] for t in report["targets"]]


def test_memory_is_reported_for_every_process(report):
    assert set(report["rss_mb"]) >= SERVICES
    assert all(mb > 0 for mb in report["rss_mb"].values())


# --- a stack that is already running: measured, not started or stopped ------------------------------


@pytest.fixture(scope="module")
def running(postgres_server_url, redis_url):
    """A native stack as `make up` leaves it (no no-op endpoint), on a database of its own, refusing
    webhooks to 127.0.0.1 as a production one does (`make up` allows them, for the full demo's receiver)."""
    with fresh_database(postgres_server_url) as database_url:
        settings = stack_settings("benchrun", database_url, redis_url)
        settings.service_env["WEBHOOK_ALLOW_INTERNAL_TARGETS"] = "false"
        with running_stack(settings, database_url) as stack:
            yield stack


def bench_against(stack, tmp_path, *extra: str) -> tuple[dict, str]:
    # The stack's settings as `make up` reads them: from the environment
    env = os.environ | {
        name.upper(): json.dumps(value) if isinstance(value, dict) else str(value)
        for name, value in stack.settings.model_dump().items()
        if value is not None
    }
    out = tmp_path / "report.json"
    printed = run_bench(out, "--services", "3", "--webhook-rate", "10", *extra, env=env)
    return json.loads(out.read_text()), printed


def test_a_running_native_stack_is_measured_with_every_figure_it_allows(running, tmp_path):
    report, printed = bench_against(running, tmp_path, "--running")
    assert report["stack"] == running.gateway
    assert report["noop"] is None and "INGESTION_MODULE=scripts.bench.noop_replica" in report["noop_skipped"]
    assert "ratio_single_to_noop" not in report
    assert "prototype" not in report and "own stack only" in report["prototype_skipped"]
    assert report["targets_scaled"] == []
    assert "WEBHOOK_ALLOW_INTERNAL_TARGETS=true" in report["webhook"]["skipped"]
    assert "skipped" in printed and "nothing started or stopped" in printed
    for name in ("single", "single_steady", "batch100", "alertmanager10"):
        assert report[name]["errors"] == 0 and report[name]["alerts_per_s"] > 0, (name, report[name])
        assert sum(report[name]["mix"].values()) > 0  # read back from the stack's own database
    assert report["single"]["cpu_ms_per_alert"]["incident-management"] > 0
    assert set(report["rss_mb"]) >= SERVICES
    assert "incident_list" not in report  # no made-up history seeded into a running stack by default
    assert report["credential_check"]["access_token"]["warm_ms"]["p50"] > 0  # on the stack's database
    # and it is still running, with what the run stored
    assert all(healthy for _, _, healthy in runner.status(running.settings))


def test_a_stack_known_only_by_its_gateway_is_measured_through_it(running, tmp_path):
    report, printed = bench_against(running, tmp_path, "--gateway", running.gateway)
    assert report["single"]["alerts_per_s"] > 0, report["single"]
    assert report["single"]["mix"] is None and report["single"]["cpu_ms_per_alert"] == {}
    assert report["rss_mb"] == {}
    assert "not measured (the stack's processes are not on this machine)" in printed
    assert "--running" in report["credential_check"]["skipped"]
