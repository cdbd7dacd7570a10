"""Where shifts fall on a week's timeline: bars and day ticks as fractions of the window, for the on-call
page's SVG (pure: times in, geometry out)."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.gen.oncall.v1 import oncall_pb2
from shared.timeutil import parse_rfc3339


@dataclass(frozen=True)
class Bar:
    x: float  # 0-1 of the window
    width: float
    who: str  # '' for a gap
    mine: bool
    start: datetime
    end: datetime


def _fraction(at: datetime, start: datetime, end: datetime) -> float:
    return min(max((at - start) / (end - start), 0.0), 1.0)


def bars(shifts: Iterable[oncall_pb2.Shift], *, start: datetime, end: datetime, me: str) -> list[Bar]:
    """Each shift (RFC 3339 `start`/`end`, `user` set unless a gap) clipped to [start, end); `me` is the
    viewer's user id."""
    found: list[Bar] = []
    for shift in shifts:
        begins, ends = parse_rfc3339(shift.start), parse_rfc3339(shift.end)
        x0, x1 = _fraction(begins, start, end), _fraction(ends, start, end)
        if x1 <= x0:
            continue
        staffed = shift.HasField("user")
        who = shift.user.name if staffed else ""
        found.append(Bar(x0, x1 - x0, who, staffed and shift.user.id == me, begins, ends))
    return found


def day_ticks(start: datetime, end: datetime) -> list[tuple[float, str]]:
    """Each UTC midnight inside the window, as (fraction, 'Mon 07')."""
    day = start.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    ticks = []
    while day < end:
        ticks.append((_fraction(day, start, end), day.strftime("%a %d")))
        day += timedelta(days=1)
    return ticks
