"""Earned credit, on SQLite and PostgreSQL: live sessions from attendance (several patterns,
the cap, the profession mapping, participation), on-demand activities from the watched
percentage and the post-test, the blockers, and the completion date."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from app.wiring import Services
from courses.credit import CreditService, EarnedCredit
from courses.credit_rules import CreditType
from courses.errors import ActivityNotFound
from courses.models import Activity, ActivityBreak, Course, Recording, Role, User
from tests.conftest import START, MovableClock
from tests.factories.assessments import (
    add_evaluation,
    add_post_test,
    record_evaluation,
    record_post_test,
)
from tests.factories.catalog import make_course, make_live
from tests.factories.credit import attend, designate, published_recording, watch
from tests.factories.people import make_user

D = Decimal
# Wednesday 2 December 2026, 09:00 to 10:00 in New York.
SESSION = datetime(2026, 12, 2, 14, 0, tzinfo=UTC)
AFTER = SESSION + timedelta(hours=2)


def at(minutes: float) -> datetime:
    return SESSION + timedelta(minutes=minutes)


async def earned(services: Services, activity: Activity, user: User) -> EarnedCredit:
    async with services.unit() as unit:
        return await CreditService(unit.session, unit.clock).earned(activity.id or 0, user)


def credits(result: EarnedCredit) -> dict[str, Decimal]:
    return {a.credit_type: a.credits for a in result.awards}


@pytest.fixture
async def course(services: Services, admin: User) -> Course:
    return await make_course(services, admin, title="Cardiology Grand Rounds")


@pytest.fixture
async def session(services: Services, admin: User, course: Course) -> Activity:
    activity = await make_live(
        services, admin, course, starts_at=SESSION, minutes=60, title="Heart failure update"
    )
    await designate(services, activity, CreditType.AMA_PRA_1, "1.00")
    await designate(services, activity, CreditType.ANCC, "1.00")
    return activity


@pytest.fixture
async def physician(services: Services) -> User:
    return await make_user(services, Role.LEARNER, name="Dr. Maya Patel", degree="MD")


@pytest.fixture
async def nurse(services: Services) -> User:
    return await make_user(services, Role.LEARNER, name="Nina Nurse", degree="RN")


# -- live sessions ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("spans", "expected", "reason"),
    [
        ([(0, 60)], "1.00", "60 of 60 minutes attended: 1.00"),
        ([(8, 60)], "0.75", "52 of 60 minutes attended: 0.75"),
        ([(7, 60)], "1.00", "53 of 60 minutes attended: 1.00"),
        # a reconnect and a second device: the overlap counts once (0-40 and 50-60)
        ([(0, 20), (15, 40), (50, 60)], "0.75", "50 of 60 minutes attended: 0.75"),
        # early and late connections are clipped to the session
        ([(-14, 30), (58, 75)], "0.50", "32 of 60 minutes attended: 0.50"),
        ([(30, 37)], "0.00", "7 of 60 minutes attended: 0.00"),
    ],
)
async def test_live_credit_follows_the_attended_minutes(
    services: Services,
    clock: MovableClock,
    session: Activity,
    physician: User,
    spans: list[tuple[int, int]],
    expected: str,
    reason: str,
) -> None:
    for start, end in spans:
        await attend(services, session, physician, at(start), at(end))
    clock.at = AFTER
    result = await earned(services, session, physician)
    assert credits(result) == {CreditType.AMA_PRA_1: D(expected)}
    (award,) = result.awards
    assert award.reason.startswith(reason), award.reason
    assert result.blockers == ()
    assert result.attended_minutes is not None
    assert result.session_minutes == D(60)


async def test_credit_is_capped_at_the_designated_maximum(
    services: Services, clock: MovableClock, admin: User, course: Course, physician: User
) -> None:
    activity = await make_live(services, admin, course, starts_at=SESSION, minutes=90)
    await designate(services, activity, CreditType.AMA_PRA_1, "1.00")
    await attend(services, activity, physician, at(0), at(90))
    clock.at = AFTER
    (award,) = (await earned(services, activity, physician)).awards
    assert award.credits == D("1.00")
    assert award.capped
    assert "capped at the designated maximum of 1.00" in award.reason


async def test_a_nurse_gets_ancc_contact_hours_not_ama_credit(
    services: Services, clock: MovableClock, session: Activity, nurse: User
) -> None:
    await attend(services, session, nurse, at(8), at(60))
    clock.at = AFTER
    result = await earned(services, session, nurse)
    assert credits(result) == {CreditType.ANCC: D("0.87")}
    assert result.award_for(CreditType.AMA_PRA_1) is None
    assert result.awards[0].unit == "contact hours"


async def test_a_learner_no_designated_type_fits_gets_participation_hours(
    services: Services, clock: MovableClock, admin: User, course: Course, nurse: User
) -> None:
    activity = await make_live(services, admin, course, starts_at=SESSION, minutes=60)
    await designate(services, activity, CreditType.AMA_PRA_1, "1.00")
    await attend(services, activity, nurse, at(0), at(40))
    clock.at = AFTER
    result = await earned(services, activity, nurse)
    assert credits(result) == {CreditType.PARTICIPATION: D("0.75")}
    assert result.is_participation
    assert result.designations[CreditType.PARTICIPATION].maximum == D("1.00")
    assert result.awards[0].unit == "hours of participation"


async def test_without_designations_everyone_gets_participation(
    services: Services, clock: MovableClock, admin: User, course: Course, physician: User
) -> None:
    activity = await make_live(services, admin, course, starts_at=SESSION, minutes=45)
    await attend(services, activity, physician, at(0), at(45))
    clock.at = AFTER
    result = await earned(services, activity, physician)
    assert credits(result) == {CreditType.PARTICIPATION: D("0.75")}


async def test_full_attendance_types_award_all_or_nothing(
    services: Services, clock: MovableClock, admin: User, course: Course
) -> None:
    social_worker = await make_user(services, Role.LEARNER, degree="SW")
    partial = await make_user(services, Role.LEARNER, degree="SW")
    activity = await make_live(services, admin, course, starts_at=SESSION, minutes=60)
    await designate(services, activity, CreditType.ASWB, "1.00", tolerance_minutes=5)
    await attend(services, activity, social_worker, at(4), at(60))
    await attend(services, activity, partial, at(10), at(60))
    clock.at = AFTER
    assert credits(await earned(services, activity, social_worker)) == {CreditType.ASWB: D("1.00")}
    result = await earned(services, activity, partial)
    assert credits(result) == {CreditType.ASWB: D("0.00")}
    assert result.awards[0].reason.startswith("Full attendance required: 50 of 60 minutes")


async def test_before_the_end_the_session_blocks_claiming(
    services: Services, clock: MovableClock, session: Activity, physician: User
) -> None:
    await attend(services, session, physician, at(0), at(30))
    clock.at = at(45)
    result = await earned(services, session, physician)
    assert "The session has not ended yet" in result.blockers
    assert result.claimable == ()


async def test_no_attendance_is_a_blocker(
    services: Services, clock: MovableClock, session: Activity, physician: User
) -> None:
    clock.at = AFTER
    result = await earned(services, session, physician)
    assert result.blockers == ("No attendance of this session was recorded for you",)
    assert credits(result) == {CreditType.AMA_PRA_1: D("0.00")}


async def test_the_evaluation_must_be_submitted(
    services: Services, clock: MovableClock, session: Activity, physician: User
) -> None:
    evaluation = await add_evaluation(services, session)
    await attend(services, session, physician, at(0), at(60))
    clock.at = AFTER
    result = await earned(services, session, physician)
    assert result.blockers == ("Submit the evaluation first",)
    assert result.evaluation is not None and not result.evaluation_submitted
    assert result.claimable == ()
    await record_evaluation(services, evaluation, physician)
    result = await earned(services, session, physician)
    assert result.blockers == ()
    assert result.evaluation_submitted
    assert [a.credits for a in result.claimable] == [D("1.00")]


async def test_the_completion_date_is_the_session_date_in_its_zone(
    services: Services, clock: MovableClock, admin: User, course: Course, physician: User
) -> None:
    # 03:00 UTC on 3 December is 22:00 on 2 December in New York
    starts = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)
    activity = await make_live(services, admin, course, starts_at=starts, minutes=60)
    await attend(services, activity, physician, starts, starts + timedelta(minutes=60))
    clock.at = starts + timedelta(hours=3)
    result = await earned(services, activity, physician)
    assert result.completed_on == date(2026, 12, 2)


async def test_breaks_are_not_credited(
    services: Services, clock: MovableClock, admin: User, course: Course, physician: User
) -> None:
    activity = await make_live(services, admin, course, starts_at=SESSION, minutes=75)
    await designate(services, activity, CreditType.AMA_PRA_1, "1.00")
    async with services.unit() as unit:
        unit.session.add(
            ActivityBreak(activity_id=activity.id or 0, starts_at=at(30), ends_at=at(45))
        )
    await attend(services, activity, physician, at(0), at(75))
    clock.at = AFTER
    result = await earned(services, activity, physician)
    assert result.session_minutes == D(60)
    assert credits(result) == {CreditType.AMA_PRA_1: D("1.00")}


async def test_an_unpublished_course_is_not_found_for_learners(
    services: Services, admin: User, physician: User
) -> None:
    draft = await make_course(services, admin, published=False)
    activity = await make_live(services, admin, draft, starts_at=SESSION)
    with pytest.raises(ActivityNotFound):
        await earned(services, activity, physician)


# -- on demand -------------------------------------------------------------------------------
@pytest.fixture
async def module(services: Services, admin: User, course: Course) -> tuple[Activity, Recording]:
    recording, activity = await published_recording(services, admin, course, seconds=1800)
    await designate(services, activity, CreditType.AMA_PRA_1, "0.50")
    return activity, recording


async def test_on_demand_credit_needs_the_watched_threshold_and_the_post_test(
    services: Services, clock: MovableClock, module: tuple[Activity, Recording], physician: User
) -> None:
    activity, recording = module
    post_test = await add_post_test(services, activity)
    await watch(services, recording, physician, 40)
    result = await earned(services, activity, physician)
    assert result.blockers == ("Watch at least 95% (you have watched 40%)", "Pass the post-test")
    assert credits(result) == {CreditType.AMA_PRA_1: D("0.00")}
    assert result.completed_on is None

    clock.at = START + timedelta(days=1)
    await watch(services, recording, physician, 96)
    result = await earned(services, activity, physician)
    assert result.blockers == ("Pass the post-test",)

    await record_post_test(services, post_test, physician, passed=False)
    assert (await earned(services, activity, physician)).blockers == ("Pass the post-test",)
    clock.at = START + timedelta(days=3)
    await record_post_test(services, post_test, physician, passed=True, number=2)
    result = await earned(services, activity, physician)
    assert result.blockers == ()
    assert credits(result) == {CreditType.AMA_PRA_1: D("0.50")}
    # the later of finishing the recording (2 Dec) and passing the post-test (4 Dec)
    assert result.completed_on == date(2026, 12, 4)


async def test_on_demand_threshold_is_the_activity_s(
    services: Services, admin: User, course: Course, physician: User
) -> None:
    recording, activity = await published_recording(services, admin, course, seconds=1200)
    await designate(services, activity, CreditType.AMA_PRA_1, "0.25")
    async with services.unit() as unit:
        row = await unit.session.get(Activity, activity.id)
        assert row is not None
        row.credit_threshold_percent = 80
        unit.session.add(row)
    post_test = await add_post_test(services, activity)
    await record_post_test(services, post_test, physician, passed=True)
    await watch(services, recording, physician, 85)
    result = await earned(services, activity, physician)
    assert result.blockers == ()
    assert result.threshold_percent == 80
    assert credits(result) == {CreditType.AMA_PRA_1: D("0.25")}
    assert result.completed_on == START.date()


async def test_on_demand_credit_is_the_designated_time_capped(
    services: Services, admin: User, course: Course, physician: User
) -> None:
    # 30 minutes of recording is 0.50 credit; the designation allows 0.25
    recording, activity = await published_recording(services, admin, course, seconds=1800)
    await designate(services, activity, CreditType.AMA_PRA_1, "0.25")
    post_test = await add_post_test(services, activity)
    await record_post_test(services, post_test, physician, passed=True)
    await watch(services, recording, physician, 100)
    (award,) = (await earned(services, activity, physician)).awards
    assert award.credits == D("0.25")
    assert award.capped


async def test_on_demand_credit_without_a_post_test_earns_nothing(
    services: Services, module: tuple[Activity, Recording], physician: User, nurse: User
) -> None:
    activity, recording = module
    await watch(services, recording, physician, 100)
    result = await earned(services, activity, physician)
    assert result.blockers == ("The activity has no post-test yet, so it cannot award credit",)
    assert credits(result) == {CreditType.AMA_PRA_1: D("0.00")}
    # a nurse, for whom only participation applies, needs no post-test that does not exist
    await watch(services, recording, nurse, 100)
    result = await earned(services, activity, nurse)
    assert result.blockers == ()
    assert credits(result) == {CreditType.PARTICIPATION: D("0.50")}


async def test_on_demand_evaluation_blocks_but_does_not_hide_the_credit(
    services: Services, module: tuple[Activity, Recording], physician: User
) -> None:
    activity, recording = module
    post_test = await add_post_test(services, activity)
    await add_evaluation(services, activity)
    await record_post_test(services, post_test, physician, passed=True)
    await watch(services, recording, physician, 100)
    result = await earned(services, activity, physician)
    assert result.blockers == ("Submit the evaluation first",)
    assert credits(result) == {CreditType.AMA_PRA_1: D("0.50")}
