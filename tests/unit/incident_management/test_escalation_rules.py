"""Escalation rules (pure): which level comes after which."""

import pytest

from services.incident_management.domain import next_level


@pytest.mark.parametrize(
    ("level", "cycle", "count", "repeat", "expected"),
    [
        (0, 0, 3, 0, (1, 0)),
        (1, 0, 3, 0, (2, 0)),
        (2, 0, 3, 0, None),  # last level, no repeat: the policy is exhausted
        (2, 0, 3, 2, (0, 1)),  # repeats start over at the first level
        (2, 1, 3, 2, (0, 2)),
        (2, 2, 3, 2, None),
        (0, 0, 1, 1, (0, 1)),
        (-1, 0, 2, 0, (0, 0)),  # not paged yet: the first level comes next
    ],
)
def test_next_level_walks_levels_then_repeats(level, cycle, count, repeat, expected):
    assert next_level(level, cycle, count, repeat) == expected
