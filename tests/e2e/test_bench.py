"""`make bench` still works end to end: a short run of scripts/bench.py (its own native stack, wrk as the
load generator) gives a complete, consistent report. Figures are checked for sense, never for speed."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from scripts.benchkit import listing
from scripts.devstack.settings import ROOT

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


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> dict:
    if shutil.which("wrk") is None:
        if os.environ.get("REQUIRE_WRK"):
            pytest.fail("wrk is required here (apt-get install -y wrk)")
        pytest.skip("wrk is not installed (apt-get install -y wrk)")
    out = tmp_path_factory.mktemp("bench") / "report.json"
    argv = [
        sys.executable,
        "-m",
        "scripts.bench",
        "--seconds",
        "1",
        "--services",
        "5",
        "--webhook-rate",
        "20",
    ]
    argv += ["--incidents", "2000", "--out", str(out)]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "single-alert throughput / no-op ceiling" in done.stdout
    return json.loads(out.read_text())


def test_the_report_says_how_fast_the_machine_ran_python(report):
    assert report["machine"]["python_loop_ms"] > 0 and report["machine"]["loop_additions"] > 0


def test_every_closed_loop_phase_stored_alerts_without_errors(report):
    for name, per_request in (("noop", 1), ("single", 1), ("batch100", 100), ("alertmanager10", 10)):
        phase = report[name]
        assert phase["errors"] == 0 and phase["requests_per_s"] > 0, (name, phase)
        assert phase["alerts_per_s"] == pytest.approx(phase["requests_per_s"] * per_request, rel=0.01)
        assert phase["latency_ms"]["p50"] <= phase["latency_ms"]["p99"]
    for name in ("single", "batch100", "alertmanager10"):  # what they did is read back from the database
        mix = report[name]["mix"]
        assert sum(mix.values()) > 0 and set(mix) == {"created", "correlated", "duplicate"}
        assert report[name]["cpu_ms_per_alert"]["incident-management"] > 0
    assert report["single"]["mix"]["created"] > 0  # the first alert of each (service, severity)
    ratio = report["single"]["requests_per_s"] / report["noop"]["requests_per_s"]
    assert report["ratio_single_to_noop"] == pytest.approx(ratio, abs=0.001)


def test_open_loop_phases_offer_their_rate_and_count_every_answer(report):
    rows = [*report["open_loop"], report["open_loop_500"]]
    assert [row["fraction"] for row in report["open_loop"]] == [0.25, 0.5, 0.75]
    for row in rows:
        assert row["sent"] > 0 and sum(row["statuses"].values()) == row["sent"]
        assert row["ok"] == sum(n for code, n in row["statuses"].items() if code.startswith("2"))


def test_webhooks_arrive_signed_for_every_new_incident(report):
    hook = report["webhook"]
    assert hook["incidents"] > 0 and hook["delivered"] == hook["incidents"]
    assert hook["bad_signatures"] == 0
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


def test_memory_is_reported_for_every_process(report):
    assert set(report["rss_mb"]) >= SERVICES
    assert all(mb > 0 for mb in report["rss_mb"].values())
