"""Date ranges people type into report and transcript forms, checked into ``DateRange``.

Dates are calendar days (a claim's completion date, a session's local date), both ends
inclusive. The forms send ISO dates (``2026-12-01``, what ``<input type=date>`` sends); the
US form ``12/01/2026`` is accepted too, since that is how the CME office writes dates."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from courses.errors import InvalidInput

EARLIEST_YEAR = 2000
"""No credit record in Rounds predates this; an earlier year is a typing slip."""
MAX_TEXT = 40
_US = re.compile(r"^([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})$")


@dataclass(frozen=True)
class DateRange:
    """From ``since`` to ``until``, both inclusive; None leaves that end open."""

    since: date | None = None
    until: date | None = None

    def contains(self, day: date) -> bool:
        return (self.since is None or day >= self.since) and (
            self.until is None or day <= self.until
        )

    @property
    def is_open(self) -> bool:
        return self.since is None and self.until is None

    @property
    def label(self) -> str:
        """How the range reads on a page or a PDF: "1 Jan 2026 to 31 Dec 2026"."""
        if self.since and self.until:
            return f"{long_date(self.since)} to {long_date(self.until)}"
        if self.since:
            return f"From {long_date(self.since)}"
        if self.until:
            return f"Until {long_date(self.until)}"
        return "All dates"

    def query(self) -> str:
        """The range as query parameters for a download link ("from=...&to=...")."""
        parts = []
        if self.since:
            parts.append(f"from={self.since.isoformat()}")
        if self.until:
            parts.append(f"to={self.until.isoformat()}")
        return "&".join(parts)


def long_date(day: date) -> str:
    return f"{day.day} {day.strftime('%b %Y')}"


def parse_day(value: object, name: str, label: str, errors: dict[str, str]) -> date | None:
    """A date from form text; None when blank, or (with an error under ``name``) when wrong."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    if not text:
        return None
    if len(text) > MAX_TEXT:
        errors[name] = f"The {label} is too long to be a date; use the form 2026-01-31."
        return None
    try:
        us = _US.fullmatch(text)
        day = (
            date(int(us.group(3)), int(us.group(1)), int(us.group(2)))
            if us
            else date.fromisoformat(text)
        )
    except ValueError:
        errors[name] = f"“{text}” is not a date; give the {label} like 2026-01-31."
        return None
    if day.year < EARLIEST_YEAR:
        errors[name] = f"The {label} {day.isoformat()} is before {EARLIEST_YEAR}; check the year."
        return None
    return day


def _reversed(since: date, until: date) -> str:
    return (
        f"The end date ({until.isoformat()}) is before the start date ({since.isoformat()}); "
        "swap them, or choose a later end date."
    )


def parse_range(since: object, until: object) -> DateRange:
    """The ``from`` and ``to`` fields (either may be blank); InvalidInput names what is wrong,
    including a reversed range."""
    errors: dict[str, str] = {}
    start = parse_day(since, "from", "start date", errors)
    end = parse_day(until, "to", "end date", errors)
    if start and end and end < start:
        errors["to"] = _reversed(start, end)
    if errors:
        raise InvalidInput(errors, " ".join(errors.values()))
    return DateRange(start, end)


def parse_period(year: object, since: object, until: object, today: date) -> DateRange:
    """A reporting period: a calendar ``year``, or ``from`` and ``to`` dates; the current year
    when nothing is given. Both ends are always set."""
    year_text = str(year or "").strip()
    if year_text:
        if str(since or "").strip() or str(until or "").strip():
            message = "Give a year or a date range, not both."
            raise InvalidInput({"year": message}, message)
        last = today.year + 1
        if not (
            year_text.isascii()
            and year_text.isdigit()
            and len(year_text) == 4
            and EARLIEST_YEAR <= int(year_text) <= last
        ):
            message = f"The year is a 4-digit year from {EARLIEST_YEAR} to {last}."
            raise InvalidInput({"year": message}, message)
        return DateRange(date(int(year_text), 1, 1), date(int(year_text), 12, 31))
    if not str(since or "").strip() and not str(until or "").strip():
        return DateRange(date(today.year, 1, 1), date(today.year, 12, 31))
    period = parse_range(since, until)
    errors: dict[str, str] = {}
    if period.since is None:
        errors["from"] = "Give the first day of the period too, or choose a year."
    if period.until is None:
        errors["to"] = "Give the last day of the period too, or choose a year."
    if errors:
        raise InvalidInput(errors, " ".join(errors.values()))
    return period
