"""Schedule engine (pure): layered rotations, restrictions and overrides into final shifts.

Handoffs are computed in the schedule's local wall time, so a DST change lengthens or shortens the
shift that spans it instead of moving the handoff. A wall time skipped by DST lands just after the
gap; a repeated one means its first occurrence.
"""

from bisect import bisect_right
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

UNITS = ("hours", "days", "weeks")
# How far around an instant `on_call_at` looks to report the bounds of the shift holding it.
LOOKAROUND = timedelta(days=35)

# Whatever names a person: the service uses user ids, the tests letters.
UserId = TypeVar("UserId", bound=Hashable)


@dataclass(frozen=True, slots=True)
class Restriction:
    """Active from `start` to `end` local time on days starting on `weekdays` (0 = Monday).

    An `end` at or before `start` runs past midnight into the next day.
    """

    weekdays: frozenset[int]
    start: time
    end: time


@dataclass(frozen=True, slots=True)
class Layer(Generic[UserId]):
    """A rotation: members take turns, each for `shift_length` units from the first handoff on."""

    members: tuple[UserId, ...]
    shift_length: int
    shift_unit: str
    handoff_time: time
    start_date: date
    restrictions: tuple[Restriction, ...] = ()


@dataclass(frozen=True, slots=True)
class Override(Generic[UserId]):
    """`user` is on call from `start` to `end`: instead of `replaces` only, or of anyone when None."""

    user: UserId
    start: datetime
    end: datetime
    replaces: UserId | None = None


@dataclass(frozen=True, slots=True)
class Plan(Generic[UserId]):
    """A schedule as the engine sees it; layers lowest first (a higher layer wins)."""

    time_zone: str
    layers: tuple[Layer[UserId], ...]
    overrides: tuple[Override[UserId], ...] = ()


@dataclass(frozen=True, slots=True)
class Span(Generic[UserId]):
    """[start, end) in UTC with who is on call; `user` None is a gap."""

    start: datetime
    end: datetime
    user: UserId | None


def local_to_utc(wall: datetime, zone: ZoneInfo) -> datetime:
    """A naive local wall time as a UTC instant."""
    return wall.replace(tzinfo=zone, fold=0).astimezone(UTC)


def shift_step(layer: Layer[UserId]) -> timedelta:
    """One shift in wall-clock time."""
    if layer.shift_unit not in UNITS or layer.shift_length < 1:
        raise ValueError(f"bad shift length {layer.shift_length} {layer.shift_unit}")
    return timedelta(**{layer.shift_unit: layer.shift_length})


def handoff(layer: Layer[UserId], zone: ZoneInfo, index: int) -> datetime:
    """When shift number `index` starts (0 is the first handoff on start_date)."""
    epoch = datetime.combine(layer.start_date, layer.handoff_time)
    return local_to_utc(epoch + index * shift_step(layer), zone)


def shift_index(layer: Layer[UserId], zone: ZoneInfo, at: datetime) -> int:
    """The number of the shift holding `at`; negative before the first handoff."""
    wall = at.astimezone(zone).replace(tzinfo=None)
    index = (wall - datetime.combine(layer.start_date, layer.handoff_time)) // shift_step(layer)
    # Wall time and UTC disagree by up to the DST jump around transitions: settle on the exact shift.
    while handoff(layer, zone, index) > at:
        index -= 1
    while handoff(layer, zone, index + 1) <= at:
        index += 1
    return index


def rotation_spans(
    layer: Layer[UserId], zone: ZoneInfo, start: datetime, end: datetime
) -> list[Span[UserId]]:
    """The layer's shifts meeting [start, end), clipped to it, before restrictions."""
    if not layer.members:
        return []
    spans = []
    index = max(shift_index(layer, zone, start), 0)
    begin = handoff(layer, zone, index)
    while begin < end:
        finish = handoff(layer, zone, index + 1)
        lo, hi = max(begin, start), min(finish, end)
        if lo < hi:
            spans.append(Span(lo, hi, layer.members[index % len(layer.members)]))
        index, begin = index + 1, finish
    return spans


def restriction_windows(
    restrictions: Sequence[Restriction], zone: ZoneInfo, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """Merged UTC intervals in which any restriction is active, covering [start, end)."""
    windows = []
    day = start.astimezone(zone).date() - timedelta(days=1)
    while day <= end.astimezone(zone).date():
        for rule in restrictions:
            if day.weekday() in rule.weekdays:
                close = day if rule.end > rule.start else day + timedelta(days=1)
                lo = local_to_utc(datetime.combine(day, rule.start), zone)
                hi = local_to_utc(datetime.combine(close, rule.end), zone)
                if lo < hi:
                    windows.append((lo, hi))
        day += timedelta(days=1)
    return _merge(sorted(windows))


def _merge(windows: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for lo, hi in windows:
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
        else:
            merged.append((lo, hi))
    return merged


def layer_spans(layer: Layer[UserId], zone: ZoneInfo, start: datetime, end: datetime) -> list[Span[UserId]]:
    """The layer's shifts meeting [start, end), cut down to its restrictions; never overlapping."""
    spans = rotation_spans(layer, zone, start, end)
    if not layer.restrictions:
        return spans
    windows = restriction_windows(layer.restrictions, zone, start, end)
    cut = []
    for span in spans:
        for lo, hi in windows:
            lo, hi = max(lo, span.start), min(hi, span.end)
            if lo < hi:
                cut.append(Span(lo, hi, span.user))
    return cut


def _user_at(spans: list[Span[UserId]], starts: list[datetime], at: datetime) -> UserId | None:
    index = bisect_right(starts, at) - 1
    return spans[index].user if index >= 0 and spans[index].end > at else None


def _top_user(layers: list[list[Span[UserId]]], starts: list[list[datetime]], at: datetime) -> UserId | None:
    """The user of the highest layer with someone at `at`."""
    for spans, begins in zip(reversed(layers), reversed(starts), strict=True):
        user = _user_at(spans, begins, at)
        if user is not None:
            return user
    return None


def final_spans(plan: Plan[UserId], start: datetime, end: datetime) -> list[Span[UserId]]:
    """Who is on call over [start, end): contiguous spans covering it exactly, gaps as user None."""
    if start >= end:
        return []
    zone = ZoneInfo(plan.time_zone)
    layers = [layer_spans(layer, zone, start, end) for layer in plan.layers]
    overrides = [o for o in plan.overrides if o.start < end and o.end > start]
    cuts = {start, end}
    for spans in layers:
        cuts.update(t for span in spans for t in (span.start, span.end))
    cuts.update(t for o in overrides for t in (o.start, o.end) if start < t < end)
    starts = [[span.start for span in spans] for spans in layers]
    result: list[Span[UserId]] = []
    for lo, hi in pairwise(sorted(cuts)):
        user = _apply_overrides(overrides, _top_user(layers, starts, lo), lo)
        if result and result[-1].user == user:
            result[-1] = Span(result[-1].start, hi, user)
        else:
            result.append(Span(lo, hi, user))
    return result


def _apply_overrides(
    overrides: Sequence[Override[UserId]], user: UserId | None, at: datetime
) -> UserId | None:
    for override in overrides:
        if override.start <= at < override.end and override.replaces in (None, user):
            user = override.user
    return user


def on_call_at(plan: Plan[UserId], at: datetime) -> Span[UserId]:
    """The final span holding `at` (bounds looked for up to LOOKAROUND either side)."""
    for span in final_spans(plan, at - LOOKAROUND, at + LOOKAROUND):
        if span.start <= at < span.end:
            return span
    raise AssertionError("final spans cover their window")


def overlapping(
    overrides: Sequence[Override[UserId]], candidate: Override[UserId]
) -> Override[UserId] | None:
    """An existing override whose time overlaps the candidate's, if any."""
    return next((o for o in overrides if o.start < candidate.end and candidate.start < o.end), None)
