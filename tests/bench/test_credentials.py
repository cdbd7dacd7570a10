"""The benchmark's figures of the credential check: summed up in ms, printed with the request they guard."""

from scripts.bench import credentials, report
from tests.bench.test_targets import _report


def test_durations_are_summed_up_as_p50_and_p99_to_the_microsecond():
    times = [0.0401234] * 98 + [0.5, 2.0]
    assert credentials.ms(times) == {"p50": 0.04, "p99": 0.5}


def test_the_printed_check_gives_each_credential_warm_and_cold_and_its_share_of_the_request(capsys):
    check = _report()["credential_check"] | {
        "rounds": {"warm": 2_000, "cold": 200, "request": 100},
        "check_share_of_request_p50": 0.01,
    }
    report._credential_check(check)
    printed = capsys.readouterr().out
    assert "2,000 requests with the cache warm, 200 each looked up" in printed
    assert "access token  warm p50 0.061 p99 0.190 ms   cold p50 0.900 p99 2.100 ms" in printed
    assert "API token     warm p50 0.012 p99 0.030 ms   cold p50 0.800 p99 1.900 ms" in printed
    assert "(100 in a row): p50 6.1 ms, p99 9.0 ms; the warm check is 1.0% of its p50" in printed


def test_a_check_the_run_could_not_time_says_why(capsys):
    report._credential_check({"skipped": "the credential check is timed on the stack's database"})
    assert "credential check: skipped: the credential check is timed" in capsys.readouterr().out
