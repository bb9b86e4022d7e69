"""iCalendar (RFC 5545) files for meetings, and the iTIP methods (RFC 5546) that carry them.

An invitation is ``METHOD:REQUEST`` with one VEVENT whose UID stays the same for the life of
the meeting and whose SEQUENCE goes up with every change, so calendar programs replace the
event they already hold. A cancellation is ``METHOD:CANCEL`` with ``STATUS:CANCELLED``. Each
invitee's file names only the organizer and that invitee: who else is invited stays with the
organizer, as on the meeting's page. The file anyone may download from the meeting's page is
``METHOD:PUBLISH`` and names no attendees.

Times are written with the meeting's TZID and the matching VTIMEZONE, so a weekly 09:00
America/New_York meeting stays at 09:00 there across daylight saving time in every client.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vCalAddress, vText

from courses.models import Meeting
from courses.recurrence import Frequency, until_instant

PRODID = "-//Rounds//Meetings//EN"


class Method(StrEnum):
    REQUEST = "REQUEST"
    CANCEL = "CANCEL"
    PUBLISH = "PUBLISH"


@dataclass(frozen=True)
class Person:
    """An organizer or attendee as a calendar names them."""

    email: str
    name: str = ""


def _address(person: Person, **params: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{person.email}")
    if person.name:
        address.params["CN"] = vText(person.name)
    for key, value in params.items():
        address.params[key] = vText(value)
    return address


def _rrule(meeting: Meeting) -> dict[str, object] | None:
    frequency = Frequency(meeting.recurrence)
    if frequency is Frequency.NONE:
        return None
    rule: dict[str, object] = {"FREQ": frequency.value.upper()}
    if meeting.recurrence_count is not None:
        rule["COUNT"] = meeting.recurrence_count
    elif meeting.recurrence_until is not None:
        rule["UNTIL"] = until_instant(meeting.recurrence_until, meeting.timezone)
    return rule


def calendar_file(
    meeting: Meeting,
    organizer: Person,
    attendees: Sequence[Person],
    method: Method,
    stamp: datetime,
) -> bytes:
    """The .ics bytes for ``meeting``; ``stamp`` (aware) is DTSTAMP, when the file was made."""
    zone = ZoneInfo(meeting.timezone)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method.value)

    event = Event()
    event.add("uid", meeting.uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", meeting.starts_at.astimezone(zone))
    event.add("dtend", meeting.ends_at.astimezone(zone))
    event.add("summary", meeting.title)
    if meeting.agenda.strip():
        event.add("description", meeting.agenda)
    event.add("sequence", meeting.sequence)
    cancelled = method is Method.CANCEL or meeting.cancelled
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    rule = _rrule(meeting)
    if rule is not None:
        event.add("rrule", rule)
    event.add("organizer", _address(organizer))
    if method is not Method.PUBLISH:
        for person in attendees:
            event.add(
                "attendee",
                _address(
                    person,
                    CUTYPE="INDIVIDUAL",
                    ROLE="REQ-PARTICIPANT",
                    PARTSTAT="NEEDS-ACTION",
                    RSVP="FALSE",
                ),
            )
    cal.add_component(event)
    # The VTIMEZONE covers a year before the first occurrence to past the last one (at most
    # 52 monthly ones, or two years), not the library's default 1970 to 2038.
    first = meeting.starts_at.astimezone(zone).date()
    cal.add_missing_timezones(
        first_date=first - timedelta(days=366), last_date=first + timedelta(days=366 * 6)
    )
    data: bytes = cal.to_ical()
    return data
