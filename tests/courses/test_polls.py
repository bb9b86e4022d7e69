"""Polls on SQLite and PostgreSQL (courses.polls): what a poll may ask, voting and voting again,
closing, showing the results, the room's polls, and the CSV exports with who may read them."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import col, select

from app.wiring import Services
from courses.errors import InvalidInput, PermissionDenied
from courses.meetings import MeetingNotFound
from courses.models import MeetingInvitee, Poll, PollVote, Role, User
from courses.polls import (
    MAX_OPEN_POLLS,
    MAX_OPTION,
    MAX_OPTIONS,
    MAX_QUESTION,
    PollClosed,
    PollNotFound,
    PollResults,
    PollService,
    TooManyOpenPolls,
    clean_poll,
    poll_results_csv,
    polls_csv,
)
from courses.room_records import RoomPerson, meeting_record, session_record
from tests.conftest import MovableClock
from tests.factories.catalog import make_course, make_live
from tests.factories.meetings import make_meeting
from tests.factories.people import make_user

ROOM = "activity-999"  # no such session: rows are kept without the link


def person(user: User | None = None, *, key: str = "", name: str = "") -> RoomPerson:
    if user is not None:
        return RoomPerson(f"u:{user.id}", user.display_name, user_id=user.id)
    return RoomPerson(key, name)


HOST = RoomPerson("u:9001", "Dr. Host", user_id=9001)  # no account behind it


async def _open(services: Services, room_id: str = ROOM, **fields: Any) -> int:
    values: dict[str, Any] = {
        "question": "Which drug first?", "kind": "single", "options": ["A", "B", "C"],
    }
    values.update(fields)
    async with services.unit() as unit:
        state = await PollService(unit.session, unit.clock).open(room_id, HOST, **values)
    return state.poll_id


async def _vote(
    services: Services, poll_id: int, voter: RoomPerson, choices: object, room_id: str = ROOM
) -> list[int]:
    async with services.unit() as unit:
        return await PollService(unit.session, unit.clock).vote(room_id, poll_id, voter, choices)


async def _results(services: Services, poll_id: int) -> PollResults:
    async with services.unit() as unit:
        return (await PollService(unit.session, unit.clock).state(ROOM, poll_id)).results


# -- what a poll may ask -------------------------------------------------------------------
def test_a_valid_poll_is_stripped() -> None:
    draft = clean_poll("  Which first?  ", "multiple", [" Metformin ", "SGLT2i"])
    assert draft.question == "Which first?"
    assert draft.kind == "multiple"
    assert draft.options == ("Metformin", "SGLT2i")
    longest = clean_poll("q" * MAX_QUESTION, "single", ["o" * MAX_OPTION, "x"])
    assert (len(longest.question), len(longest.options[0])) == (MAX_QUESTION, MAX_OPTION)


@pytest.mark.parametrize(
    ("question", "kind", "options", "field", "says"),
    [
        ("   ", "single", ["A", "B"], "question", "Type the question"),
        ("q" * (MAX_QUESTION + 1), "single", ["A", "B"], "question",
         f"limited to {MAX_QUESTION} characters; yours has {MAX_QUESTION + 1}"),
        (None, "single", ["A", "B"], "question", "Type the question"),
        ("Q?", "ranked", ["A", "B"], "kind", "single choice or multiple choice"),
        ("Q?", "single", ["Only one"], "options", "at least 2 options; this one has 1"),
        ("Q?", "single", [str(n) for n in range(MAX_OPTIONS + 1)], "options",
         f"at most {MAX_OPTIONS} options; this one has {MAX_OPTIONS + 1}"),
        ("Q?", "single", ["A", "  ", "C"], "options", "Option 2 is empty"),
        ("Q?", "single", ["A", "b" * (MAX_OPTION + 1)], "options",
         f"Option 2 has {MAX_OPTION + 1} characters"),
        ("Q?", "single", ["Yes", "No", " yes "], "options", "Option 3 repeats option 1"),
        ("Q?", "single", "A, B", "options", "list of texts"),
        ("Q?", "single", ["A", 2], "options", "list of texts"),
    ],
)
def test_a_poll_that_cannot_be_asked_is_refused_with_the_reason(
    question: object, kind: object, options: object, field: str, says: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        clean_poll(question, kind, options)
    assert says in refused.value.errors[field]


# -- voting --------------------------------------------------------------------------------
async def test_voting_counts_each_person_once_and_voting_again_replaces_the_vote(
    services: Services, admin: User
) -> None:
    ann = await make_user(services, name="Ann")
    poll_id = await _open(services)
    assert await _vote(services, poll_id, person(ann), [1]) == [1]
    await _vote(services, poll_id, person(key="g:77", name="Guest Gail"), [1])
    assert await _results(services, poll_id) == PollResults((0, 2, 0), 2)
    # Ann changes her mind (from another device: same person key)
    await _vote(services, poll_id, person(ann), [2])
    assert await _results(services, poll_id) == PollResults((0, 1, 1), 2)
    async with services.unit() as unit:
        votes = (await unit.session.exec(select(PollVote).order_by(col(PollVote.id)))).all()
    assert [(v.voter_key, v.user_id, v.guest_id, v.choices) for v in votes] == [
        (f"u:{ann.id}", ann.id, None, [2]),
        ("g:77", None, None, [1]),  # no such invitation: kept without the link
    ]


async def test_single_takes_one_choice_and_multiple_takes_distinct_ones_in_range(
    services: Services, admin: User
) -> None:
    single = await _open(services)
    multiple = await _open(services, kind="multiple", options=["A", "B", "C", "D"])
    voter = person(key="u:5", name="Bo")
    for poll_id, choices, says in [
        (single, [0, 1], "exactly one choice; you chose 2"),
        (single, [], "Choose an option"),
        (single, [3], "Choice 3 is not one of this poll's 3 options"),
        (single, [-1], "Choice -1 is not one"),
        (single, ["0"], "Choose from the poll's options"),
        (single, [True], "Choose from the poll's options"),
        (multiple, [1, 1], "at most once"),
        (multiple, [], "Choose an option"),
        (multiple, [0, 4], "Choice 4 is not one of this poll's 4 options"),
    ]:
        with pytest.raises(InvalidInput) as refused:
            await _vote(services, poll_id, voter, choices)
        assert says in refused.value.errors["choices"], choices
    assert await _vote(services, multiple, voter, [3, 0, 2]) == [0, 2, 3]
    assert await _vote(services, single, voter, [2]) == [2]
    async with services.unit() as unit:
        state = await PollService(unit.session, unit.clock).state(ROOM, multiple)
    assert state.results == PollResults((1, 0, 1, 1), 1)


async def test_a_closed_poll_takes_no_votes_and_closing_again_changes_nothing(
    services: Services, admin: User, clock: MovableClock
) -> None:
    poll_id = await _open(services)
    await _vote(services, poll_id, person(key="u:5", name="Bo"), [0])
    clock.at = clock.now() + timedelta(minutes=3)
    async with services.unit() as unit:
        closed = await PollService(unit.session, unit.clock).close(ROOM, poll_id)
    assert closed.poll.closed_at == clock.now()
    assert closed.results == PollResults((1, 0, 0), 1)
    with pytest.raises(PollClosed, match="no longer takes votes"):
        await _vote(services, poll_id, person(key="u:6", name="Cy"), [1])
    clock.at = clock.now() + timedelta(minutes=1)
    async with services.unit() as unit:
        again = await PollService(unit.session, unit.clock).close(ROOM, poll_id)
    assert again.poll.closed_at == closed.poll.closed_at


async def test_a_poll_belongs_to_its_room(services: Services, admin: User) -> None:
    poll_id = await _open(services)
    for act in ("vote", "close", "show"):
        async with services.unit() as unit:
            polls = PollService(unit.session, unit.clock)
            with pytest.raises(PollNotFound, match=f"no poll {poll_id} in this room"):
                if act == "vote":
                    await polls.vote("activity-1", poll_id, HOST, [0])
                elif act == "close":
                    await polls.close("activity-1", poll_id)
                else:
                    await polls.show("activity-1", poll_id, True)
    async with services.unit() as unit:
        with pytest.raises(PollNotFound):
            await PollService(unit.session, unit.clock).close(ROOM, 424242)


async def test_showing_results_and_the_open_polls_limit(services: Services, admin: User) -> None:
    first = await _open(services, show_results=True)
    async with services.unit() as unit:
        polls = PollService(unit.session, unit.clock)
        assert (await polls.state(ROOM, first)).poll.results_shown is True
        assert (await polls.show(ROOM, first, False)).poll.results_shown is False
    for _ in range(MAX_OPEN_POLLS - 1):
        await _open(services)
    with pytest.raises(TooManyOpenPolls, match=f"already has {MAX_OPEN_POLLS} open polls"):
        await _open(services)
    await _open(services, room_id="activity-998")  # another room has its own limit
    async with services.unit() as unit:
        await PollService(unit.session, unit.clock).close(ROOM, first)
    await _open(services)  # closing one makes room for another


async def test_the_rooms_polls_with_results_and_what_one_person_chose(
    services: Services, admin: User, clock: MovableClock
) -> None:
    first = await _open(services, question="First?")
    clock.at = clock.now() + timedelta(seconds=5)
    second = await _open(services, question="Second?", kind="multiple")
    elsewhere = await _open(services, room_id="activity-998", question="Elsewhere?")
    me, other = person(key="u:5", name="Bo"), person(key="u:6", name="Cy")
    await _vote(services, first, me, [2])
    await _vote(services, second, me, [0, 1])
    await _vote(services, second, other, [1])
    await _vote(services, elsewhere, me, [0], room_id="activity-998")
    async with services.unit() as unit:
        polls = PollService(unit.session, unit.clock)
        states = await polls.room_polls(ROOM)
        mine = await polls.choices_of(ROOM, me.key)
        theirs = await polls.choices_of(ROOM, other.key)
        nobody = await polls.room_polls("activity-1")
    assert [(s.poll.question, s.results) for s in states] == [
        ("First?", PollResults((0, 0, 1), 1)),
        ("Second?", PollResults((1, 2, 0), 2)),
    ]
    assert mine == {first: [2], second: [0, 1]}
    assert theirs == {second: [1]}
    assert nobody == []


async def test_rows_are_linked_to_the_session_or_meeting_of_the_room(
    services: Services, admin: User, clock: MovableClock
) -> None:
    course = await make_course(services, admin)
    live = await make_live(services, admin, course, starts_at=clock.now())
    meeting = (await make_meeting(services, admin, guests="gail@example.org")).meeting
    async with services.unit() as unit:
        guest = (await unit.session.exec(select(MeetingInvitee))).one()
    organizer = person(admin)
    async with services.unit() as unit:
        polls = PollService(unit.session, unit.clock)
        in_session = await polls.open(f"activity-{live.id}", organizer, question="Q?",
                                      kind="single", options=["A", "B"])
        in_meeting = await polls.open(f"meeting-{meeting.id}", organizer, question="Q?",
                                      kind="single", options=["A", "B"])
        await polls.vote(f"meeting-{meeting.id}", in_meeting.poll_id,
                         RoomPerson(f"g:{guest.id}", "Gail", guest_id=guest.id), [1])
    async with services.unit() as unit:
        rows = (await unit.session.exec(select(Poll).order_by(col(Poll.id)))).all()
        vote = (await unit.session.exec(select(PollVote))).one()
    assert [(p.activity_id, p.meeting_id, p.created_by, p.created_by_name) for p in rows] == [
        (live.id, None, admin.id, "Ada Admin"),
        (None, meeting.id, admin.id, "Ada Admin"),
    ]
    assert rows[0].id == in_session.poll_id
    assert (vote.guest_id, vote.user_id, vote.voter_key) == (guest.id, None, f"g:{guest.id}")


# -- exports -------------------------------------------------------------------------------
async def test_a_sessions_polls_export_as_csv_for_its_faculty_and_admins(
    services: Services, admin: User, clock: MovableClock
) -> None:
    faculty = await make_user(services, Role.FACULTY, name="Dr. Faye")
    other_faculty = await make_user(services, Role.FACULTY)
    learner = await make_user(services, Role.LEARNER, name="Lee, RN")
    course = await make_course(services, admin, faculty_ids=[faculty.id])
    live = await make_live(services, admin, course, starts_at=clock.now(),
                           timezone="America/Chicago")
    room = f"activity-{live.id}"
    first = await _open(services, room, question="=1+1?", options=["2", "-2", "@ten"])
    second = await _open(services, room, question="Which apply?", kind="multiple",
                         options=["Edema", "Dyspnea"])
    await _vote(services, first, person(learner), [1], room_id=room)
    clock.at = clock.now() + timedelta(seconds=75)
    await _vote(services, second, person(learner), [0, 1], room_id=room)
    await _vote(services, first, person(faculty), [0], room_id=room)
    await _open(services, question="In another room")
    async with services.unit() as unit:
        await PollService(unit.session, unit.clock).close(room, first)

    for actor in (faculty, admin):
        async with services.unit() as unit:
            record = await session_record(unit.session, unit.clock, live.id or 0, actor)
            export = await PollService(unit.session, unit.clock).export(record)
        assert record.name == f"activity-{live.id}"
        assert list(csv.reader(io.StringIO(polls_csv(export)))) == [
            ["poll", "question", "voter", "voted_at", "choices"],
            ["1", "'=1+1?", "Lee, RN", "2026-12-01 06:00:00 CST", "'-2"],
            ["1", "'=1+1?", "Dr. Faye", "2026-12-01 06:01:15 CST", "2"],
            ["2", "Which apply?", "Lee, RN", "2026-12-01 06:01:15 CST", "Edema; Dyspnea"],
        ]
        assert list(csv.reader(io.StringIO(poll_results_csv(export)))) == [
            ["poll", "question", "kind", "opened_at", "closed_at", "voters", "option", "votes",
             "percent"],
            ["1", "'=1+1?", "single", "2026-12-01 06:00:00 CST", "2026-12-01 06:01:15 CST",
             "2", "2", "1", "50.0"],
            ["1", "'=1+1?", "single", "2026-12-01 06:00:00 CST", "2026-12-01 06:01:15 CST",
             "2", "'-2", "1", "50.0"],
            ["1", "'=1+1?", "single", "2026-12-01 06:00:00 CST", "2026-12-01 06:01:15 CST",
             "2", "'@ten", "0", "0.0"],
            ["2", "Which apply?", "multiple", "2026-12-01 06:00:00 CST", "", "1", "Edema", "1",
             "100.0"],
            ["2", "Which apply?", "multiple", "2026-12-01 06:00:00 CST", "", "1", "Dyspnea",
             "1", "100.0"],
        ]
    for outsider in (learner, other_faculty):
        async with services.unit() as unit:
            with pytest.raises(PermissionDenied):
                await session_record(unit.session, unit.clock, live.id or 0, outsider)


async def test_a_meetings_polls_export_for_its_organizer_and_admins_only(
    services: Services, admin: User
) -> None:
    organizer = await make_user(services, Role.FACULTY, name="Org")
    invited = await make_user(services, Role.FACULTY)
    outsider = await make_user(services, Role.FACULTY)
    meeting = (await make_meeting(services, organizer, invitees=[invited])).meeting
    room = f"meeting-{meeting.id}"
    poll_id = await _open(services, room, question="Friday?", options=["Yes", "No"])
    await _vote(services, poll_id, person(invited), [0], room_id=room)
    for actor in (organizer, admin):
        async with services.unit() as unit:
            record = await meeting_record(unit.session, unit.clock, meeting.id or 0, actor)
            export = await PollService(unit.session, unit.clock).export(record)
        assert (record.name, record.timezone) == (f"meeting-{meeting.id}", "America/New_York")
        rows = list(csv.reader(io.StringIO(polls_csv(export))))
        assert rows[1:] == [["1", "Friday?", invited.display_name, "2026-12-01 07:00:00 EST",
                             "Yes"]]
    async with services.unit() as unit:
        with pytest.raises(PermissionDenied):
            await meeting_record(unit.session, unit.clock, meeting.id or 0, invited)
    async with services.unit() as unit:
        with pytest.raises(MeetingNotFound):
            await meeting_record(unit.session, unit.clock, meeting.id or 0, outsider)


async def test_an_export_without_polls_has_the_header_only(
    services: Services, admin: User, clock: MovableClock
) -> None:
    course = await make_course(services, admin)
    live = await make_live(services, admin, course, starts_at=clock.now())
    async with services.unit() as unit:
        record = await session_record(unit.session, unit.clock, live.id or 0, admin)
        export = await PollService(unit.session, unit.clock).export(record)
    assert polls_csv(export).splitlines() == ["poll,question,voter,voted_at,choices"]
    assert len(poll_results_csv(export).splitlines()) == 1
