"""Where shifts fall on the on-call page's week."""

from datetime import UTC, datetime, timedelta

from services.web_ui import timeline
from shared.gen.oncall.v1 import oncall_pb2

START = datetime(2026, 12, 7, 12, tzinfo=UTC)
END = START + timedelta(days=7)


def shift(start: datetime, end: datetime, user_id: str | None) -> oncall_pb2.Shift:
    found = oncall_pb2.Shift(start=start.isoformat(), end=end.isoformat())
    if user_id:
        found.user.CopyFrom(oncall_pb2.OnCallUser(id=user_id, name=f"user {user_id}"))
    return found


def test_shifts_are_clipped_to_the_window_and_mine_marked():
    found = timeline.bars(
        [
            shift(START - timedelta(days=1), START + timedelta(days=1), "a"),
            shift(START + timedelta(days=1), START + timedelta(days=2), None),
            shift(START + timedelta(days=2), END + timedelta(days=3), "me"),
        ],
        start=START,
        end=END,
        me="me",
    )
    assert [(round(b.x, 3), round(b.width, 3), b.who, b.mine) for b in found] == [
        (0, round(1 / 7, 3), "user a", False),
        (round(1 / 7, 3), round(1 / 7, 3), "", False),
        (round(2 / 7, 3), round(5 / 7, 3), "user me", True),
    ]


def test_a_shift_outside_the_window_is_left_out():
    assert timeline.bars([shift(END, END + timedelta(hours=1), "a")], start=START, end=END, me="") == []


def test_ticks_fall_on_utc_midnights():
    ticks = timeline.day_ticks(START, END)
    assert [label for _, label in ticks] == [
        "Tue 08",
        "Wed 09",
        "Thu 10",
        "Fri 11",
        "Sat 12",
        "Sun 13",
        "Mon 14",
    ]
    assert ticks[0][0] == 0.5 / 7
