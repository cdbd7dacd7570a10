"""Weekly rotation rules (pure): who holds the shift at a given instant.

Handoffs happen at a weekday and wall-clock time in the rotation's own time zone, so a DST change
makes that week's shift 167 or 169 hours long instead of moving the handoff.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEK = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class RotationPlan:
    """What the rule needs from a rotation."""

    time_zone: str
    handoff_weekday: int  # 0 = Monday
    handoff_time: time
    start_date: date
    member_count: int


@dataclass(frozen=True, slots=True)
class Shift:
    """One week of a rotation: the member's position and the shift's bounds in UTC."""

    member: int
    start: datetime
    end: datetime


def first_handoff_date(plan: RotationPlan) -> date:
    """The first local date on or after start_date that falls on the handoff weekday."""
    return plan.start_date + timedelta(days=(plan.handoff_weekday - plan.start_date.weekday()) % 7)


def handoff_instant(plan: RotationPlan, day: date) -> datetime:
    """The handoff on local `day`, in UTC; a wall time skipped by DST lands just after the gap."""
    local = datetime.combine(day, plan.handoff_time, tzinfo=ZoneInfo(plan.time_zone))
    return local.astimezone(UTC)


def shift_at(plan: RotationPlan, at: datetime) -> Shift | None:
    """The shift holding `at`; None when the rotation has no members or has not started yet."""
    if plan.member_count == 0:
        return None
    local_day = at.astimezone(ZoneInfo(plan.time_zone)).date()
    day = local_day - timedelta(days=(local_day.weekday() - plan.handoff_weekday) % 7)
    if handoff_instant(plan, day) > at:
        day -= WEEK
    first = first_handoff_date(plan)
    if day < first:
        return None
    # Whole local calendar weeks, not 168-hour blocks, so DST weeks count as one week each.
    weeks = (day - first).days // 7
    return Shift(weeks % plan.member_count, handoff_instant(plan, day), handoff_instant(plan, day + WEEK))


def first_staffed(plans: Sequence[RotationPlan], at: datetime) -> tuple[int, Shift] | None:
    """The first plan with someone on call at `at` (callers pass them oldest first) and its shift."""
    for index, plan in enumerate(plans):
        shift = shift_at(plan, at)
        if shift is not None:
            return index, shift
    return None
