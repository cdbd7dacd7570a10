"""Helpers of the metrics tests: scrapes parsed into samples, and Prometheus's own tools (Debian's
prometheus package), skipped when absent unless REQUIRE_PROMETHEUS=1."""

import os
import shutil
import subprocess

import pytest
from prometheus_client.parser import text_string_to_metric_families


def samples(text: str) -> dict[tuple[str, tuple], float]:
    """Every sample of a scrape by (name, sorted labels)."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(found: dict, name: str, **labels: str) -> float:
    """The sample `name{labels}` of `samples(...)`; KeyError when the scrape had none."""
    return found[(name, tuple(sorted(labels.items())))]


def binary(name: str) -> str:
    """The path of `prometheus` or `promtool`; the test is skipped without it (failed under
    REQUIRE_PROMETHEUS=1, as CI sets)."""
    found = shutil.which(name)
    if found is None:
        if os.environ.get("REQUIRE_PROMETHEUS") == "1":
            pytest.fail(f"{name} not found and REQUIRE_PROMETHEUS=1 (apt-get install prometheus)")
        pytest.skip(f"{name} not found (apt-get install prometheus)")
    return found


def promtool(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    """`promtool args...`, its output captured."""
    return subprocess.run(
        [binary("promtool"), *args], input=stdin, capture_output=True, text=True, timeout=60, check=False
    )
