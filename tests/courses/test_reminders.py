"""Who is due a reminder: the two windows, once per person however many claim it, the
opt-out switch, guests, cancelled meetings and a series' next occurrence; on SQLite and
PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from app.wiring import Services
from courses.meetings import MeetingService
from courses.models import Course, EnrollmentStatus, Role, User
from courses.reminders import DueReminder, Lead, OccasionKind, ReminderService, lead_at
from tests.conftest import MovableClock
from tests.factories.catalog import make_course, make_live
from tests.factories.meetings import make_meeting
from tests.factories.people import make_user

SESSION = datetime(2026, 12, 2, 14, 0, tzinfo=UTC)  # 09:00 in New York
MEETING = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)  # the meeting factory's 09:00 New York


async def due_now(services: Services) -> list[DueReminder]:
    async with services.unit() as unit:
        return await ReminderService(unit.session, unit.clock).due()


async def claim(services: Services, reminder: DueReminder) -> bool:
    async with services.unit() as unit:
        return await ReminderService(unit.session, unit.clock).claim(reminder)


def who(reminders: list[DueReminder]) -> set[tuple[str, str]]:
    return {(r.recipient.email, r.lead.value) for r in reminders}


async def enroll(services: Services, course: Course, learner: User, admin: User) -> None:
    async with services.unit() as unit:
        await unit.enrollment.enroll(course.id or 0, learner.id or 0, actor=admin)


@pytest.fixture
async def faculty(services: Services) -> User:
    return await make_user(services, Role.FACULTY, email="fay@hospital.example.org")


@pytest.fixture
async def learner(services: Services) -> User:
    return await make_user(services, Role.LEARNER, email="lea@hospital.example.org")


@pytest.fixture
async def course(services: Services, admin: User, faculty: User, learner: User) -> Course:
    course = await make_course(services, admin, title="Cardiology", faculty_ids=[faculty.id])
    await enroll(services, course, learner, admin)
    return course


# -- the windows -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("ahead", "lead"),
    [
        (timedelta(hours=24, seconds=1), None),
        (timedelta(hours=24), Lead.DAY),
        (timedelta(minutes=15, seconds=1), Lead.DAY),
        (timedelta(minutes=15), Lead.SOON),
        (timedelta(seconds=1), Lead.SOON),
        (timedelta(0), None),
        (timedelta(minutes=-5), None),
    ],
)
def test_the_lead_follows_how_far_ahead_the_start_is(ahead: timedelta, lead: Lead | None) -> None:
    assert lead_at(SESSION, SESSION - ahead) is lead


async def test_a_live_session_reminds_its_learners_and_faculty_a_day_then_15_minutes_ahead(
    services: Services, clock: MovableClock, admin: User, course: Course
) -> None:
    await make_live(services, admin, course, starts_at=SESSION, title="Heart failure update")
    clock.at = SESSION - timedelta(hours=25)
    assert await due_now(services) == []
    clock.at = SESSION - timedelta(hours=23)
    day = await due_now(services)
    assert who(day) == {("lea@hospital.example.org", "day"), ("fay@hospital.example.org", "day")}
    occasion = day[0].occasion
    assert occasion.kind is OccasionKind.LIVE_SESSION and occasion.key.startswith("activity:")
    assert (occasion.title, occasion.context) == ("Heart failure update", "Cardiology")
    assert occasion.timezone == "America/New_York" and occasion.starts_at == SESSION
    clock.at = SESSION - timedelta(minutes=10)
    assert who(await due_now(services)) == {
        ("lea@hospital.example.org", "15min"), ("fay@hospital.example.org", "15min")
    }
    clock.at = SESSION + timedelta(minutes=1)
    assert await due_now(services) == []


async def test_only_enrolled_learners_of_a_published_course_are_reminded(
    services: Services, clock: MovableClock, admin: User, course: Course, learner: User
) -> None:
    await make_live(services, admin, course, starts_at=SESSION)
    withdrawn = await make_user(services, email="gone@hospital.example.org")
    await enroll(services, course, withdrawn, admin)
    async with services.unit() as unit:
        state = await unit.enrollment.withdraw(course.id or 0, withdrawn.id or 0, actor=admin)
    assert state.status is EnrollmentStatus.WITHDRAWN
    hidden = await make_course(services, admin, title="Draft", published=False)
    await make_live(services, admin, hidden, starts_at=SESSION)
    await enroll(services, hidden, learner, admin)
    clock.at = SESSION - timedelta(hours=2)
    reminders = await due_now(services)
    assert {r.recipient.email for r in reminders} == {
        "lea@hospital.example.org", "fay@hospital.example.org"
    }
    assert {r.occasion.context for r in reminders} == {"Cardiology"}


# -- once each -------------------------------------------------------------------------------
async def test_a_claimed_reminder_is_no_longer_due_and_cannot_be_claimed_again(
    services: Services, clock: MovableClock, admin: User, course: Course
) -> None:
    await make_live(services, admin, course, starts_at=SESSION)
    clock.at = SESSION - timedelta(hours=3)
    first = await due_now(services)
    assert len(first) == 2
    assert [await claim(services, r) for r in first] == [True, True]
    assert await due_now(services) == []
    assert await claim(services, first[0]) is False
    # the 15-minute reminder is another one
    clock.at = SESSION - timedelta(minutes=14)
    assert who(await due_now(services)) == {
        ("lea@hospital.example.org", "15min"), ("fay@hospital.example.org", "15min")
    }


async def test_two_workers_claiming_the_same_reminders_at_once_each_win_half_or_none(
    services: Services, clock: MovableClock, admin: User, course: Course
) -> None:
    await make_live(services, admin, course, starts_at=SESSION)
    clock.at = SESSION - timedelta(hours=3)
    due = await due_now(services)

    async def worker() -> list[bool]:
        async with services.unit() as unit:
            service = ReminderService(unit.session, unit.clock)
            return [await service.claim(r) for r in due]

    first, second = await asyncio.wait_for(asyncio.gather(worker(), worker()), 60)
    # every reminder was claimed by exactly one of them
    assert [a + b for a, b in zip(first, second, strict=True)] == [1, 1]


# -- the switch ------------------------------------------------------------------------------
async def test_people_who_turned_reminders_off_and_disabled_accounts_get_none(
    services: Services, clock: MovableClock, admin: User, course: Course, learner: User,
    faculty: User,
) -> None:
    await make_live(services, admin, course, starts_at=SESSION)
    async with services.unit() as unit:
        await unit.accounts.set_reminders(learner.id or 0, False)
        await unit.accounts.set_active(faculty.id or 0, False, actor=admin)
    clock.at = SESSION - timedelta(hours=3)
    assert await due_now(services) == []
    async with services.unit() as unit:
        await unit.accounts.set_reminders(learner.id or 0, True)
    assert who(await due_now(services)) == {("lea@hospital.example.org", "day")}


# -- meetings --------------------------------------------------------------------------------
async def test_a_meeting_reminds_its_organizer_invitees_and_guests(
    services: Services, clock: MovableClock, faculty: User, learner: User
) -> None:
    quiet = await make_user(services, email="quiet@hospital.example.org")
    async with services.unit() as unit:
        await unit.accounts.set_reminders(quiet.id or 0, False)
    await make_meeting(services, faculty, invitees=[learner, quiet],
                       guests="Gus Guest <Gus@Partner.example.com>")
    clock.at = MEETING - timedelta(hours=20)
    reminders = await due_now(services)
    assert who(reminders) == {
        ("fay@hospital.example.org", "day"),
        ("lea@hospital.example.org", "day"),
        ("gus@partner.example.com", "day"),
    }
    guest = next(r for r in reminders if r.recipient.email.startswith("gus"))
    assert guest.recipient.is_guest and guest.recipient.name == "Gus Guest"
    organizer = next(r for r in reminders if r.recipient.email.startswith("fay"))
    assert organizer.recipient.user_id == faculty.id and not organizer.recipient.is_guest
    assert organizer.occasion.kind is OccasionKind.MEETING
    assert organizer.occasion.context == faculty.display_name


async def test_a_cancelled_meeting_reminds_nobody(
    services: Services, clock: MovableClock, faculty: User, learner: User
) -> None:
    change = await make_meeting(services, faculty, invitees=[learner])
    async with services.unit() as unit:
        await MeetingService(unit.session, unit.clock).cancel(change.meeting.id or 0, faculty)
    clock.at = MEETING - timedelta(minutes=5)
    assert await due_now(services) == []


async def test_a_weekly_series_reminds_of_each_coming_occurrence_once(
    services: Services, clock: MovableClock, faculty: User, learner: User
) -> None:
    await make_meeting(services, faculty, invitees=[learner], recurrence="weekly", count="4")
    second = MEETING + timedelta(weeks=1)
    # during the first occurrence, nothing: the next one is a week away
    clock.at = MEETING + timedelta(minutes=10)
    assert await due_now(services) == []
    clock.at = second - timedelta(hours=12)
    reminders = await due_now(services)
    assert {r.occasion.starts_at for r in reminders} == {second}
    assert who(reminders) == {("fay@hospital.example.org", "day"),
                              ("lea@hospital.example.org", "day")}
    for reminder in reminders:
        assert await claim(services, reminder)
    assert await due_now(services) == []
    # the week after, the same people are reminded of the third occurrence
    third = second + timedelta(weeks=1)
    clock.at = third - timedelta(hours=12)
    assert {r.occasion.starts_at for r in await due_now(services)} == {third}


async def test_a_series_that_ended_reminds_nobody(
    services: Services, clock: MovableClock, faculty: User, learner: User
) -> None:
    await make_meeting(services, faculty, invitees=[learner], recurrence="weekly", count="2")
    clock.at = MEETING + timedelta(weeks=2) - timedelta(hours=12)
    assert await due_now(services) == []
