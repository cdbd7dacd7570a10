"""`make bench-live` works end to end: a small run on its own stack (10 browsers through Traefik, 10
changes/s for 3 s) delivers every change to every browser and writes a whole report. Never timed."""

import json
import subprocess
import sys

import pytest

from scripts.devstack.settings import ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(200)]
CLIENTS, RATE, SECONDS = 10, 10, 3


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("live") / "report.json"
    argv = [sys.executable, "-m", "scripts.bench.live", "--clients", str(CLIENTS), "--rate", str(RATE)]
    argv += ["--seconds", str(SECONDS), "--out", str(out)]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "change -> browser" in done.stdout
    return json.loads(out.read_text())


def test_every_browser_got_every_change(report):
    live = report["live"]
    assert live["via"] == "traefik" and live["connected"] == CLIENTS and live["clients_ended_early"] == 0
    assert live["changes"] == live["accepted"] == live["events_expected"] == RATE * SECONDS
    assert set(live["by_type"]) == {"incident.triggered", "incident.acknowledged", "incident.resolved"}
    assert live["by_type"]["incident.acknowledged"] > 0  # the run is longer than an incident's LAG
    assert live["missed_per_client"] == [0] * CLIENTS and live["missed_total"] == 0
    assert live["received"] == CLIENTS * live["events_expected"]


def test_the_report_has_latency_cost_and_a_verdict(report):
    live = report["live"]
    lat = live["latency_ms"]
    assert 0 < lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["max"]
    assert 0 < live["api_ms"]["p50"] <= live["api_ms"]["p99"]
    assert live["after_answer_ms"]["p50"] < lat["p50"]  # the feed's share, without the API's
    assert live["cores_busy"]["web-ui"] >= 0 and live["cores_busy"]["incident-management"] > 0
    assert 0 < live["web_ui_rss_mb"]["idle"] and 0 < live["web_ui_rss_mb"]["end"]
    assert live["generator_cores_busy"] > 0
    [verdict] = report["targets"]
    assert verdict["met"] is None  # 10 browsers at 10/s: not the scale, not judged
    assert {"stack start", "live", "stack stop"} <= set(report["wall_seconds"])
