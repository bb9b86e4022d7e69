"""Who may see a recording, editing its chapters, and publishing it to a course."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from app.wiring import Services
from courses.chapters import Chapter, chapters_text, format_time, parse_chapters, stored_chapters
from courses.errors import InvalidInput, PermissionDenied
from courses.models import (
    Activity,
    ActivityKind,
    Course,
    Recording,
    RecordingState,
    RecordingVisibility,
    Role,
    User,
)
from courses.recordings import (
    RecordingNotFound,
    RecordingNotPublishable,
    RecordingNotReady,
    duration_minutes,
)
from tests.conftest import MovableClock
from tests.factories.catalog import make_course
from tests.factories.people import make_user
from tests.factories.replay import make_recording


# -- chapters ------------------------------------------------------------------------------
def test_chapter_lines_become_sorted_start_times() -> None:
    text = "12:30 Case discussion\n\n0:00 Welcome\n1:02:03 - Questions\n  5:07   Vitals  \n"
    assert parse_chapters(text, 4000.0) == [
        Chapter(0, "Welcome"), Chapter(307, "Vitals"), Chapter(750, "Case discussion"),
        Chapter(3723, "Questions"),
    ]
    assert parse_chapters("75:00 Long minutes", 5000.0) == [Chapter(4500, "Long minutes")]
    assert parse_chapters("", 10.0) == [] and parse_chapters(None, None) == []


@pytest.mark.parametrize(("text", "message"), [
    ("Welcome", "Line 1: start with a time like 12:30 or 1:02:03"),
    ("0:00 Intro\n12:75 Bad", "Line 2: minutes and seconds go up to 59 (got 12:75)."),
    ("1:60:00 Bad", "Line 1: minutes and seconds go up to 59"),
    ("0:00 Intro\n\n12:00", "Line 3: give the chapter a title after its start time."),
    ("0:00 Intro\n11:00 End", "Line 2: 11:00 is past the end of the recording (10:00)."),
    ("0:00 Intro\n10:00 Exactly the end", "Line 2: 10:00 is past the end"),
    ("2:00 A\n1:00 B\n2:00 C", "Line 1 and line 3 both start at 2:00"),
    ("0:00 " + "x" * 201, "Line 1: use at most 200 characters for the title."),
])
def test_bad_chapter_lines_are_named(text: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_chapters(text, 600.0)
    assert message in str(caught.value)


def test_chapters_from_the_api_and_back_to_text() -> None:
    chapters = parse_chapters([{"start": 90.5, "title": "B"}, {"start": 0, "title": "A"}], 100.0)
    assert chapters == [Chapter(0, "A"), Chapter(90.5, "B")]
    assert chapters_text(chapters) == "0:00 A\n1:30 B"
    assert format_time(3723.9) == "1:02:03"
    with pytest.raises(ValueError, match="Chapter 2: start must be a number of seconds"):
        parse_chapters([{"start": 1, "title": "A"}, {"start": "x", "title": "B"}], 100.0)
    with pytest.raises(ValueError, match="once the recording has been processed"):
        parse_chapters("0:00 A", None)
    assert stored_chapters('[{"start": 5, "title": "B"}, {"start": 1, "title": "A"}, 3, '
                           '{"start": -1, "title": "bad"}]') == [Chapter(1, "A"), Chapter(5, "B")]
    assert stored_chapters("not json") == []


# -- who may see a recording ---------------------------------------------------------------
@pytest.fixture
async def faculty(services: Services) -> User:
    return await make_user(services, Role.FACULTY, name="Fay Faculty")


@pytest.fixture
async def course(services: Services, admin: User, faculty: User) -> Course:
    return await make_course(services, admin, faculty_ids=[faculty.id])


async def sees(services: Services, recording: Recording, user: User) -> bool:
    async with services.unit() as unit:
        try:
            await unit.recordings.view(recording.id or 0, user)
        except RecordingNotFound:
            return False
        listed = {v.id for v in await unit.recordings.visible(user)}
    assert recording.id in listed  # the list and the page agree
    return True


async def enroll(services: Services, course: Course, user: User) -> None:
    async with services.unit() as unit:
        await unit.enrollment.enroll(course.id or 0, user.id or 0, actor=user)


async def test_visibility_follows_role_enrollment_and_presence(
    services: Services, admin: User, faculty: User, course: Course
) -> None:
    other_faculty = await make_user(services, Role.FACULTY)
    enrolled = await make_user(services, Role.LEARNER)
    stranger = await make_user(services, Role.LEARNER)
    present = await make_user(services, Role.LEARNER)
    await enroll(services, course, enrolled)
    private = await make_recording(services, course=course, participants=(present,))

    assert await sees(services, private, admin)
    assert await sees(services, private, faculty)
    assert await sees(services, private, present)
    assert not await sees(services, private, enrolled)
    assert not await sees(services, private, stranger)
    assert not await sees(services, private, other_faculty)

    async with services.unit() as unit:
        await unit.recordings.publish(private.id or 0, faculty)
    assert await sees(services, private, enrolled)
    assert await sees(services, private, present)
    assert not await sees(services, private, stranger)
    assert not await sees(services, private, other_faculty)

    async with services.unit() as unit:  # leaving the course takes the recording away
        await unit.enrollment.withdraw(course.id or 0, enrolled.id or 0, actor=enrolled)
    assert not await sees(services, private, enrolled)


async def test_a_published_recording_of_a_draft_course_is_hidden_from_learners(
    services: Services, admin: User, faculty: User, course: Course
) -> None:
    learner = await make_user(services, Role.LEARNER)
    await enroll(services, course, learner)
    recording = await make_recording(services, course=course)
    async with services.unit() as unit:
        await unit.recordings.publish(recording.id or 0, faculty)
        await unit.catalog.update_course(course.id or 0, {"published": False}, admin)
    assert not await sees(services, recording, learner)
    assert await sees(services, recording, faculty)


async def test_only_staff_see_a_recording_before_it_is_ready(
    services: Services, admin: User, faculty: User, course: Course
) -> None:
    present = await make_user(services, Role.LEARNER)
    processing = await make_recording(services, course=course, participants=(present,),
                                      state=RecordingState.PROCESSING)
    assert await sees(services, processing, faculty)
    assert await sees(services, processing, admin)
    assert not await sees(services, processing, present)
    async with services.unit() as unit:
        with pytest.raises(RecordingNotReady, match="processing"):
            await unit.recordings.playable(processing.id or 0, faculty)


async def test_an_ad_hoc_recording_is_for_its_room_and_admins(
    services: Services, admin: User, faculty: User
) -> None:
    host = await make_user(services, Role.FACULTY)
    guest = await make_user(services, Role.LEARNER)
    meeting = await make_recording(services, course=None, started_by=host,
                                   participants=(host, guest))
    assert await sees(services, meeting, admin)
    assert await sees(services, meeting, host)
    assert await sees(services, meeting, guest)
    assert not await sees(services, meeting, faculty)
    async with services.unit() as unit:
        assert (await unit.recordings.view(meeting.id or 0, host)).can_manage
        assert not (await unit.recordings.view(meeting.id or 0, guest)).can_manage
        with pytest.raises(RecordingNotPublishable, match="stays private"):
            await unit.recordings.publish(meeting.id or 0, admin)


async def test_unknown_ids_are_not_found(services: Services, admin: User) -> None:
    async with services.unit() as unit:
        for rid in (0, 999, 2**40):
            with pytest.raises(RecordingNotFound):
                await unit.recordings.view(rid, admin)


# -- editing and publishing ----------------------------------------------------------------
async def activities_of(services: Services, course: Course) -> list[Activity]:
    async with services.unit() as unit:
        found = await unit.session.exec(select(Activity).where(Activity.course_id == course.id))
        return list(found.all())


async def test_publishing_makes_an_on_demand_activity_and_edits_follow(
    services: Services, clock: MovableClock, admin: User, faculty: User, course: Course
) -> None:
    recording = await make_recording(services, course=course, duration=3661.0)
    async with services.unit() as unit:
        first = await unit.catalog.add_activity(
            course.id or 0, {"kind": "on_demand", "title": "Reading", "duration_minutes": 5},
            admin)
        view = await unit.recordings.publish(recording.id or 0, faculty, {
            "title": "Sepsis grand rounds", "description": "Replay of the live session.",
            "chapters": "0:00 Welcome\n30:00 Cases",
        })
    assert view.is_published and view.recording.published_at == clock.at
    activity_id = view.recording.published_activity_id
    activity = next(a for a in await activities_of(services, course) if a.id == activity_id)
    assert activity.kind == ActivityKind.ON_DEMAND
    assert (activity.title, activity.description) == ("Sepsis grand rounds",
                                                      "Replay of the live session.")
    assert activity.duration_minutes == duration_minutes(3661.0) == 62
    assert activity.position == first.position + 1

    clock.at += timedelta(days=1)
    async with services.unit() as unit:
        view = await unit.recordings.update(recording.id or 0,
                                            {"title": "Sepsis grand rounds (edited)"}, faculty)
        assert view.chapters == [Chapter(0, "Welcome"), Chapter(1800, "Cases")]
        again = await unit.recordings.publish(recording.id or 0, faculty)
    assert again.recording.published_activity_id == activity_id  # the same activity
    assert again.recording.published_at == clock.at - timedelta(days=1)
    titles = [a.title for a in await activities_of(services, course)]
    assert titles.count("Sepsis grand rounds (edited)") == 1 and len(titles) == 2
    async with services.unit() as unit:
        assert (await unit.recordings.replay_of(activity_id or 0)) is not None


async def test_keeping_private_removes_the_activity_but_keeps_progress(
    services: Services, clock: MovableClock, faculty: User, course: Course
) -> None:
    learner = await make_user(services, Role.LEARNER)
    await enroll(services, course, learner)
    recording = await make_recording(services, course=course, duration=100.0)
    async with services.unit() as unit:
        published = await unit.recordings.publish(recording.id or 0, faculty)
    activity_id = published.recording.published_activity_id
    async with services.unit() as unit:
        await unit.watching.heartbeat(recording, learner, [[0, 20]], 20)
    async with services.unit() as unit:
        view = await unit.recordings.make_private(recording.id or 0, faculty)
    assert view.recording.visibility == RecordingVisibility.PRIVATE
    assert view.recording.published_activity_id is None
    assert [a for a in await activities_of(services, course) if a.id == activity_id] == []
    assert not await sees(services, recording, learner)
    async with services.unit() as unit:
        assert (await unit.recordings.replay_of(activity_id or 0)) is None
        republished = await unit.recordings.publish(recording.id or 0, faculty)
        progress = await unit.watching.progress(republished.recording, learner.id or 0)
    assert progress.watched_seconds == 20.0  # carried over to the new activity


async def test_only_managers_edit_and_publish(
    services: Services, admin: User, faculty: User, course: Course
) -> None:
    present = await make_user(services, Role.FACULTY)  # in the room, not of the course
    recording = await make_recording(services, course=course, participants=(present,))
    async with services.unit() as unit:
        with pytest.raises(PermissionDenied):
            await unit.recordings.update(recording.id or 0, {"title": "Mine"}, present)
        with pytest.raises(PermissionDenied):
            await unit.recordings.publish(recording.id or 0, present)
        with pytest.raises(PermissionDenied):
            await unit.recordings.all(faculty)
        assert len(await unit.recordings.all(admin)) == 1


async def test_invalid_edits_name_each_field_and_change_nothing(
    services: Services, faculty: User, course: Course
) -> None:
    recording = await make_recording(services, course=course, duration=120.0, title="Kept")
    async with services.unit() as unit:
        with pytest.raises(InvalidInput) as caught:
            await unit.recordings.update(recording.id or 0, {
                "title": "  ", "description": 5, "chapters": "3:00 Too late", "extra": 1,
            }, faculty)
    assert set(caught.value.errors) == {"extra"}
    async with services.unit() as unit:
        with pytest.raises(InvalidInput) as caught:
            await unit.recordings.update(recording.id or 0, {
                "title": "  ", "description": 5, "chapters": "3:00 Too late",
            }, faculty)
    assert caught.value.errors == {
        "title": "Give the recording a title.",
        "description": "Send the description as text.",
        "chapters": "Line 1: 3:00 is past the end of the recording (2:00).",
    }
    async with services.unit() as unit:
        view = await unit.recordings.view(recording.id or 0, faculty)
    assert view.recording.title == "Kept" and view.chapters == []


async def test_a_recording_still_processing_cannot_be_published(
    services: Services, faculty: User, course: Course
) -> None:
    recording = await make_recording(services, course=course, state=RecordingState.FAILED)
    async with services.unit() as unit:
        with pytest.raises(RecordingNotReady, match="failed"):
            await unit.recordings.publish(recording.id or 0, faculty)
