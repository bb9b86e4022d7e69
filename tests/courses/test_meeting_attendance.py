"""Meeting attendance on SQLite and PostgreSQL: which occurrence a connection belongs to, the
joins and leaves of users and guests (and the events it ignores), each person's merged time,
choosing the occurrence a report is about, and who may read it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from app.wiring import Services
from courses.errors import InvalidInput, PermissionDenied
from courses.meeting_attendance import (
    MeetingAttendanceService,
    occurrence_for,
    reportable_meeting,
    with_attended,
)
from courses.meetings import MeetingNotFound
from courses.models import Meeting, MeetingAttendance, Role, User
from courses.recurrence import Occurrence
from tests.conftest import MovableClock
from tests.factories import session_records as records
from tests.factories.meetings import make_meeting
from tests.factories.people import make_user

# The factory's meeting: Monday 7 Dec 2026, 09:00-10:00 in New York (14:00-15:00 UTC).
FIRST = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)
WEEK = timedelta(weeks=1)


def at(minutes: float, week: int = 0) -> datetime:
    """Minutes after the start of the ``week``-th occurrence."""
    return FIRST + week * WEEK + timedelta(minutes=minutes)


def weekly(n: int = 3) -> list[Occurrence]:
    return [Occurrence(at(0, w), at(60, w)) for w in range(n)]


# -- which occurrence (pure) -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (at(0), 0),  # the start
        (at(59.9), 0),  # still in progress
        (at(-55), 0),  # a host opening the room early
        (at(60 + 45), 0),  # a reconnect after an overrun
        (at(-59, week=1), 1),  # early for the next one, the last one a week gone
        (at(-7000, week=1), 0),  # off schedule, nearer the last one's end
        (at(-200, week=1), 1),  # off schedule, nearer the next one's start
        (at(60 * 24 * 30), 2),  # long after the series: its last occurrence
        (at(-60 * 24), 0),  # long before: its first
    ],
)
def test_a_moment_belongs_to_the_running_or_nearest_occurrence(
    moment: datetime, expected: int
) -> None:
    schedule = weekly()
    assert occurrence_for(schedule, moment) == schedule[expected]


def test_distance_is_to_the_start_of_one_to_come_and_the_end_of_one_gone_a_start_wins_a_tie(
) -> None:
    earlier = Occurrence(at(0), at(60))  # 09:00-10:00
    later = Occurrence(at(160), at(220))  # 11:40-12:40
    both = [earlier, later]
    assert occurrence_for(both, at(110)) == later  # 50 minutes from each
    assert occurrence_for(both, at(100)) == earlier
    assert occurrence_for(both, at(150)) == later
    assert occurrence_for(both, at(-500)) == earlier
    assert occurrence_for([], at(0)) is None


def test_attended_occurrences_no_longer_scheduled_are_kept_with_the_meetings_length() -> None:
    meeting = Meeting(uid="x", organizer_id=1, title="t", timezone="America/New_York",
                      starts_at=at(0, week=1), ends_at=at(45, week=1), created_at=at(0),
                      updated_at=at(0))
    found = with_attended(meeting, [at(0), at(0, week=1)])
    assert found == [Occurrence(at(0), at(45)), Occurrence(at(0, week=1), at(45, week=1))]


# -- the service ---------------------------------------------------------------------------------
async def _rows(services: Services) -> list[MeetingAttendance]:
    async with services.unit() as unit:
        stmt = select(MeetingAttendance).order_by(col(MeetingAttendance.id))
        return list((await unit.session.exec(stmt)).all())


async def _join(services: Services, meeting_id: int, participant: str, moment: datetime, *,
                user: User | None = None, guest_id: int | None = None,
                role: str = "learner") -> MeetingAttendance | None:
    async with services.unit() as unit:
        return await MeetingAttendanceService(unit.session, unit.clock).joined(
            meeting_id=meeting_id, participant_id=participant,
            user_id=user.id if user else None, guest_id=guest_id, role=role, at=moment,
        )


async def _leave(services: Services, participant: str, moment: datetime,
                 reason: str = "left") -> MeetingAttendance | None:
    async with services.unit() as unit:
        return await MeetingAttendanceService(unit.session, unit.clock).left(
            participant_id=participant, reason=reason, at=moment
        )


async def test_connections_are_filed_under_their_occurrence_and_bad_events_are_ignored(
    services: Services, admin: User
) -> None:
    organizer = await make_user(services, Role.FACULTY, name="Olga Organizer")
    learner = await make_user(services, Role.LEARNER, name="Lea Learner")
    change = await make_meeting(services, organizer, invitees=[learner],
                                guests="Gus Guest <gus@partner.example.com>",
                                recurrence="weekly", count="3")
    other = await make_meeting(services, organizer, guests="other@partner.example.com")
    meeting_id = change.meeting.id or 0
    gus = await records.guest_id(services, meeting_id, "gus@partner.example.com")
    stranger = await records.guest_id(services, other.meeting.id or 0, "other@partner.example.com")

    host = await _join(services, meeting_id, "p-host", at(-50), user=organizer, role="host")
    assert host is not None and host.occurrence_at == FIRST
    assert host.display_name == "Olga Organizer"
    guest = await _join(services, meeting_id, "p-gus", at(5, week=1), guest_id=gus, role="guest")
    assert guest is not None and guest.occurrence_at == at(0, week=1)
    assert guest.user_id is None and guest.guest_id == gus and guest.display_name == "Gus Guest"
    assert await _join(services, meeting_id, "p-lea", at(70), user=learner) is not None

    # ignored: the same connection again, no such meeting, a guest of another meeting,
    # an account that does not exist
    assert await _join(services, meeting_id, "p-lea", at(71), user=learner) is None
    assert await _join(services, 999999, "p-x", at(0), user=learner) is None
    assert await _join(services, meeting_id, "p-y", at(0), guest_id=stranger) is None
    ghost = User(id=999999, email="g@x.org", password_hash="", display_name="Ghost",
                 created_at=at(0))
    assert await _join(services, meeting_id, "p-z", at(0), user=ghost) is None

    left = await _leave(services, "p-lea", at(65), reason="dropped")  # stamped before its join
    assert left is not None and left.left_at == at(70) and left.leave_reason == "dropped"
    assert await _leave(services, "p-lea", at(80)) is None  # closed already
    assert await _leave(services, "p-nobody", at(80)) is None  # never joined
    rows = await _rows(services)
    assert [r.participant_id for r in rows] == ["p-host", "p-gus", "p-lea"]
    assert rows[2].left_at == at(70)


async def test_a_persons_time_counts_overlapping_connections_once(
    services: Services, admin: User, clock: MovableClock
) -> None:
    organizer = await make_user(services, Role.FACULTY, name="Olga Organizer")
    learner = await make_user(services, Role.LEARNER, name="Abe Learner")
    change = await make_meeting(services, organizer, invitees=[learner],
                                guests="zed@partner.example.com")
    meeting = change.meeting
    meeting_id = meeting.id or 0
    zed = await records.guest_id(services, meeting_id, "zed@partner.example.com")
    # the learner on a laptop 0-30 and a phone 20-40, then back 50-55: 45 minutes
    for participant, start, end in [("l1", 0, 30), ("l2", 20, 40), ("l3", 50, 55)]:
        await _join(services, meeting_id, participant, at(start), user=learner)
        await _leave(services, participant, at(end))
    await _join(services, meeting_id, "o1", at(-10), user=organizer, role="host")
    await _join(services, meeting_id, "z1", at(10), guest_id=zed, role="guest")
    await _leave(services, "z1", at(12.5))
    clock.at = at(45)  # the organizer is still connected
    async with services.unit() as unit:
        service = MeetingAttendanceService(unit.session, unit.clock)
        chosen, _ = await service.pick(meeting)
        people = await service.people(meeting, chosen)
    assert [p.name for p in people] == ["Olga Organizer", "Abe Learner", "zed@partner.example.com"]
    olga, abe, zed_person = people
    assert olga.is_organizer and olga.still_connected and olga.last_left is None
    assert olga.minutes == 55.0  # from 08:50 until now
    assert abe.minutes == 45.0 and len(abe.connections) == 3
    assert abe.first_joined == at(0) and abe.last_left == at(55)
    assert abe.intervals == [(at(0), at(40)), (at(50), at(55))]
    assert zed_person.is_guest and zed_person.email == "zed@partner.example.com"
    assert zed_person.minutes == 2.5 and zed_person.key == f"g:{zed}"
    # a connection the server never closed counts an hour past the end at most
    clock.at = at(60 * 24)
    async with services.unit() as unit:
        people = await MeetingAttendanceService(unit.session, unit.clock).people(meeting, chosen)
    assert people[0].minutes == 130.0


async def test_the_report_is_about_the_occurrence_asked_for_or_the_latest_attended(
    services: Services, admin: User, clock: MovableClock
) -> None:
    organizer = await make_user(services, Role.FACULTY)
    change = await make_meeting(services, organizer, recurrence="weekly", count="3")
    meeting = change.meeting

    async def pick(wanted: str = "") -> Occurrence:
        async with services.unit() as unit:
            chosen, schedule = await MeetingAttendanceService(unit.session, unit.clock).pick(
                meeting, wanted
            )
            assert len(schedule) == 3
            return chosen

    assert await pick() == Occurrence(at(0), at(60))  # nothing has begun: the first
    clock.at = at(30, week=1)
    assert (await pick()).starts_at == at(0, week=1)  # nothing attended: the latest begun
    await _join(services, meeting.id or 0, "p1", at(1), user=organizer)
    assert (await pick()).starts_at == FIRST  # the latest attended
    assert (await pick(at(0, week=2).isoformat())).starts_at == at(0, week=2)
    # a "+" that came through a query string unescaped, and wall-clock time in the zone
    assert (await pick(at(0, week=1).isoformat().replace("+", " "))).starts_at == at(0, week=1)
    assert (await pick("2026-12-14T09:00")).starts_at == at(0, week=1)
    with pytest.raises(InvalidInput) as wrong:
        await pick("2026-12-08T09:00")
    assert wrong.value.errors["occurrence"] == (
        "This meeting has no occurrence starting 2026-12-08 09:00 EST; choose one of the "
        "dates listed on the meeting's report."
    )
    with pytest.raises(InvalidInput) as garbled:
        await pick("next tuesday")
    assert "is not a time" in garbled.value.errors["occurrence"]


async def test_only_the_organizer_and_admins_may_read_a_meetings_reports(
    services: Services, admin: User
) -> None:
    organizer = await make_user(services, Role.FACULTY)
    invited = await make_user(services, Role.FACULTY)
    stranger = await make_user(services, Role.FACULTY)
    change = await make_meeting(services, organizer, invitees=[invited])
    meeting_id = change.meeting.id or 0
    async with services.unit() as unit:
        for allowed in (organizer, admin):
            found = await reportable_meeting(unit.session, unit.clock, meeting_id, allowed)
            assert found.id == meeting_id
        with pytest.raises(PermissionDenied):
            await reportable_meeting(unit.session, unit.clock, meeting_id, invited)
        with pytest.raises(MeetingNotFound):
            await reportable_meeting(unit.session, unit.clock, meeting_id, stranger)
