"""The .ics files, parsed back with the icalendar library."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar

from courses.calendar_files import Method, Person, calendar_file
from courses.models import Meeting

STAMP = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
ORGANIZER = Person("fay@hospital.example.org", "Fay Faculty")
GUEST = Person("guest@partner.example.com", "Dr Guest, MD")


def meeting(**overrides: object) -> Meeting:
    values: dict[str, object] = {
        "id": 7,
        "uid": "0123abcd@rounds.meetings",
        "organizer_id": 1,
        "title": "Operations huddle; rooms, staffing",
        "agenda": "Staffing\nRooms",
        "timezone": "America/New_York",
        "starts_at": datetime(2026, 12, 7, 14, 0, tzinfo=UTC),
        "ends_at": datetime(2026, 12, 7, 15, 0, tzinfo=UTC),
        "created_at": STAMP,
        "updated_at": STAMP,
    }
    values.update(overrides)
    return Meeting(**values)  # type: ignore[arg-type]


def event_of(data: bytes) -> tuple[Any, Any]:
    """The calendar and its one VEVENT (as Any: icalendar types each property as a union)."""
    cal: Any = Calendar.from_ical(data)
    events = [c for c in cal.walk("VEVENT")]
    assert len(events) == 1
    return cal, events[0]


def test_an_invitation_carries_the_meeting_in_its_own_zone() -> None:
    data = calendar_file(meeting(), ORGANIZER, [GUEST], Method.REQUEST, STAMP)
    cal, event = event_of(data)
    assert str(cal["METHOD"]) == "REQUEST"
    assert str(cal["VERSION"]) == "2.0"
    assert str(event["UID"]) == "0123abcd@rounds.meetings"
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert start == datetime(2026, 12, 7, 9, 0, tzinfo=ZoneInfo("America/New_York"))
    assert end == datetime(2026, 12, 7, 10, 0, tzinfo=ZoneInfo("America/New_York"))
    assert event["DTSTART"].params["TZID"] == "America/New_York"
    zones = [str(z["TZID"]) for z in cal.walk("VTIMEZONE")]
    assert zones == ["America/New_York"]
    assert str(event["SUMMARY"]) == "Operations huddle; rooms, staffing"
    assert str(event["DESCRIPTION"]) == "Staffing\nRooms"
    assert int(event["SEQUENCE"]) == 0
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event.decoded("DTSTAMP") == STAMP
    assert "RRULE" not in event
    assert str(event["ORGANIZER"]) == "mailto:fay@hospital.example.org"
    assert str(event["ORGANIZER"].params["CN"]) == "Fay Faculty"
    attendee = event["ATTENDEE"]
    assert str(attendee) == "mailto:guest@partner.example.com"
    assert str(attendee.params["CN"]) == "Dr Guest, MD"
    assert attendee.params["PARTSTAT"] == "NEEDS-ACTION"


def test_the_uid_is_stable_and_the_sequence_follows_the_meeting() -> None:
    first = event_of(calendar_file(meeting(), ORGANIZER, [GUEST], Method.REQUEST, STAMP))[1]
    edited = meeting(title="Renamed", sequence=3)
    second = event_of(calendar_file(edited, ORGANIZER, [GUEST], Method.REQUEST, STAMP))[1]
    assert str(first["UID"]) == str(second["UID"])
    assert int(second["SEQUENCE"]) == 3
    assert str(second["SUMMARY"]) == "Renamed"


def test_weekly_by_count_and_monthly_until_become_rrules() -> None:
    weekly = event_of(
        calendar_file(
            meeting(recurrence="weekly", recurrence_count=10), ORGANIZER, [], Method.REQUEST, STAMP
        )
    )[1]
    assert weekly["RRULE"]["FREQ"] == ["WEEKLY"]
    assert weekly["RRULE"]["COUNT"] == [10]
    monthly = event_of(
        calendar_file(
            meeting(recurrence="monthly", recurrence_until=date(2027, 6, 7)),
            ORGANIZER,
            [],
            Method.REQUEST,
            STAMP,
        )
    )[1]
    assert monthly["RRULE"]["FREQ"] == ["MONTHLY"]
    # the end of 7 June in New York (EDT), in UTC as RFC 5545 requires with a TZID
    assert monthly["RRULE"]["UNTIL"] == [datetime(2027, 6, 8, 3, 59, 59, tzinfo=UTC)]
    assert "COUNT" not in monthly["RRULE"]


def test_a_cancellation_is_method_cancel_with_status_cancelled() -> None:
    cancelled = meeting(sequence=2, cancelled_at=STAMP)
    cal, event = event_of(calendar_file(cancelled, ORGANIZER, [GUEST], Method.CANCEL, STAMP))
    assert str(cal["METHOD"]) == "CANCEL"
    assert str(event["STATUS"]) == "CANCELLED"
    assert int(event["SEQUENCE"]) == 2
    assert str(event["UID"]) == "0123abcd@rounds.meetings"
    assert str(event["ATTENDEE"]) == "mailto:guest@partner.example.com"


def test_the_downloadable_file_is_published_without_attendees() -> None:
    cal, event = event_of(calendar_file(meeting(), ORGANIZER, [GUEST], Method.PUBLISH, STAMP))
    assert str(cal["METHOD"]) == "PUBLISH"
    assert "ATTENDEE" not in event
    assert str(event["ORGANIZER"]) == "mailto:fay@hospital.example.org"


def test_a_utc_meeting_needs_no_timezone_definition_beyond_utc() -> None:
    data = calendar_file(meeting(timezone="UTC"), ORGANIZER, [], Method.REQUEST, STAMP)
    _, event = event_of(data)
    assert event.decoded("DTSTART") == datetime(2026, 12, 7, 14, 0, tzinfo=UTC)
