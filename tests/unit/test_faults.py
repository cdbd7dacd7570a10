"""The fault suite's arithmetic: the longest time without a 202, and what fails a fault."""

from scripts.faults import Sender, Verdict


def _verdict(**changes) -> Verdict:
    clean = dict(
        fault="f",
        sent=10,
        accepted=10,
        stored=10,
        lost=0,
        twice=0,
        expected=4,
        delivered=4,
        gap=0.1,
        unsent=0,
    )
    return Verdict(**(clean | changes))


def test_longest_gap_counts_the_stream_edges_and_ignores_answers_outside_it():
    sender = Sender(client=None, key="k")  # type: ignore[arg-type]
    sender.accepted_at = [10.5, 11.0, 14.0, 30.0]
    assert sender.longest_gap(10.0, 15.0) == 3.0
    sender.accepted_at = []
    assert sender.longest_gap(10.0, 15.0) == 5.0


def test_a_fault_fails_on_loss_double_store_missing_event_or_alert_never_accepted():
    assert _verdict().passed
    for change in ({"lost": 1}, {"twice": 1}, {"delivered": 3}, {"unsent": 1}):
        assert not _verdict(**change).passed, change
    assert "ok" in _verdict().line() and "FAIL" in _verdict(lost=1).line()
