"""When a live session really ran: the window attendance is clipped to and credit measured in.

Each side of the window is decided on its own, first match wins:

1. an administrator's correction (``Activity.live_started_at`` / ``live_ended_at``), for when
   the media could not know (the faculty presented from a phone, the room was opened late);
2. the faculty's media connections: from the first host connection that came up to the last
   one that went away, never outside the scheduled hours (a host testing the room 15 minutes
   early does not make the session longer);
3. the scheduled ``[starts_at, ends_at]``, when no host connection overlaps it.

Pure: the caller hands in the host connections, with any still open already closed at "now".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

Moment = tuple[datetime, datetime]


class WindowSource(StrEnum):
    ADMIN = "admin"
    HOSTS = "hosts"
    SCHEDULED = "scheduled"

    @property
    def label(self) -> str:
        return {
            WindowSource.ADMIN: "set by an administrator",
            WindowSource.HOSTS: "from the faculty's connections",
            WindowSource.SCHEDULED: "as scheduled",
        }[self]


@dataclass(frozen=True)
class LiveWindow:
    start: datetime
    end: datetime
    start_source: WindowSource
    end_source: WindowSource

    @property
    def seconds(self) -> float:
        return max(0.0, (self.end - self.start).total_seconds())

    @property
    def description(self) -> str:
        """How the window was decided, for the attendance page ("as scheduled")."""
        if self.start_source is self.end_source:
            return self.start_source.label
        return f"start {self.start_source.label}, end {self.end_source.label}"


def live_window(
    scheduled: Moment,
    hosts: Iterable[Moment],
    *,
    started_at: datetime | None = None,
    ended_at: datetime | None = None,
) -> LiveWindow:
    """The session's actual window (see the module docstring); never reversed.

    ``hosts`` are the faculty's connections as (joined, left); empty ones are ignored."""
    opens, closes = scheduled
    start, end = opens, closes
    start_source = end_source = WindowSource.SCHEDULED
    connected = [(s, e) for s, e in hosts if e > s]
    if connected:
        first = max(opens, min(s for s, _ in connected))
        last = min(closes, max(e for _, e in connected))
        if first < last:
            start, end = first, last
            start_source = end_source = WindowSource.HOSTS
    if started_at is not None:
        start, start_source = started_at, WindowSource.ADMIN
    if ended_at is not None:
        end, end_source = ended_at, WindowSource.ADMIN
    return LiveWindow(start, max(start, end), start_source, end_source)
