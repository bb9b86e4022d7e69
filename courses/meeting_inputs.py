"""What an organizer may submit for a meeting, checked field by field.

Start and end are wall-clock times in the meeting's IANA time zone ("2026-12-07T09:00" in
America/New_York). Guests are typed one per line as ``name@example.org`` or
``Dr Name <name@example.org>``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, available_timezones

from email_validator import EmailNotValidError, validate_email

from courses._fields import text_of
from courses.errors import InvalidInput
from courses.recurrence import MAX_COUNT, MAX_SPAN, Frequency, Rule

MAX_TITLE = 200
MAX_AGENDA = 10_000
MAX_NAME = 120
MAX_LENGTH = timedelta(hours=12)
MAX_GUESTS = 100
MAX_INVITEES = 300
_NAMED = re.compile(r"^(?P<name>.*?)\s*<(?P<email>[^<>]*)>$")


@dataclass(frozen=True)
class Guest:
    email: str
    """Normalised, lower case."""
    name: str = ""


@dataclass(frozen=True)
class MeetingInput:
    title: str
    agenda: str
    timezone: str
    starts_at: datetime
    ends_at: datetime
    rule: Rule
    user_ids: tuple[int, ...]
    guests: tuple[Guest, ...]


def _zone(text: str, errors: dict[str, str]) -> str | None:
    if not text:
        errors["timezone"] = "Choose the meeting's time zone, like America/New_York."
        return None
    if text != "UTC" and text not in available_timezones():
        errors["timezone"] = (
            f"“{text[:64]}” is not a time zone name; use one like America/New_York or "
            "Europe/London."
        )
        return None
    return text


def _when(
    text: str, zone: str | None, name: str, label: str, errors: dict[str, str]
) -> datetime | None:
    if not text:
        errors[name] = f"Give the {label} date and time, like 2026-12-07T09:00."
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        errors[name] = f"“{text[:40]}” is not a date and time; use the form 2026-12-07T09:00."
        return None
    if parsed.tzinfo is not None:
        errors[name] = "Give the wall-clock time in the meeting's time zone, without an offset."
        return None
    if zone is None:
        return None  # the zone's own message says what to fix
    try:
        return parsed.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
    except OverflowError:
        errors[name] = "Enter a date between the years 2 and 9998."
        return None


def _rule(
    data: Mapping[str, object], first: datetime | None, zone: str | None, errors: dict[str, str]
) -> Rule:
    raw = text_of(data, "recurrence") or Frequency.NONE.value
    try:
        frequency = Frequency(raw)
    except ValueError:
        errors["recurrence"] = "Choose whether it repeats: not at all, weekly or monthly."
        return Rule()
    if frequency is Frequency.NONE:
        return Rule()
    count_text, until_text = text_of(data, "count"), text_of(data, "until")
    if count_text and until_text:
        errors["until"] = "Give either the number of times or an until date, not both."
        return Rule()
    if not count_text and not until_text:
        errors["count"] = "Say how many times it happens (1 to 52) or give an until date."
        return Rule()
    if count_text:
        if not (count_text.isascii() and count_text.isdigit()) or not (
            1 <= int(count_text[:3]) <= MAX_COUNT and len(count_text) <= 3
        ):
            errors["count"] = f"Enter a whole number of times from 1 to {MAX_COUNT}."
            return Rule()
        return Rule(frequency, count=int(count_text))
    try:
        until = date.fromisoformat(until_text)
    except ValueError:
        errors["until"] = f"“{until_text[:40]}” is not a date; use the form 2027-06-30."
        return Rule()
    if first is not None and zone is not None:
        first_day = first.astimezone(ZoneInfo(zone)).date()
        if until < first_day:
            errors["until"] = "The until date must be on or after the first meeting's date."
            return Rule()
        if until > first_day + MAX_SPAN:
            errors["until"] = "Repeat for at most two years; schedule a new series after that."
            return Rule()
    return Rule(frequency, until=until)


def _user_ids(data: Mapping[str, object], errors: dict[str, str]) -> tuple[int, ...]:
    raw = data.get("invitee_ids", [])
    values = [raw] if isinstance(raw, str) else raw if isinstance(raw, list) else []
    ids: list[int] = []
    for value in values:
        text = str(value).strip()
        if not text:
            continue
        if not (text.isascii() and text.isdigit() and len(text) <= 9):
            errors["invitee_ids"] = "Choose the people to invite from the list."
            return ()
        if int(text) not in ids:
            ids.append(int(text))
    return tuple(ids)


def _guests(text: str, errors: dict[str, str]) -> tuple[Guest, ...]:
    guests: list[Guest] = []
    problems: list[str] = []
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) > MAX_GUESTS:
        errors["guests"] = f"Invite at most {MAX_GUESTS} guests by email at once."
        return ()
    for number, line in enumerate(lines, start=1):
        named = _NAMED.match(line)
        name, address = (named["name"].strip(" \"'"), named["email"]) if named else ("", line)
        try:
            email = validate_email(address.strip(), check_deliverability=False)
        except EmailNotValidError as exc:
            problems.append(f"line {number}, “{line[:80]}”: {exc}")
            continue
        if len(name) > MAX_NAME:
            problems.append(f"line {number}: use at most {MAX_NAME} characters for the name")
            continue
        normalized = email.normalized.lower()
        if all(g.email != normalized for g in guests):
            guests.append(Guest(normalized, name))
    if problems:
        errors["guests"] = (
            "Give one email address a line, optionally with a name as Dr Name <name@example.org>; "
            + "; ".join(problems[:5])
            + ("." if len(problems) <= 5 else f"; and {len(problems) - 5} more.")
        )
    return tuple(guests)


def parse_meeting(data: Mapping[str, object]) -> MeetingInput:
    """The submitted form as a ``MeetingInput``, or InvalidInput naming each bad field."""
    errors: dict[str, str] = {}
    title = text_of(data, "title")
    if not title:
        errors["title"] = "Give the meeting a title."
    elif len(title) > MAX_TITLE:
        errors["title"] = f"Use at most {MAX_TITLE} characters."
    agenda = data.get("agenda", "")
    agenda = agenda.strip() if isinstance(agenda, str) else ""
    if len(agenda) > MAX_AGENDA:
        errors["agenda"] = f"Use at most {MAX_AGENDA} characters."
    zone = _zone(text_of(data, "timezone"), errors)
    starts_at = _when(text_of(data, "starts_at"), zone, "starts_at", "start", errors)
    ends_at = _when(text_of(data, "ends_at"), zone, "ends_at", "end", errors)
    if starts_at is not None and ends_at is not None:
        if ends_at <= starts_at:
            errors["ends_at"] = "The meeting must end after it starts."
        elif ends_at - starts_at > MAX_LENGTH:
            errors["ends_at"] = "A meeting lasts at most 12 hours."
    rule = _rule(data, starts_at, zone, errors)
    user_ids = _user_ids(data, errors)
    guests = _guests(str(data.get("guests", "") or ""), errors)
    if len(user_ids) + len(guests) > MAX_INVITEES:
        errors.setdefault("invitee_ids", f"Invite at most {MAX_INVITEES} people to one meeting.")
    if errors:
        raise InvalidInput(errors)
    assert zone is not None and starts_at is not None and ends_at is not None
    return MeetingInput(title, agenda, zone, starts_at, ends_at, rule, user_ids, guests)
