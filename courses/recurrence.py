"""When a recurring meeting happens: weekly or monthly, a number of times or until a date.

Occurrences are counted in the meeting's own time zone, as wall-clock times: a meeting at
09:00 America/New_York stays at 09:00 there when daylight saving time begins or ends, so its
UTC time moves by an hour. Monthly meetings happen on the first occurrence's day of the month;
a month without that day (the 31st in April, the 30th in February) is skipped and not counted,
which is what RFC 5545 says of ``FREQ=MONTHLY`` with such a ``DTSTART``, so calendar programs
reading the invitation agree with Rounds. A wall-clock time that does not exist on a given day
(02:30 when the clocks go forward) is read with the offset before the change, as ``zoneinfo``
does, which puts it at 03:30.

The until date is a date in the meeting's zone and is inclusive.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

MAX_COUNT = 52
MAX_SPAN = timedelta(days=731)
"""An until date lies at most about two years after the first occurrence."""


class Frequency(StrEnum):
    NONE = "none"
    WEEKLY = "weekly"
    MONTHLY = "monthly"


@dataclass(frozen=True)
class Rule:
    """How a meeting repeats: ``count`` occurrences in all, or every one up to ``until``."""

    frequency: Frequency = Frequency.NONE
    count: int | None = None
    until: date | None = None

    def __post_init__(self) -> None:
        if self.frequency is Frequency.NONE:
            if self.count is not None or self.until is not None:
                raise ValueError("a meeting that does not repeat has no count or until date")
            return
        if (self.count is None) == (self.until is None):
            raise ValueError("a repeating meeting needs exactly one of count and until")
        if self.count is not None and not 1 <= self.count <= MAX_COUNT:
            raise ValueError(f"count must be from 1 to {MAX_COUNT}")


@dataclass(frozen=True)
class Occurrence:
    """One time the meeting happens, in UTC."""

    starts_at: datetime
    ends_at: datetime


def _add_months(day: date, months: int, day_of_month: int) -> date | None:
    """``day_of_month`` in the month ``months`` after ``day``'s; None when it has no such day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    if day_of_month > calendar.monthrange(year, month)[1]:
        return None
    return date(year, month, day_of_month)


def local_starts(first: datetime, rule: Rule) -> Iterator[datetime]:
    """The wall-clock (naive) start of each occurrence, the first one included.

    ``first`` is naive, in the meeting's zone. The sequence is finite: at most ``MAX_COUNT``
    occurrences, or those on or before ``until``."""
    if first.tzinfo is not None:
        raise ValueError("local_starts takes a naive wall-clock time")
    if rule.frequency is Frequency.NONE:
        yield first
        return
    emitted = 0
    step = 0
    last_day = min(rule.until, first.date() + MAX_SPAN) if rule.until else None
    while True:
        if rule.frequency is Frequency.WEEKLY:
            day: date | None = first.date() + timedelta(weeks=step)
        else:
            day = _add_months(first.date(), step, first.day)
        step += 1
        if day is None:
            continue  # a month without this day: skipped, not counted
        if last_day is not None and day > last_day:
            return
        yield datetime.combine(day, first.time())
        emitted += 1
        if rule.count is not None and emitted >= rule.count:
            return


def to_utc(local: datetime, zone: str) -> datetime:
    """A naive wall-clock time in ``zone`` as an aware UTC datetime."""
    return local.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


def occurrences(starts_at: datetime, ends_at: datetime, zone: str, rule: Rule) -> list[Occurrence]:
    """Every occurrence of a meeting whose first one runs from ``starts_at`` to ``ends_at``
    (aware datetimes), repeating by ``rule`` in ``zone``. Each lasts as long as the first."""
    duration = ends_at - starts_at
    first = starts_at.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    found: list[Occurrence] = []
    for local in local_starts(first, rule):
        start = to_utc(local, zone)
        found.append(Occurrence(start, start + duration))
    return found


def upcoming(
    starts_at: datetime, ends_at: datetime, zone: str, rule: Rule, now: datetime, limit: int
) -> list[Occurrence]:
    """The next ``limit`` occurrences not yet over at ``now`` (one in progress included)."""
    return [o for o in occurrences(starts_at, ends_at, zone, rule) if o.ends_at > now][:limit]


def until_instant(until: date, zone: str) -> datetime:
    """The last moment of the until date in ``zone``, in UTC (RFC 5545 wants UNTIL in UTC
    when DTSTART has a time zone)."""
    return to_utc(datetime.combine(until, time(23, 59, 59)), zone)
