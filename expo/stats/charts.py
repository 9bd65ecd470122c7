"""Charts of the statistics dashboard, drawn on the server as SVG geometry for the templates.

A time series is a column chart over every day of its span (days without a count show as
gaps on the axis, not as missing columns), with dated ticks and a sentence that says what
the chart shows for readers who cannot see it."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask_babel import format_number
from flask_babel import gettext as _

from expo.core.i18n import local_date

TICKS = 6  # dated ticks under the axis, at most


@dataclass(frozen=True)
class Column:
    x: float
    y: float
    width: float
    height: float
    day: date
    value: float


@dataclass(frozen=True)
class Tick:
    x: float
    text: str


@dataclass(frozen=True)
class ColumnChart:
    width: int
    height: int
    plot_top: int
    plot_bottom: int
    left: int
    columns: list[Column]
    ticks: list[Tick]
    max_text: str
    summary: str


def column_chart(points: Sequence[tuple[date, float]], *, title: Any, value_text=format_number,
                 width: int = 640, height: int = 220) -> ColumnChart | None:
    """A column per day from the first to the last day of ``points`` (None without points)."""
    if not points:
        return None
    values = dict(points)
    first, last = min(values), max(values)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    left, right, top, bottom = 48, 8, 12, height - 28
    peak = max(values.values()) or 1
    step = (width - left - right) / len(days)
    gap = min(2.0, step * 0.2)
    columns = []
    for n, day in enumerate(days):
        value = values.get(day, 0)
        bar = (bottom - top) * value / peak
        columns.append(Column(left + n * step + gap / 2, bottom - bar, max(step - gap, 0.5), bar, day, value))
    every = max(1, round(len(days) / TICKS))
    ticks = [Tick(left + (n + 0.5) * step, local_date(day, fmt="short")) for n, day in enumerate(days)
             if n % every == 0]
    busiest = max(points, key=lambda point: (point[1], -point[0].toordinal()))
    summary = _(
        "%(title)s, %(first)s to %(last)s: %(total)s in all; the most, %(most)s, on %(day)s.",
        title=title, first=local_date(first, fmt="medium"), last=local_date(last, fmt="medium"),
        total=value_text(sum(values.values())), most=value_text(busiest[1]), day=local_date(busiest[0], fmt="medium"),
    )
    return ColumnChart(width, height, top, bottom, left, columns, ticks, value_text(peak), summary)
