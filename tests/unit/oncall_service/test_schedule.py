"""Schedule engine with a controlled clock: rotations, layers, restrictions, overrides, DST, gaps."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.oncall_service.schedule import (
    Layer,
    Override,
    Plan,
    Restriction,
    Span,
    final_spans,
    layer_spans,
    on_call_at,
    overlapping,
)

PARIS, NEW_YORK = "Europe/Paris", "America/New_York"
WEEKDAYS = frozenset(range(5))


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def layer(members="ABC", length=1, unit="weeks", handoff="09:00", start=date(2026, 1, 5), restrictions=()):
    return Layer(tuple(members), length, unit, time.fromisoformat(handoff), start, tuple(restrictions))


def bounds(spans: list[Span]) -> list[tuple[str, str, object]]:
    return [(s.start.strftime("%m-%d %H:%M"), s.end.strftime("%m-%d %H:%M"), s.user) for s in spans]


def test_weekly_handoff_stays_at_nine_paris_time_across_spring_forward():
    plan = Plan(PARIS, (layer(),))
    spans = final_spans(plan, utc("2026-03-23T00:00"), utc("2026-04-06T12:00"))
    # Week 11 (C) starts 09:00 CET = 08:00Z; week 12 (A) starts 09:00 CEST = 07:00Z: a 167-hour shift.
    assert bounds(spans) == [
        ("03-23 00:00", "03-23 08:00", "B"),
        ("03-23 08:00", "03-30 07:00", "C"),
        ("03-30 07:00", "04-06 07:00", "A"),
        ("04-06 07:00", "04-06 12:00", "B"),
    ]


def test_twelve_hour_shifts_keep_local_handoffs_when_paris_falls_back():
    plan = Plan(PARIS, (layer("AB", 12, "hours", "08:00", date(2026, 10, 1)),))
    spans = final_spans(plan, utc("2026-10-24T06:00"), utc("2026-10-25T19:00"))
    # The night shift holding the repeated hour lasts 13 h; handoffs stay at 08:00 and 20:00 local.
    assert bounds(spans) == [
        ("10-24 06:00", "10-24 18:00", "A"),
        ("10-24 18:00", "10-25 07:00", "B"),
        ("10-25 07:00", "10-25 19:00", "A"),
    ]


def test_daily_two_day_shifts_in_new_york_across_both_dst_changes():
    plan = Plan(NEW_YORK, (layer("AB", 2, "days", "10:00", date(2026, 3, 1)),))
    spring = final_spans(plan, utc("2026-03-06T00:00"), utc("2026-03-10T00:00"))
    assert bounds(spring) == [
        ("03-06 00:00", "03-07 15:00", "A"),  # 10:00 EST
        ("03-07 15:00", "03-09 14:00", "B"),  # 10:00 EDT: 47 hours
        ("03-09 14:00", "03-10 00:00", "A"),
    ]
    autumn = on_call_at(plan, utc("2026-11-01T12:00"))
    assert (autumn.start, autumn.end) == (utc("2026-10-31T14:00"), utc("2026-11-02T15:00"))  # 49 hours


def test_hourly_shifts_skip_the_hour_new_york_springs_over_without_gap_or_overlap():
    plan = Plan(NEW_YORK, (layer("ABC", 1, "hours", "00:00", date(2026, 3, 7)),))
    spans = final_spans(plan, utc("2026-03-08T05:00"), utc("2026-03-08T09:00"))
    # 00:00 EST = 05:00Z; the 02:00 shift does not exist, so 01:00 EST hands straight to 03:00 EDT.
    assert bounds(spans) == [
        ("03-08 05:00", "03-08 06:00", "A"),
        ("03-08 06:00", "03-08 07:00", "B"),
        ("03-08 07:00", "03-08 08:00", "A"),
        ("03-08 08:00", "03-08 09:00", "B"),
    ]


def test_before_the_start_date_is_an_explicit_gap():
    plan = Plan("UTC", (layer("A", start=date(2026, 1, 5)),))
    spans = final_spans(plan, utc("2026-01-04T00:00"), utc("2026-01-06T00:00"))
    assert bounds(spans) == [("01-04 00:00", "01-05 09:00", None), ("01-05 09:00", "01-06 00:00", "A")]


def test_empty_layer_yields_one_gap():
    spans = final_spans(Plan(PARIS, (layer(""),)), utc("2026-02-01T00:00"), utc("2026-02-02T00:00"))
    assert spans == [Span(utc("2026-02-01T00:00"), utc("2026-02-02T00:00"), None)]


def test_restricted_layer_only_covers_weekday_business_hours_leaving_gaps():
    business = Restriction(WEEKDAYS, time(9), time(18))
    plan = Plan(PARIS, (layer("Z", 1, "days", "00:00", restrictions=[business]),))
    spans = final_spans(plan, utc("2026-02-06T00:00"), utc("2026-02-09T12:00"))  # Friday to Monday
    assert bounds(spans) == [
        ("02-06 00:00", "02-06 08:00", None),
        ("02-06 08:00", "02-06 17:00", "Z"),
        ("02-06 17:00", "02-09 08:00", None),
        ("02-09 08:00", "02-09 12:00", "Z"),
    ]


def test_overnight_restriction_runs_past_midnight():
    nights = Restriction(frozenset({0}), time(22), time(6))
    plan = Plan("UTC", (layer("N", restrictions=[nights]),))
    spans = final_spans(plan, utc("2026-02-09T12:00"), utc("2026-02-10T12:00"))
    assert bounds(spans) == [
        ("02-09 12:00", "02-09 22:00", None),
        ("02-09 22:00", "02-10 06:00", "N"),
        ("02-10 06:00", "02-10 12:00", None),
    ]


def test_higher_layer_wins_where_it_has_someone_and_lower_fills_the_rest():
    base = layer("AB")
    daytime = layer("D", 1, "days", "00:00", restrictions=[Restriction(WEEKDAYS, time(9), time(18))])
    plan = Plan("UTC", (base, daytime))
    spans = final_spans(plan, utc("2026-01-12T00:00"), utc("2026-01-13T00:00"))  # a Monday; B's week
    assert bounds(spans) == [
        ("01-12 00:00", "01-12 09:00", "A"),
        ("01-12 09:00", "01-12 18:00", "D"),
        ("01-12 18:00", "01-13 00:00", "B"),
    ]


def test_override_replaces_whoever_is_on_call_even_in_a_gap():
    plan = Plan(
        "UTC",
        (layer("A", start=date(2026, 1, 5)),),
        (Override("X", utc("2026-01-05T06:00"), utc("2026-01-05T12:00")),),
    )
    spans = final_spans(plan, utc("2026-01-05T00:00"), utc("2026-01-05T18:00"))
    assert bounds(spans) == [
        ("01-05 00:00", "01-05 06:00", None),
        ("01-05 06:00", "01-05 12:00", "X"),
        ("01-05 12:00", "01-05 18:00", "A"),
    ]


def test_override_covering_one_person_only_applies_during_their_shifts():
    plan = Plan(
        "UTC",
        (layer("AB", 1, "days", "00:00"),),
        (Override("X", utc("2026-01-05T12:00"), utc("2026-01-06T12:00"), replaces="A"),),
    )
    spans = final_spans(plan, utc("2026-01-05T00:00"), utc("2026-01-07T00:00"))
    assert bounds(spans) == [
        ("01-05 00:00", "01-05 12:00", "A"),
        ("01-05 12:00", "01-06 00:00", "X"),
        ("01-06 00:00", "01-07 00:00", "B"),
    ]


def test_on_call_at_reports_the_shift_bounds_and_user():
    span = on_call_at(Plan(PARIS, (layer(),)), utc("2026-03-25T12:00"))
    assert span == Span(utc("2026-03-23T08:00"), utc("2026-03-30T07:00"), "C")


def test_overlapping_finds_a_clash_but_not_touching_overrides():
    existing = [Override("A", utc("2026-01-05T00:00"), utc("2026-01-06T00:00"))]
    assert overlapping(existing, Override("B", utc("2026-01-05T23:00"), utc("2026-01-07T00:00")))
    assert overlapping(existing, Override("B", utc("2026-01-06T00:00"), utc("2026-01-07T00:00"))) is None


def test_zero_shift_length_is_refused():
    with pytest.raises(ValueError):
        final_spans(Plan("UTC", (layer(length=0),)), utc("2026-01-05T00:00"), utc("2026-01-06T00:00"))


# --- properties ---------------------------------------------------------------------------------

ZONES = st.sampled_from(["UTC", PARIS, NEW_YORK, "Australia/Lord_Howe", "Asia/Kolkata"])
INSTANTS = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31)).map(
    lambda d: d.replace(tzinfo=UTC)
)
LAYERS = st.builds(
    Layer,
    members=st.lists(st.sampled_from("ABCDE"), min_size=1, max_size=4).map(tuple),
    shift_length=st.integers(1, 4),
    shift_unit=st.sampled_from(["hours", "days", "weeks"]),
    handoff_time=st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    start_date=st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 6, 1)),
    restrictions=st.lists(
        st.builds(
            Restriction,
            weekdays=st.frozensets(st.integers(0, 6), min_size=1),
            start=st.sampled_from([time(0), time(2, 30), time(9), time(22)]),
            end=st.sampled_from([time(0), time(3), time(18), time(6)]),
        ),
        max_size=2,
    ).map(tuple),
)


def _window(start: datetime, hours: int) -> tuple[datetime, datetime]:
    return start, start + timedelta(hours=hours)


@settings(max_examples=150, deadline=None)
@given(zone=ZONES, one=LAYERS, start=INSTANTS, hours=st.integers(1, 24 * 20))
def test_shifts_within_a_layer_never_overlap_and_stay_in_the_window(zone, one, start, hours):
    lo, hi = _window(start, hours)
    spans = layer_spans(one, ZoneInfo(zone), lo, hi)
    assert all(s.start < s.end for s in spans)
    assert all(a.end <= b.start for a, b in zip(spans, spans[1:], strict=False))
    assert all(lo <= s.start and s.end <= hi for s in spans)


@settings(max_examples=150, deadline=None)
@given(
    zone=ZONES,
    layers=st.lists(LAYERS, min_size=1, max_size=3),
    start=INSTANTS,
    hours=st.integers(1, 24 * 20),
    override_at=st.integers(0, 24 * 20),
)
def test_final_shifts_cover_exactly_the_requested_window(zone, layers, start, hours, override_at):
    lo, hi = _window(start, hours)
    cover = Override("X", lo + timedelta(hours=override_at), lo + timedelta(hours=override_at + 5))
    spans = final_spans(Plan(zone, tuple(layers), (cover,)), lo, hi)
    assert spans[0].start == lo and spans[-1].end == hi
    assert all(a.end == b.start and a.user != b.user for a, b in zip(spans, spans[1:], strict=False))
    assert all(s.start < s.end for s in spans)


@settings(max_examples=100, deadline=None)
@given(
    zone=ZONES,
    one=LAYERS.map(lambda x: Layer(x.members, x.shift_length, x.shift_unit, x.handoff_time, x.start_date)),
    at=INSTANTS,
)
def test_unrestricted_layer_after_its_start_always_has_someone(zone, one, at):
    span = on_call_at(Plan(zone, (one,)), at)
    started = at >= datetime.combine(
        one.start_date + timedelta(days=1), one.handoff_time, tzinfo=ZoneInfo(zone)
    )
    assert span.user is not None or not started
