"""A phase measured in parts (the prototype's, before and after the single alerts) summed up as one."""

import pytest

from scripts.bench.measure import merged


def _part(alerts_per_s: float, p99: float, store_ms: float, errors: int = 0) -> dict:
    return {
        "requests_per_s": alerts_per_s,
        "alerts_per_s": alerts_per_s,
        "errors": errors,
        "latency_ms": {"p50": p99 / 3, "p99": p99},
        "cpu_ms_per_alert": {"prototype-store": store_ms, "traefik": 1.0},
        "mix": None,
    }


def test_rates_are_the_mean_of_equal_parts_and_cpu_is_per_alert_over_all_of_them():
    first, second = _part(400.0, 80.0, 1.5, errors=1), _part(600.0, 60.0, 1.0)
    whole = merged([first, second])
    assert whole["alerts_per_s"] == whole["requests_per_s"] == 500.0
    assert whole["errors"] == 1
    # 400 alerts at 1.5 ms and 600 at 1.0 ms: 1.2 ms each, not the mean of the two figures (1.25)
    assert whole["cpu_ms_per_alert"] == {"prototype-store": pytest.approx(1.2), "traefik": pytest.approx(1.0)}
    assert whole["latency_ms"] == {"p50": pytest.approx(80.0 / 3), "p99": 80.0}  # the worse part's
    assert whole["parts"] == [first, second] and whole["mix"] is None


def test_a_process_seen_in_one_part_only_counts_for_that_part():
    first, second = _part(500.0, 50.0, 1.0), _part(500.0, 50.0, 1.0)
    second["cpu_ms_per_alert"]["postgres"] = 0.4  # a backend started during the second part
    assert merged([first, second])["cpu_ms_per_alert"]["postgres"] == pytest.approx(0.2)
