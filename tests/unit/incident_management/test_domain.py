"""Incident rules (pure)."""

from datetime import UTC, datetime

import pytest

from services.incident_management.domain import check_transition, correlation_cutoff
from shared.errors import Conflict


@pytest.mark.parametrize(
    ("current", "target"), [("open", "acknowledged"), ("open", "resolved"), ("acknowledged", "resolved")]
)
def test_lifecycle_moves_forward(current, target):
    check_transition(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("acknowledged", "acknowledged"),
        ("resolved", "resolved"),
        ("resolved", "acknowledged"),
        ("acknowledged", "open"),
        ("open", "open"),
    ],
)
def test_illegal_moves_are_conflicts(current, target):
    with pytest.raises(Conflict) as error:
        check_transition(current, target)
    assert error.value.http_status == 409 and error.value.field == "status"


def test_correlation_window_counts_back_from_now():
    now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    assert correlation_cutoff(now, 300) == datetime(2026, 11, 24, 11, 55, tzinfo=UTC)
