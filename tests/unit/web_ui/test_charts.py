"""The SVG geometry of the analytics charts."""

import pytest

from services.web_ui import charts


@pytest.mark.parametrize(
    ("value", "top"), [(0, 1), (0.3, 0.5), (3, 5), (7, 10), (10, 10), (11, 20), (180, 200)]
)
def test_axis_top_is_the_next_1_2_or_5(value, top):
    assert charts.nice_max(value) == pytest.approx(top)


def test_stacked_bars_sit_on_each_other_and_scale_to_the_axis():
    chart = charts.stacked_bars([("a", {"x": 2, "y": 3}), ("b", {"x": 0, "y": 1})], ["x", "y"])
    x, y, y_only = chart.bars
    assert (x.cls, y.cls, y_only.cls) == ("bar-x", "bar-y", "bar-y")
    assert y.y + y.h == pytest.approx(x.y)  # y stacked on x
    full = charts.HEIGHT - charts.TOP - charts.BOTTOM
    assert x.h + y.h == pytest.approx(full)  # 5 of an axis topping at 5 (at least 4)
    assert y_only.h == pytest.approx(full / 5)
    assert chart.y_grid[-1][1] == "5"


def test_lines_skip_columns_without_a_value():
    chart = charts.lines([("a", {"m": 60.0}), ("b", {"m": None}), ("c", {"m": 120.0})], ["m"])
    assert [d.title for d in chart.dots] == ["a: m 60.0", "c: m 120.0"]
    assert len(chart.lines) == 1 and chart.lines[0][1].count(",") == 2


def test_x_labels_are_thinned_to_ten():
    chart = charts.stacked_bars([(str(i), {"t": 1}) for i in range(30)], ["t"])
    assert [label for _, label in chart.x_labels] == [str(i) for i in range(0, 30, 3)]


def test_a_small_count_axis_still_has_whole_number_gridlines():
    chart = charts.stacked_bars([("a", {"t": 1})], ["t"])
    assert [label for _, label in chart.y_grid] == ["0", "1", "2", "3", "4"]
    assert chart.bars[0].w == charts.MAX_BAR
