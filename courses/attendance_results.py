"""What attendance of a live session comes to: the interval math (pure), one person's
attendance and a session's roster as the pages and the credit rules read them, and the roster's
CSV rows. ``courses.attendance`` computes them from the media connections."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from courses.live_window import LiveWindow
from courses.models import Activity, ActivityBreak, AttendanceAdjustment, AttendanceSpan, User
from courses.wallclock import local_text
from courses.watching import Interval, merge, total, uncovered

Moment = tuple[datetime, datetime]


# -- interval math over moments (pure) -----------------------------------------------------
def subtract(intervals: Iterable[Interval], removed: Iterable[Interval]) -> list[Interval]:
    """The parts of ``intervals`` that ``removed`` does not cover, merged."""
    cut = merge(removed)
    return merge(gap for interval in merge(intervals) for gap in uncovered(interval, cut))


def attended_intervals(
    spans: Iterable[Interval],
    window: Interval,
    *,
    added: Iterable[Interval] = (),
    removed: Iterable[Interval] = (),
    breaks: Iterable[Interval] = (),
) -> list[Interval]:
    """What counts as attended: (spans + added) - removed, inside ``window``, less ``breaks``.

    Reversed intervals (end before start) cover nothing. The result is sorted and disjoint."""
    start, end = window
    inside = merge((max(start, s), min(end, e)) for s, e in merge([*spans, *added]))
    return subtract(inside, [*removed, *breaks])


def instructional_intervals(window: Interval, breaks: Iterable[Interval]) -> list[Interval]:
    """The live window less the breaks: the time credit is measured against."""
    return subtract([window], breaks)


def seconds_of(moment: datetime) -> float:
    return moment.timestamp()


def moment_of(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def interval_of(start: datetime, end: datetime) -> Interval:
    return (seconds_of(start), seconds_of(end))


# -- results ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class LearnerAttendance:
    """One person's attendance of one live session."""

    user: User
    spans: list[AttendanceSpan]
    adjustments: list[AttendanceAdjustment]
    intervals: list[Moment]
    """Attended, merged, clipped to the live window, breaks and removals taken out."""
    window_seconds: float
    """The length of the actual live window, breaks included."""
    session_seconds: float
    """The instructional time: the live window less its breaks. ``seconds`` never exceeds it."""
    live_window: LiveWindow
    is_faculty: bool = False

    @property
    def seconds(self) -> float:
        return round(sum((e - s).total_seconds() for s, e in self.intervals), 3)

    @property
    def minutes(self) -> float:
        return round(self.seconds / 60.0, 1)

    @property
    def percent(self) -> float:
        """Of the instructional time (breaks excluded)."""
        if self.session_seconds <= 0:
            return 0.0
        return round(min(100.0, 100.0 * self.seconds / self.session_seconds), 1)

    @property
    def first_joined(self) -> datetime | None:
        return min((s.joined_at for s in self.spans), default=None)

    @property
    def last_left(self) -> datetime | None:
        if not self.spans or any(s.left_at is None for s in self.spans):
            return None
        return max(s.left_at for s in self.spans if s.left_at is not None)


@dataclass(frozen=True)
class Roster:
    activity: Activity
    course_title: str
    live_window: LiveWindow
    breaks: list[ActivityBreak] = field(default_factory=list)
    entries: list[LearnerAttendance] = field(default_factory=list)
    actors: dict[int, str] = field(default_factory=dict)
    """Who made each adjustment: user id to name."""

    @property
    def window(self) -> Moment:
        """The actual live window used (see ``courses.live_window``)."""
        return (self.live_window.start, self.live_window.end)

    @property
    def session_seconds(self) -> float:
        """The live window less the breaks."""
        return total(
            instructional_intervals(
                interval_of(*self.window),
                (interval_of(b.starts_at, b.ends_at) for b in self.breaks),
            )
        )


def attendance_csv_rows(roster: Roster, zone: str | None) -> list[Mapping[str, str]]:
    """The roster as CSV rows: one per connection, with each person's totals repeated."""
    rows: list[Mapping[str, str]] = []
    for entry in roster.entries:
        base = {
            "name": entry.user.display_name,
            "email": entry.user.email,
            "role": "faculty" if entry.is_faculty else "learner",
            "minutes": f"{entry.minutes:.1f}",
            "percent": f"{entry.percent:.1f}",
        }
        spans: list[AttendanceSpan | None] = list(entry.spans) or [None]
        for span in spans:
            rows.append(
                {
                    **base,
                    "joined": local_text(span.joined_at, zone) if span else "",
                    "left": local_text(span.left_at, zone) if span and span.left_at else "",
                    "leave_reason": span.leave_reason if span else "",
                }
            )
    return rows
