"""Charts as SVG geometry computed on the server (no JavaScript library): stacked bars and lines over
labelled columns, in a fixed viewBox the templates draw. Pure: numbers in, shapes out."""

import math
from collections.abc import Callable
from dataclasses import dataclass, field

WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 56, 8, 10, 30
MAX_X_LABELS = 10
MAX_BAR = 64  # a bar's widest, so that a few columns do not fill the chart
MIN_COUNT_TOP = 4  # a count axis shows at least 0-4, so its grid falls on whole numbers
Column = tuple[str, dict[str, float | None]]


@dataclass(frozen=True)
class Shape:
    x: float
    y: float
    cls: str
    title: str
    w: float = 0.0
    h: float = 0.0


@dataclass
class Chart:
    width: int = WIDTH
    height: int = HEIGHT
    bars: list[Shape] = field(default_factory=list)
    dots: list[Shape] = field(default_factory=list)
    lines: list[tuple[str, str]] = field(default_factory=list)  # (class, SVG points)
    x_labels: list[tuple[float, str]] = field(default_factory=list)
    y_grid: list[tuple[float, str]] = field(default_factory=list)


def nice_max(value: float) -> float:
    """The axis top: the smallest 1, 2 or 5 × 10^n at or above `value` (1 for nothing)."""
    if value <= 0:
        return 1.0
    power: float = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= value)


def _frame(columns: list[Column], top: float, fmt: Callable[[float], str]) -> tuple[Chart, float]:
    """The chart with its grid and x labels, and one column's width."""
    chart = Chart()
    slot = (WIDTH - LEFT - RIGHT) / max(len(columns), 1)
    every = max(1, math.ceil(len(columns) / MAX_X_LABELS))
    chart.x_labels = [
        (LEFT + (i + 0.5) * slot, label) for i, (label, _) in enumerate(columns) if i % every == 0
    ]
    chart.y_grid = [(_y(top * k / 4, top), fmt(top * k / 4)) for k in range(5)]
    return chart, slot


def _y(value: float, top: float) -> float:
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - value / top)


def stacked_bars(columns: list[Column], series: list[str], fmt: Callable[[float], str] = str) -> Chart:
    """One bar per column of counts, `series` stacked bottom up (class `bar-<series>`)."""
    highest = max((sum(v or 0 for v in values.values()) for _, values in columns), default=0)
    top = max(nice_max(highest), MIN_COUNT_TOP)
    chart, slot = _frame(columns, top, lambda v: fmt(round(v)))
    for i, (label, values) in enumerate(columns):
        base = 0.0
        for name in series:
            value = values.get(name) or 0
            if value:
                y0, y1 = _y(base, top), _y(base + value, top)
                width = min(slot * 0.76, MAX_BAR)
                x = LEFT + (i + 0.5) * slot - width / 2
                chart.bars.append(Shape(x, y1, f"bar-{name}", f"{label}: {value:g} {name}", width, y0 - y1))
            base += value
    return chart


def lines(columns: list[Column], series: list[str], fmt: Callable[[float], str] = str) -> Chart:
    """One line per series (class `line-<series>`, points `dot-<series>`); a column without a value
    breaks no line, it is skipped."""
    top = nice_max(max((v for _, values in columns for v in values.values() if v is not None), default=0))
    chart, slot = _frame(columns, top, fmt)
    for name in series:
        points = []
        for i, (label, values) in enumerate(columns):
            value = values.get(name)
            if value is None:
                continue
            x, y = LEFT + (i + 0.5) * slot, _y(value, top)
            points.append(f"{x:.1f},{y:.1f}")
            chart.dots.append(Shape(x, y, f"dot-{name}", f"{label}: {name} {fmt(value)}"))
        if points:
            chart.lines.append((f"line-{name}", " ".join(points)))
    return chart
