"""The attendance timeline as an SVG chart's geometry, drawn on the server (no script):
one row per person, a bar for each stretch they were connected, over the session's window
(shaded), with a time axis in the session's own zone.

``timeline_chart`` only places things; ``templates/reports/_timeline.html`` draws them, with a
title and a description, and the attendance table beside it says the same in words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from courses.session_reports import Timeline

WIDTH = 760
LABEL_WIDTH = 200
"""Left of the plot: the people's names."""
RIGHT_MARGIN = 24
AXIS_HEIGHT = 28
ROW_HEIGHT = 26
MIN_BAR = 2.0
"""A connection of a few seconds still shows."""
MAX_LABEL = 28
MAX_TICKS = 8
STEPS_MINUTES = (5, 10, 15, 30, 60, 120, 180, 360, 720, 1440)


@dataclass(frozen=True)
class Bar:
    x: float
    width: float
    text: str
    """The stretch in words ("09:02 to 09:40 EST"), as the bar's tooltip."""


@dataclass(frozen=True)
class Row:
    y: float
    label: str
    """The name, shortened to fit."""
    name: str
    bars: list[Bar]


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    plot_left: float
    plot_right: float
    band_x: float
    band_width: float
    rows: list[Row]
    ticks: list[Tick]
    title: str
    desc: str
    legend: str
    """What the bars and the shading mean, shown under the heading."""


def _clock(moment: datetime, zone: ZoneInfo, *, named: bool = False) -> str:
    """"09:30", or with ``named`` "09:30 EST"."""
    return moment.astimezone(zone).strftime("%H:%M %Z" if named else "%H:%M")


def _stretch(start: datetime, end: datetime, zone: ZoneInfo) -> str:
    return f"{_clock(start, zone)} to {_clock(end, zone, named=True)}"


def tick_step(span: timedelta) -> timedelta:
    """The smallest step of ``STEPS_MINUTES`` that puts at most ``MAX_TICKS`` ticks on
    ``span``."""
    for minutes in STEPS_MINUTES:
        if span / timedelta(minutes=minutes) <= MAX_TICKS:
            return timedelta(minutes=minutes)
    return timedelta(minutes=STEPS_MINUTES[-1])


def ticks_between(start: datetime, end: datetime, zone: ZoneInfo) -> list[datetime]:
    """Round wall-clock times in ``zone`` (every 15 minutes, say) from ``start`` to ``end``."""
    step = tick_step(end - start)
    local = start.astimezone(zone)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    first = midnight + step * -(-(local - midnight) // step)  # the first multiple at or after
    found = []
    moment = first
    while moment <= end:
        found.append(moment)
        moment = (moment + step).astimezone(zone)
    return found


def _shorten(name: str) -> str:
    return name if len(name) <= MAX_LABEL else name[: MAX_LABEL - 1].rstrip() + "…"


def timeline_chart(timeline: Timeline, title: str) -> Chart:
    """Where everything goes for ``timeline`` (see the module's notes)."""
    zone = ZoneInfo(timeline.zone)
    left, right = float(LABEL_WIDTH), float(WIDTH - RIGHT_MARGIN)
    seconds = max((timeline.end - timeline.start).total_seconds(), 1.0)

    def x(moment: datetime) -> float:
        offset = (moment - timeline.start).total_seconds() / seconds
        return round(left + (right - left) * min(1.0, max(0.0, offset)), 1)

    rows = [
        Row(
            y=float(AXIS_HEIGHT + i * ROW_HEIGHT),
            label=_shorten(row.label),
            name=row.label,
            bars=[
                Bar(x(s), max(MIN_BAR, round(x(e) - x(s), 1)), _stretch(s, e, zone))
                for s, e in row.spans
            ],
        )
        for i, row in enumerate(timeline.rows)
    ]
    window_start, window_end = timeline.window
    people = len(rows)
    desc = (
        f"{people} {'person' if people == 1 else 'people'}, one row each; bars show when their "
        f"media was connected, from {_clock(timeline.start, zone)} to "
        f"{_clock(timeline.end, zone, named=True)}. The shaded area is the "
        f"{timeline.window_label}, {_stretch(window_start, window_end, zone)}. "
        "The attendance table gives the same times."
    )
    return Chart(
        width=WIDTH,
        height=AXIS_HEIGHT + max(1, people) * ROW_HEIGHT + 6,
        plot_left=left,
        plot_right=right,
        band_x=x(window_start),
        band_width=round(x(window_end) - x(window_start), 1),
        rows=rows,
        ticks=[Tick(x(t), _clock(t, zone)) for t in ticks_between(timeline.start,
                                                                  timeline.end, zone)],
        title=f"Attendance timeline: {title}",
        desc=desc,
        legend=(
            f"Bars: when each person's media was connected. Shaded: the "
            f"{timeline.window_label}. Times in {timeline.zone}."
        ),
    )
