"""Chart geometry for server-rendered SVG. Pure functions: numbers in, shapes out; the
templates draw them (and escape every label)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Sequence, Tuple


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: int
    highlight: int = 0  # part of the bar drawn in the alert colour (emergencies)
    highlight_height: float = 0.0


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: List[Bar]
    max_value: int
    ticks: List[Tuple[float, int]]  # (position, value) for the value axis


def _nice_max(value: int) -> int:
    """A round axis maximum at or above ``value`` (1, 2, 5 x 10^n)."""
    if value <= 0:
        return 1
    scale = 1
    while True:
        for step in (1, 2, 5):
            if step * scale >= value:
                return step * scale
        scale *= 10


def column_chart(
    values: Sequence[Tuple[str, int, int]], width: int = 720, height: int = 220
) -> Chart:
    """Vertical bars, one per (label, value, highlighted part)."""
    left, bottom, top = 40.0, 24.0, 8.0
    plot_h = height - bottom - top
    top_value = _nice_max(max((v for _, v, _ in values), default=0))
    slot = (width - left) / max(1, len(values))
    bars = []
    for i, (label, value, highlight) in enumerate(values):
        h = plot_h * value / top_value
        hh = plot_h * min(highlight, value) / top_value
        bars.append(
            Bar(
                x=left + i * slot + slot * 0.1,
                y=top + plot_h - h,
                width=max(1.0, slot * 0.8),
                height=h,
                label=label,
                value=value,
                highlight=highlight,
                highlight_height=hh,
            )
        )
    # Each tick at the height of the (whole) value it is labelled with.
    tick_values = sorted({top_value * k // 4 for k in range(5)})
    ticks = [(top + plot_h - plot_h * v / top_value, v) for v in tick_values]
    return Chart(width, height, bars, top_value, ticks)


def bar_chart(values: Sequence[Tuple[str, int]], width: int = 720, row: int = 26) -> Chart:
    """Horizontal bars, one row per (label, value), longest first as given."""
    label_w = 230.0
    height = max(row, row * len(values)) + 4
    top_value = _nice_max(max((v for _, v in values), default=0))
    plot_w = width - label_w - 60
    bars = [
        Bar(
            x=label_w,
            y=i * row + 4,
            width=plot_w * value / top_value,
            height=row - 8,
            label=label,
            value=value,
        )
        for i, (label, value) in enumerate(values)
    ]
    return Chart(width, height, bars, top_value, [])
