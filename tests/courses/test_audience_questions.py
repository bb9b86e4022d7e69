"""Q&A on SQLite and PostgreSQL (courses.audience_questions): asking, upvoting once and never
one's own, answered and dismissed, the room's order, and the CSV with who may read it."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlmodel import col, select

from app.wiring import Services
from courses import audience_questions
from courses.audience_questions import (
    MAX_TEXT,
    AudienceQuestionService,
    QuestionNotFound,
    QuestionState,
    TooManyQuestions,
    UpvoteRefused,
    clean_question,
    questions_csv,
)
from courses.errors import InvalidInput, PermissionDenied
from courses.meetings import MeetingNotFound
from courses.models import AudienceQuestion, QuestionUpvote, Role, User
from courses.room_records import RoomPerson, meeting_record, session_record
from tests.conftest import MovableClock
from tests.factories.catalog import make_course, make_live
from tests.factories.meetings import make_meeting
from tests.factories.people import make_user

ROOM = "activity-999"
ANN = RoomPerson("u:9002", "Ann", user_id=9002)  # no account behind these: kept without links
BOB = RoomPerson("u:9003", "Bob", user_id=9003)
GAIL = RoomPerson("g:41", "Guest Gail", guest_id=41)


def person(user: User) -> RoomPerson:
    return RoomPerson(f"u:{user.id}", user.display_name, user_id=user.id)


async def _ask(
    services: Services, asker: RoomPerson, text: str, room_id: str = ROOM
) -> QuestionState:
    async with services.unit() as unit:
        return await AudienceQuestionService(unit.session, unit.clock).ask(room_id, asker, text)


async def _upvote(
    services: Services, question_id: int, voter: RoomPerson, on: bool = True
) -> QuestionState:
    async with services.unit() as unit:
        service = AudienceQuestionService(unit.session, unit.clock)
        return await service.upvote(ROOM, question_id, voter, on)


async def _room(services: Services, room_id: str = ROOM) -> list[tuple[str, int, bool]]:
    async with services.unit() as unit:
        states = await AudienceQuestionService(unit.session, unit.clock).room_questions(room_id)
    return [(s.question.text, s.upvotes, s.answered) for s in states]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (" \n ", "Type your question"),
        ("q" * (MAX_TEXT + 1), f"limited to {MAX_TEXT} characters; yours has {MAX_TEXT + 1}"),
        (42, "Type your question"),
    ],
)
def test_a_question_that_cannot_be_asked_is_refused_with_the_reason(
    text: object, says: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        clean_question(text)
    assert says in refused.value.errors["text"]


def test_a_question_is_stripped_and_may_use_the_whole_limit() -> None:
    assert clean_question("  Dose in CKD?  ") == "Dose in CKD?"
    assert clean_question("q" * MAX_TEXT) == "q" * MAX_TEXT


async def test_asking_keeps_the_question_with_its_room_and_asker(
    services: Services, admin: User, clock: MovableClock
) -> None:
    course = await make_course(services, admin)
    live = await make_live(services, admin, course, starts_at=clock.now())
    learner = await make_user(services, name="Lee")
    room = f"activity-{live.id}"
    asked = await _ask(services, person(learner), "  <b>Dose</b> in CKD?  ", room)
    await _ask(services, GAIL, "Any guidelines?")
    async with services.unit() as unit:
        rows = (
            await unit.session.exec(select(AudienceQuestion).order_by(col(AudienceQuestion.id)))
        ).all()
    assert [
        (q.room_id, q.activity_id, q.asker_key, q.user_id, q.guest_id, q.asker_name, q.text)
        for q in rows
    ] == [
        (f"activity-{live.id}", live.id, f"u:{learner.id}", learner.id, None, "Lee",
         "<b>Dose</b> in CKD?"),
        (ROOM, None, "g:41", None, None, "Guest Gail", "Any guidelines?"),
    ]
    assert asked.question.asked_at == clock.now() and asked.upvotes == 0


async def test_one_upvote_per_person_never_on_ones_own_and_taking_it_back(
    services: Services, admin: User
) -> None:
    question = (await _ask(services, ANN, "Why?")).question_id
    with pytest.raises(UpvoteRefused, match="your own question"):
        await _upvote(services, question, ANN)
    assert (await _upvote(services, question, BOB)).upvotes == 1
    again = await _upvote(services, question, BOB)  # twice changes nothing
    assert again.upvoters == frozenset({"u:9003"})
    assert (await _upvote(services, question, GAIL)).upvotes == 2
    back = await _upvote(services, question, BOB, on=False)
    assert back.upvoters == frozenset({"g:41"})
    assert (await _upvote(services, question, BOB, on=False)).upvotes == 1
    async with services.unit() as unit:
        rows = (await unit.session.exec(select(QuestionUpvote))).all()
    assert [(r.voter_key, r.guest_id) for r in rows] == [("g:41", None)]


async def test_the_room_lists_open_questions_by_upvotes_then_age_and_answered_ones_after(
    services: Services, admin: User, clock: MovableClock
) -> None:
    first = (await _ask(services, ANN, "First")).question_id
    clock.at = clock.now() + timedelta(seconds=1)
    second = (await _ask(services, BOB, "Second")).question_id
    clock.at = clock.now() + timedelta(seconds=1)
    third = (await _ask(services, GAIL, "Third")).question_id
    await _ask(services, ANN, "Elsewhere", room_id="activity-998")
    assert await _room(services) == [("First", 0, False), ("Second", 0, False),
                                     ("Third", 0, False)]
    await _upvote(services, third, ANN)
    await _upvote(services, third, BOB)
    await _upvote(services, second, ANN)
    assert await _room(services) == [("Third", 2, False), ("Second", 1, False),
                                     ("First", 0, False)]
    async with services.unit() as unit:
        service = AudienceQuestionService(unit.session, unit.clock)
        answered = await service.mark_answered(ROOM, third, True)
        assert answered.answered and answered.question.answered_at == clock.now()
        assert answered.upvotes == 2
    assert await _room(services) == [("Second", 1, False), ("First", 0, False),
                                     ("Third", 2, True)]
    with pytest.raises(UpvoteRefused, match="already been answered"):
        await _upvote(services, third, RoomPerson("u:9004", "Cy"))
    assert (await _upvote(services, third, BOB, on=False)).upvotes == 1  # taking back is fine
    async with services.unit() as unit:
        service = AudienceQuestionService(unit.session, unit.clock)
        reopened = await service.mark_answered(ROOM, third, False)
        assert not reopened.answered and reopened.question.answered_at is None
        await service.dismiss(ROOM, first)
    assert await _room(services) == [("Second", 1, False), ("Third", 1, False)]
    # a dismissed question is gone from the room: nobody upvotes, answers or dismisses it
    async with services.unit() as unit:
        service = AudienceQuestionService(unit.session, unit.clock)
        with pytest.raises(QuestionNotFound, match="may have dismissed it"):
            await service.upvote(ROOM, first, BOB, True)
        with pytest.raises(QuestionNotFound):
            await service.mark_answered(ROOM, first, True)
        with pytest.raises(QuestionNotFound):
            await service.dismiss(ROOM, first)
        with pytest.raises(QuestionNotFound):  # nor from another room
            await service.upvote("activity-998", second, BOB, True)


async def test_a_room_takes_a_bounded_number_of_questions(
    services: Services, admin: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audience_questions, "MAX_ROOM_QUESTIONS", 2)
    first = (await _ask(services, ANN, "One")).question_id
    await _ask(services, BOB, "Two")
    with pytest.raises(TooManyQuestions, match="taken its 2 questions"):
        await _ask(services, GAIL, "Three")
    await _ask(services, GAIL, "Elsewhere", room_id="activity-998")
    async with services.unit() as unit:
        await AudienceQuestionService(unit.session, unit.clock).dismiss(ROOM, first)
    await _ask(services, GAIL, "Three")


async def test_the_questions_export_as_csv_for_the_sessions_faculty_and_admins(
    services: Services, admin: User, clock: MovableClock
) -> None:
    faculty = await make_user(services, Role.FACULTY, name="Dr. Faye")
    other_faculty = await make_user(services, Role.FACULTY)
    learner = await make_user(services, Role.LEARNER, name="Lee, RN")
    course = await make_course(services, admin, faculty_ids=[faculty.id])
    live = await make_live(services, admin, course, starts_at=clock.now(),
                           timezone="America/Chicago")
    room = f"activity-{live.id}"
    first = await _ask(services, person(learner), "=Dose in CKD?", room)
    clock.at = clock.now() + timedelta(seconds=75)
    second = await _ask(services, ANN, "Off topic", room)
    third = await _ask(services, person(faculty), "Anyone seen this?", room)
    await _ask(services, BOB, "Another room")
    async with services.unit() as unit:
        service = AudienceQuestionService(unit.session, unit.clock)
        await service.upvote(room, first.question_id, ANN, True)
        await service.upvote(room, first.question_id, person(faculty), True)
        clock.at = clock.now() + timedelta(minutes=2)
        await service.mark_answered(room, first.question_id, True)
        await service.dismiss(room, second.question_id)
    assert third.question_id

    for actor in (faculty, admin):
        async with services.unit() as unit:
            record = await session_record(unit.session, unit.clock, live.id or 0, actor)
            export = await AudienceQuestionService(unit.session, unit.clock).export(record)
        assert list(csv.reader(io.StringIO(questions_csv(export)))) == [
            ["asked_at", "asker", "question", "upvotes", "status", "answered_at"],
            ["2026-12-01 06:00:00 CST", "Lee, RN", "'=Dose in CKD?", "2", "answered",
             "2026-12-01 06:03:15 CST"],
            ["2026-12-01 06:01:15 CST", "Ann", "Off topic", "0", "dismissed", ""],
            ["2026-12-01 06:01:15 CST", "Dr. Faye", "Anyone seen this?", "0", "open", ""],
        ]
    for outsider in (learner, other_faculty):
        async with services.unit() as unit:
            with pytest.raises(PermissionDenied):
                await session_record(unit.session, unit.clock, live.id or 0, outsider)


async def test_a_meetings_questions_export_for_its_organizer(
    services: Services, admin: User
) -> None:
    organizer = await make_user(services, Role.FACULTY, name="Org")
    outsider = await make_user(services, Role.FACULTY)
    meeting = (await make_meeting(services, organizer)).meeting
    await _ask(services, GAIL, "Parking?", f"meeting-{meeting.id}")
    async with services.unit() as unit:
        record = await meeting_record(unit.session, unit.clock, meeting.id or 0, organizer)
        export = await AudienceQuestionService(unit.session, unit.clock).export(record)
    assert list(csv.reader(io.StringIO(questions_csv(export))))[1:] == [
        ["2026-12-01 07:00:00 EST", "Guest Gail", "Parking?", "0", "open", ""],
    ]
    async with services.unit() as unit:
        with pytest.raises(MeetingNotFound):
            await meeting_record(unit.session, unit.clock, meeting.id or 0, outsider)
