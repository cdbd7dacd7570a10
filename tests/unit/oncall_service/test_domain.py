"""Weekly rotation rules (pure)."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.oncall_service.domain import RotationPlan, Shift, first_handoff_date, first_staffed, shift_at

MONDAY = 0
HOURS = timedelta(hours=1)


def plan(zone="Europe/Paris", *, members=3, start=date(2026, 1, 5), weekday=MONDAY, at=time(9, 0)):
    return RotationPlan(
        time_zone=zone, handoff_weekday=weekday, handoff_time=at, start_date=start, member_count=members
    )


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_first_handoff_is_the_first_matching_weekday_on_or_after_start_date():
    assert first_handoff_date(plan(start=date(2026, 1, 5))) == date(2026, 1, 5)  # a Monday
    assert first_handoff_date(plan(start=date(2026, 1, 6))) == date(2026, 1, 12)
    assert first_handoff_date(plan(start=date(2026, 1, 6), weekday=2)) == date(2026, 1, 7)


def test_before_the_first_handoff_nobody_is_on_call():
    rotation = plan(start=date(2026, 1, 5))
    assert shift_at(rotation, utc(2026, 1, 5, 7, 59, 59)) is None  # 08:59:59 in Paris
    assert shift_at(rotation, utc(2025, 12, 1)) is None
    assert shift_at(rotation, utc(2026, 1, 5, 8)) == Shift(0, utc(2026, 1, 5, 8), utc(2026, 1, 12, 8))


def test_rotation_without_members_has_nobody_on_call():
    assert shift_at(plan(members=0), utc(2026, 6, 1, 12)) is None


def test_members_take_turns_weekly_and_wrap_around():
    rotation = plan(zone="UTC", members=3)
    mondays = [utc(2026, 1, 5, 9) + timedelta(weeks=w) for w in range(7)]
    assert [shift_at(rotation, m + HOURS).member for m in mondays] == [0, 1, 2, 0, 1, 2, 0]


def test_handoff_instant_starts_the_next_shift():
    rotation = plan(zone="UTC", members=2)
    handoff = utc(2026, 1, 12, 9)
    assert shift_at(rotation, handoff - timedelta(microseconds=1)).member == 0
    assert shift_at(rotation, handoff) == Shift(1, handoff, handoff + timedelta(weeks=1))


def test_single_member_is_always_on_call_after_start():
    rotation = plan(members=1)
    assert {shift_at(rotation, utc(2026, 1, 5, 9) + timedelta(days=d)).member for d in range(0, 400, 5)} == {
        0
    }


def test_handoff_weekday_other_than_monday():
    rotation = plan(zone="UTC", members=2, weekday=4, at=time(17, 30), start=date(2026, 1, 1))
    # 2026-01-01 is a Thursday: the first shift starts on Friday the 2nd.
    assert shift_at(rotation, utc(2026, 1, 2, 17, 29)) is None
    assert shift_at(rotation, utc(2026, 1, 3)) == Shift(0, utc(2026, 1, 2, 17, 30), utc(2026, 1, 9, 17, 30))
    assert shift_at(rotation, utc(2026, 1, 10)) == Shift(1, utc(2026, 1, 9, 17, 30), utc(2026, 1, 16, 17, 30))


@pytest.mark.parametrize(
    ("zone", "start", "end", "hours"),
    [
        # Paris: 09:00 CET is 08:00Z, 09:00 CEST is 07:00Z.
        ("Europe/Paris", utc(2026, 3, 23, 8), utc(2026, 3, 30, 7), 167),
        ("Europe/Paris", utc(2026, 10, 19, 7), utc(2026, 10, 26, 8), 169),
        # New York: 09:00 EST is 14:00Z, 09:00 EDT is 13:00Z.
        ("America/New_York", utc(2026, 3, 2, 14), utc(2026, 3, 9, 13), 167),
        ("America/New_York", utc(2026, 10, 26, 13), utc(2026, 11, 2, 14), 169),
    ],
)
def test_handoff_stays_at_local_nine_across_dst_changes(zone, start, end, hours):
    shift = shift_at(plan(zone), start + timedelta(days=3))
    assert (shift.start, shift.end) == (start, end)
    assert shift.end - shift.start == timedelta(hours=hours)
    local = [t.astimezone(ZoneInfo(zone)) for t in (shift.start, shift.end)]
    assert [(t.weekday(), t.hour, t.minute) for t in local] == [(MONDAY, 9, 0), (MONDAY, 9, 0)]


@pytest.mark.parametrize("zone", ["Europe/Paris", "America/New_York"])
def test_every_handoff_of_a_year_is_at_local_nine_on_monday(zone):
    rotation = plan(zone, members=4)
    at = utc(2026, 1, 5, 18)
    for _ in range(52):
        shift = shift_at(rotation, at)
        local = shift.start.astimezone(ZoneInfo(zone))
        assert (local.weekday(), local.hour, local.minute) == (MONDAY, 9, 0)
        at = shift.end + HOURS


def test_members_are_counted_in_calendar_weeks_not_168_hour_blocks():
    # Jan 5 09:00 CET → Mar 30 09:00 CEST is 12 calendar weeks but one hour short of 12 × 168 h.
    rotation = plan("Europe/Paris", members=5)
    shift = shift_at(rotation, utc(2026, 3, 30, 7, 30))
    assert shift.member == 12 % 5
    assert shift.start == utc(2026, 3, 30, 7)


def test_handoff_time_skipped_by_spring_forward_lands_after_the_gap():
    # New York jumps 02:00 → 03:00 on Sunday 2026-03-08.
    rotation = plan("America/New_York", members=2, weekday=6, at=time(2, 30), start=date(2026, 3, 1))
    shift = shift_at(rotation, utc(2026, 3, 10))
    assert shift.start == utc(2026, 3, 8, 7, 30)  # 03:30 EDT
    assert shift.member == 1


def test_first_staffed_prefers_the_earliest_plan_with_someone_on_call():
    at = utc(2026, 2, 2, 12)
    empty, later, started = plan(members=0), plan(start=date(2026, 6, 1)), plan(members=2)
    assert first_staffed([empty, later, started, plan(members=1)], at) == (2, shift_at(started, at))
    assert first_staffed([plan(members=1), started], at)[0] == 0
    assert first_staffed([empty, later], at) is None
    assert first_staffed([], at) is None
