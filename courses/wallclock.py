"""Times people type as wall-clock times in an activity's own zone, and times shown that way.

Forms send ``datetime-local`` values ("2026-12-01T09:30") with no zone: they are read in the
session's time zone, like the schedule itself."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo


def local_text(moment: datetime, zone: str | None) -> str:
    """``moment`` as wall-clock text in ``zone``: "2026-12-01 07:00 EST"."""
    return moment.astimezone(ZoneInfo(zone or "UTC")).strftime("%Y-%m-%d %H:%M %Z")


def local_seconds_text(moment: datetime, zone: str | None) -> str:
    """``local_text`` to the second, for what happened in a room: "2026-12-01 07:00:05 EST"."""
    return moment.astimezone(ZoneInfo(zone or "UTC")).strftime("%Y-%m-%d %H:%M:%S %Z")


def parse_when(
    value: object, zone: str | None, name: str, errors: dict[str, str]
) -> datetime | None:
    """An aware datetime, or wall-clock text in the session's zone; None (and an error)."""
    if isinstance(value, datetime):
        try:
            if value.tzinfo is None:
                return value.replace(tzinfo=ZoneInfo(zone or "UTC")).astimezone(UTC)
            return value.astimezone(UTC)
        except OverflowError:  # year 1 or 9999 in a zone away from UTC
            errors[name] = f"“{value.isoformat()[:16]}” is out of range; give a real date."
            return None
    text = str(value or "").strip()
    if not text:
        errors[name] = f"Give the {name} time, like 2026-12-01T09:30 (the session's time zone)."
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        errors[name] = f"“{text[:40]}” is not a time; use the form 2026-12-01T09:30."
        return None
    return parse_when(parsed, zone, name, errors)
