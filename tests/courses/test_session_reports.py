"""Reports on SQLite and PostgreSQL: a course session's (attendance, timeline, counts), a
meeting occurrence's (the same, with chat, polls and questions filed by occurrence), the
meeting's chat transcript, and the CME office's engagement per learner."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from app.wiring import Services
from courses.chat import ChatService, chat_csv
from courses.date_ranges import DateRange
from courses.engagement import EngagementService, engagement_csv
from courses.errors import ActivityNotFound, PermissionDenied
from courses.models import ChatMessage, Role, User
from courses.session_reports import InteractionCounts, SessionReportService, meeting_attendance_csv
from tests.conftest import START, MovableClock
from tests.factories import session_records as records
from tests.factories.catalog import make_course, make_live, make_on_demand
from tests.factories.credit import attend
from tests.factories.meetings import make_meeting
from tests.factories.people import make_user

FIRST = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)  # the factory meeting: 09:00 in New York
WEEK = timedelta(weeks=1)


def minutes(n: float, base: datetime = START) -> datetime:
    return base + timedelta(minutes=n)


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


# -- a course session ------------------------------------------------------------------------
async def test_a_sessions_report_has_attendance_a_timeline_and_what_was_said(
    services: Services, admin: User, clock: MovableClock
) -> None:
    faculty = await make_user(services, Role.FACULTY, name="Dr Fay")
    learner = await make_user(services, Role.LEARNER, name="Lee Learner")
    outsider = await make_user(services, Role.FACULTY)
    course = await make_course(services, admin, faculty_ids=[faculty.id])
    live = await make_live(services, admin, course, starts_at=START, timezone="America/New_York")
    room = f"activity-{live.id}"
    await attend(services, live, faculty, minutes(-10), minutes(65), role="host")
    await attend(services, live, learner, minutes(10), minutes(40))
    await attend(services, live, learner, minutes(30), minutes(50))  # a second device
    await records.chat(services, room, learner, minutes(15))
    await records.chat(services, room, faculty, minutes(16), audience="hosts")
    await records.chat(services, "activity-999999", learner, minutes(17))
    await records.poll(services, room, minutes(20), voters=[learner])
    await records.poll(services, room, minutes(25))
    await records.question(services, room, learner, minutes(30), upvoters=[faculty])
    clock.at = minutes(120)

    async with services.unit() as unit:
        service = SessionReportService(unit.session, unit.clock)
        report = await service.live_session(live.id or 0, faculty)
        summary = report.summary
        assert (await service.live_session(live.id or 0, admin)).summary.lines == summary.lines
        with pytest.raises(PermissionDenied):
            await service.live_session(live.id or 0, outsider)
        module = await make_on_demand(services, admin, course)
        with pytest.raises(ActivityNotFound):
            await service.live_session(module.id or 0, admin)

    assert summary.window == (START, minutes(60))
    assert summary.window_label == "live window (from the faculty's connections)"
    lee, fay = summary.lines
    assert (lee.name, lee.badge, lee.minutes, lee.percent) == ("Lee Learner", "", 40.0, 66.7)
    assert lee.connected == [(minutes(10), minutes(50))]
    assert (lee.first_joined, lee.last_left, lee.still_connected) == (
        minutes(10), minutes(50), False
    )
    assert (fay.badge, fay.minutes) == ("faculty", 60.0)  # counted in the window only
    assert fay.connected == [(minutes(-10), minutes(65))]  # shown as connected
    assert summary.counts == InteractionCounts(
        chat_messages=2, polls=2, poll_votes=1, questions=1, upvotes=1
    )
    timeline = summary.timeline
    assert (timeline.start, timeline.end, timeline.zone) == (
        minutes(-10), minutes(65), "America/New_York"
    )
    assert [(r.label, r.spans) for r in timeline.rows] == [
        ("Lee Learner", [(minutes(10), minutes(50))]),
        ("Dr Fay", [(minutes(-10), minutes(65))]),
    ]


# -- a meeting --------------------------------------------------------------------------------
async def _meeting_scene(services: Services) -> tuple[int, User, User]:
    """A weekly meeting (two occurrences) with an organizer, an invited learner and a guest,
    and what they did in both occurrences."""
    organizer = await make_user(services, Role.FACULTY, name="Olga Organizer")
    learner = await make_user(services, Role.LEARNER, name="Lee Learner")
    change = await make_meeting(services, organizer, invitees=[learner],
                                guests="Gus Guest <gus@partner.example.com>",
                                recurrence="weekly", count="2")
    meeting_id = change.meeting.id or 0
    room = f"meeting-{meeting_id}"
    gus = await records.guest_id(services, meeting_id, "gus@partner.example.com")
    m = records.meeting_connection
    await m(services, meeting_id, minutes(-5, FIRST), minutes(60, FIRST), user=organizer,
            role="host")
    await m(services, meeting_id, minutes(5, FIRST), minutes(30, FIRST), guest_id=gus)
    await m(services, meeting_id, minutes(0, FIRST), minutes(20, FIRST), user=learner)
    await m(services, meeting_id, minutes(10, FIRST), minutes(40, FIRST), user=learner)
    await m(services, meeting_id, minutes(0, FIRST + WEEK), minutes(10, FIRST + WEEK),
            user=learner)
    await records.chat(services, room, learner, minutes(5, FIRST), text="=1+1")
    await records.chat(services, room, None, minutes(70, FIRST), name="Gus Guest")  # overran
    await records.chat(services, room, learner, minutes(-20, FIRST + WEEK))  # came early
    await records.poll(services, room, minutes(15, FIRST), voters=[learner], guest_voters=[gus])
    await records.poll(services, room, minutes(5, FIRST + WEEK))
    await records.question(services, room, learner, minutes(20, FIRST), upvoters=[organizer])
    return meeting_id, organizer, learner


async def test_a_meeting_occurrences_report_counts_only_what_belongs_to_it(
    services: Services, admin: User, clock: MovableClock
) -> None:
    meeting_id, organizer, learner = await _meeting_scene(services)
    clock.at = FIRST + 2 * WEEK
    async with services.unit() as unit:
        service = SessionReportService(unit.session, unit.clock)
        latest = await service.meeting(meeting_id, organizer)
        first = await service.meeting(meeting_id, admin, FIRST.isoformat())
        with pytest.raises(PermissionDenied):
            await service.meeting(meeting_id, learner)  # invited, but not the organizer

    assert latest.occurrence.starts_at == FIRST + WEEK  # the latest with attendance
    assert [line.name for line in latest.summary.lines] == ["Lee Learner"]
    assert latest.summary.counts == InteractionCounts(chat_messages=1, polls=1)
    assert latest.attended == [FIRST, FIRST + WEEK]
    assert [o.starts_at for o in latest.occurrences] == [FIRST, FIRST + WEEK]

    summary = first.summary
    assert summary.window == (FIRST, minutes(60, FIRST))
    assert [(x.name, x.badge, x.minutes, x.percent) for x in summary.lines] == [
        ("Olga Organizer", "organizer", 65.0, None),
        ("Gus Guest", "guest", 25.0, None),
        ("Lee Learner", "", 40.0, None),
    ]
    assert summary.counts == InteractionCounts(
        chat_messages=2, polls=1, poll_votes=2, questions=1, upvotes=1
    )
    assert summary.timeline.start == minutes(-5, FIRST)
    assert rows_of(meeting_attendance_csv(first)) == [
        ["name", "email", "guest", "first_joined", "last_left", "minutes", "connections"],
        ["Olga Organizer", organizer.email, "no", "2026-12-07 08:55 EST",
         "2026-12-07 10:00 EST", "65.0", "1"],
        ["Gus Guest", "gus@partner.example.com", "yes", "2026-12-07 09:05 EST",
         "2026-12-07 09:30 EST", "25.0", "1"],
        ["Lee Learner", learner.email, "no", "2026-12-07 09:00 EST", "2026-12-07 09:40 EST",
         "40.0", "2"],
    ]


async def test_a_meetings_chat_is_kept_with_it_and_read_by_its_organizer(
    services: Services, admin: User
) -> None:
    meeting_id, organizer, learner = await _meeting_scene(services)
    async with services.unit() as unit:
        kept = (await unit.session.exec(select(ChatMessage))).all()
        assert {(m.meeting_id, m.activity_id) for m in kept} == {(meeting_id, None)}
        assert {m.user_id for m in kept} == {learner.id, None}
        chat = ChatService(unit.session, unit.clock)
        everything = await chat.meeting_transcript(meeting_id, organizer)
        first = await chat.meeting_transcript(meeting_id, admin, FIRST.isoformat())
        with pytest.raises(PermissionDenied):
            await chat.meeting_transcript(meeting_id, learner)
    assert everything.occurrence is None and len(everything.messages) == 3
    assert first.occurrence is not None and first.occurrence.starts_at == FIRST
    assert rows_of(chat_csv(first)) == [
        ["sent_at", "sender", "audience", "text"],
        ["2026-12-07 09:05:00 EST", "Lee Learner", "everyone", "'=1+1"],
        ["2026-12-07 10:10:00 EST", "Gus Guest", "everyone", "Hello"],
    ]


# -- engagement per learner ------------------------------------------------------------------
async def test_engagement_counts_what_each_learner_did_in_the_sessions_they_attended(
    services: Services, admin: User, clock: MovableClock
) -> None:
    faculty = await make_user(services, Role.FACULTY, name="Dr Fay")
    lee = await make_user(services, Role.LEARNER, name="Lee Learner")
    ann = await make_user(services, Role.LEARNER, name="ann Asker")
    nat = await make_user(services, Role.LEARNER, name="Nat Never")
    cardiology = await make_course(services, admin, faculty_ids=[faculty.id])
    nephrology = await make_course(services, admin)
    first = await make_live(services, admin, cardiology, starts_at=START)
    # 18:30 on 31 December in New York is already 2027 in UTC: it counts in 2026
    new_year = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    last = await make_live(services, admin, cardiology, starts_at=new_year)
    later = await make_live(services, admin, nephrology, starts_at=datetime(2027, 1, 5, 15,
                                                                             tzinfo=UTC))
    await attend(services, first, lee, minutes(0), minutes(30))
    await attend(services, first, ann, minutes(40), minutes(45))
    await attend(services, first, faculty, minutes(0), minutes(60))  # the course's faculty
    await attend(services, first, admin, minutes(0), minutes(60), role="host")
    await attend(services, last, lee, minutes(0, new_year), minutes(20, new_year))
    await attend(services, later, lee, minutes(0, later.starts_at or START),
                 minutes(10, later.starts_at or START))
    r1, r2, r3 = (f"activity-{a.id}" for a in (first, last, later))
    await records.poll(services, r1, minutes(5), voters=[lee, ann])
    await records.poll(services, r1, minutes(10), voters=[faculty])
    await records.poll(services, r2, minutes(5, new_year), voters=[lee, nat])
    await records.question(services, r1, ann, minutes(41), upvoters=[lee])
    await records.question(services, r1, lee, minutes(20))
    await records.chat(services, r1, lee, minutes(1))
    await records.chat(services, r1, lee, minutes(2))
    await records.chat(services, r2, nat, minutes(3, new_year))  # never attended
    await records.chat(services, r3, lee, minutes(3, later.starts_at or START))
    clock.at = datetime(2027, 2, 1, tzinfo=UTC)

    year_2026 = DateRange(date(2026, 1, 1), date(2026, 12, 31))
    async with services.unit() as unit:
        service = EngagementService(unit.session, unit.clock)
        report = await service.report(year_2026, admin)
        january = await service.report(DateRange(date(2027, 1, 1), date(2027, 1, 31)), admin,
                                       nephrology)
        none_of_it = await service.report(year_2026, admin, nephrology)
        with pytest.raises(PermissionDenied):
            await service.report(year_2026, faculty)

    assert [a.id for a in report.sessions] == [first.id, last.id]
    assert [
        (e.user.display_name, e.sessions, e.minutes, e.polls_answered, e.polls_offered,
         e.questions, e.upvotes, e.chat_messages)
        for e in report.learners
    ] == [
        ("ann Asker", 1, 5.0, 1, 2, 1, 0, 0),
        ("Lee Learner", 2, 50.0, 2, 3, 1, 1, 2),
    ]
    assert [(e.user.id, e.sessions, e.minutes, e.chat_messages) for e in january.learners] == [
        (lee.id, 1, 10.0, 1)
    ]
    assert none_of_it.sessions == [] and none_of_it.learners == []
    assert rows_of(engagement_csv(report)) == [
        ["name", "email", "profession", "sessions_attended", "minutes", "polls_answered",
         "polls_offered", "questions_asked", "upvotes_given", "chat_messages"],
        ["ann Asker", ann.email, "", "1", "5.0", "1", "2", "1", "0", "0"],
        ["Lee Learner", lee.email, "", "2", "50.0", "2", "3", "1", "1", "2"],
    ]
