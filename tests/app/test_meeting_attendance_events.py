"""A meeting's room from the media server's own events: users' and guests' connections become
meeting attendance, and the participant webhooks say which meeting (and which guest)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import col, select

from app.attendance_events import AttendanceRecorder, account_id_of, guest_id_of
from app.webhooks.events import PARTICIPANT_JOINED, PARTICIPANT_LEFT
from app.webhooks.store import WebhookStore
from app.wiring import Services
from courses.models import AttendanceSpan, MeetingAttendance, Role
from media import events
from tests.app.test_webhook_events import sent, subscribe
from tests.factories.meetings import make_meeting
from tests.factories.people import make_user
from tests.factories.session_records import guest_id


async def _rows(services: Services) -> list[MeetingAttendance]:
    async with services.unit() as unit:
        stmt = select(MeetingAttendance).order_by(col(MeetingAttendance.id))
        return list((await unit.session.exec(stmt)).all())


async def _meeting(services: Services) -> tuple[int, int, int]:
    """A meeting with a guest: (meeting id, organizer id, guest invitation id)."""
    organizer = await make_user(services, Role.FACULTY, name="Olga Organizer")
    change = await make_meeting(services, organizer, guests="Gus <gus@partner.example.com>")
    meeting_id = change.meeting.id or 0
    guest = await guest_id(services, meeting_id, "gus@partner.example.com")
    return meeting_id, organizer.id or 0, guest


def test_who_an_event_is_about() -> None:
    assert guest_id_of("guest:7") == 7 and account_id_of("guest:7") is None
    assert account_id_of(12) == 12 and guest_id_of(12) is None
    for odd in ("guest:", "guest:0", "guest:x", "guest:7 ", "7", True):
        assert guest_id_of(odd) is None
    assert account_id_of(True) is None and account_id_of("12") is None


async def test_users_and_guests_connections_are_kept_and_published_with_the_meeting(
    services: Services,
) -> None:
    endpoint_id = await subscribe(services, PARTICIPANT_JOINED, PARTICIPANT_LEFT)
    meeting_id, organizer_id, guest_id = await _meeting(services)
    room = f"meeting-{meeting_id}"
    recorder = AttendanceRecorder(services)
    start = services.clock.now() + timedelta(days=6, hours=2)  # the meeting: 7 Dec 14:00 UTC
    feed = [
        events.ParticipantJoined(room, "p-host", organizer_id, "host", start),
        events.ParticipantJoined(room, "p-gus", f"guest:{guest_id}", "guest",
                                 start + timedelta(minutes=5)),
        events.ParticipantLeft(room, "p-gus", f"guest:{guest_id}", "guest", "kicked",
                               start + timedelta(minutes=25)),
        events.ParticipantLeft(room, "p-host", organizer_id, "host", "left",
                               start + timedelta(minutes=60)),
    ]
    for event in feed:
        await recorder.on_event(event)

    host, gus = await _rows(services)
    assert (host.user_id, host.guest_id, host.display_name, host.role) == (
        organizer_id, None, "Olga Organizer", "host"
    )
    assert (host.joined_at, host.left_at, host.occurrence_at) == (
        start, start + timedelta(minutes=60), start
    )
    assert (gus.user_id, gus.guest_id, gus.display_name, gus.leave_reason) == (
        None, guest_id, "Gus", "kicked"
    )
    async with services.unit() as unit:  # nothing kept as a course session's attendance
        assert (await unit.session.exec(select(AttendanceSpan))).all() == []

    published = await sent(services, endpoint_id)
    assert [p["type"] for p in published] == [
        PARTICIPANT_JOINED, PARTICIPANT_JOINED, PARTICIPANT_LEFT, PARTICIPANT_LEFT
    ]
    assert published[1]["data"] == {
        "room_id": room,
        "meeting_id": meeting_id,
        "participant_id": "p-gus",
        "user_id": None,
        "guest_id": guest_id,
        "role": "guest",
        "at": "2026-12-07T14:05:00Z",
    }
    assert published[3]["data"] == {
        "room_id": room,
        "meeting_id": meeting_id,
        "participant_id": "p-host",
        "user_id": organizer_id,
        "guest_id": None,
        "role": "host",
        "at": "2026-12-07T15:00:00Z",
        "reason": "left",
    }


async def test_people_it_cannot_tell_and_other_rooms_keep_nothing(services: Services) -> None:
    endpoint_id = await subscribe(services, PARTICIPANT_JOINED)
    meeting_id, organizer_id, _ = await _meeting(services)
    _, _, other_guest = await _meeting(services)
    recorder = AttendanceRecorder(services)
    now = services.clock.now()
    room = f"meeting-{meeting_id}"
    for user_id in ("guest:abc", "someone", True):
        await recorder.on_event(events.ParticipantJoined(room, f"p-{user_id}", user_id, "guest",
                                                         now))
    # a guest of another meeting, a meeting that does not exist, a room that is no meeting's
    await recorder.on_event(events.ParticipantJoined(room, "p-other", f"guest:{other_guest}",
                                                     "guest", now))
    await recorder.on_event(events.ParticipantJoined("meeting-999999", "p-gone", organizer_id,
                                                     "host", now))
    await recorder.on_event(events.ParticipantJoined("meetings-1", "p-adhoc", organizer_id,
                                                     "host", now))
    await recorder.on_event(events.ParticipantLeft(room, "p-never", organizer_id, "host",
                                                   "left", now))
    assert await _rows(services) == []
    # the three whose identity is unreadable and the ad hoc room publish nothing
    published = await sent(services, endpoint_id)
    data = [p["data"] for p in published]
    assert [d["participant_id"] for d in data if isinstance(d, dict)] == ["p-other", "p-gone"]


async def test_a_failing_publish_never_breaks_meeting_attendance(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    await subscribe(services, PARTICIPANT_JOINED)
    meeting_id, organizer_id, _ = await _meeting(services)

    async def broken(*args: object, **kwargs: object) -> None:
        raise ConnectionError("database went away")

    monkeypatch.setattr(WebhookStore, "add_deliveries", broken)
    await AttendanceRecorder(services).on_event(events.ParticipantJoined(
        f"meeting-{meeting_id}", "p1", organizer_id, "host", services.clock.now()))
    assert [r.participant_id for r in await _rows(services)] == ["p1"]
