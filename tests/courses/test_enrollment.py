"""Enrollment, capacity and the first-come waitlist, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from app.wiring import Services
from courses.enrollment import EnrollmentState
from courses.errors import CourseNotFound, EnrollmentClosed, PermissionDenied, UserNotFound
from courses.models import Course, Enrollment, EnrollmentStatus, Role, User
from tests.conftest import MovableClock
from tests.factories.catalog import make_course, make_live, make_on_demand
from tests.factories.people import make_user

ENROLLED = EnrollmentStatus.ENROLLED
WAITLISTED = EnrollmentStatus.WAITLISTED
WITHDRAWN = EnrollmentStatus.WITHDRAWN


# -- helpers ---------------------------------------------------------------------------------
async def enroll(
    services: Services, course: Course, user: User, actor: User | None = None
) -> EnrollmentState:
    async with services.unit() as unit:
        return await unit.enrollment.enroll(course.id or 0, user.id or 0, actor=actor or user)


async def withdraw(
    services: Services, course: Course, user: User, actor: User | None = None
) -> EnrollmentState:
    async with services.unit() as unit:
        return await unit.enrollment.withdraw(course.id or 0, user.id or 0, actor=actor or user)


async def state(services: Services, course: Course, user: User) -> EnrollmentState:
    async with services.unit() as unit:
        return await unit.enrollment.state(course.id or 0, user.id or 0)


async def standing(
    services: Services, course: Course, users: list[User]
) -> list[tuple[EnrollmentStatus | None, int | None]]:
    """(status, waitlist position) of each user, read afresh."""
    return [
        (s.status, s.waitlist_position) for s in [await state(services, course, u) for u in users]
    ]


async def counts(services: Services, course: Course) -> dict[EnrollmentStatus, int]:
    async with services.unit() as unit:
        return await unit.enrollment.counts(course.id or 0)


async def rows(services: Services, course: Course, user: User | None = None) -> int:
    stmt = select(func.count()).select_from(Enrollment).where(Enrollment.course_id == course.id)
    if user is not None:
        stmt = stmt.where(Enrollment.user_id == user.id)
    async with services.unit() as unit:
        return (await unit.session.exec(stmt)).one()


async def learners(services: Services, n: int, prefix: str = "Learner") -> list[User]:
    return [await make_user(services, name=f"{prefix} {i:02d}") for i in range(1, n + 1)]


def tick(clock: MovableClock, seconds: int = 1) -> None:
    clock.at += timedelta(seconds=seconds)


# -- capacity and the waitlist ---------------------------------------------------------------
async def test_unlimited_course_enrolls_everyone(services: Services, admin: User) -> None:
    course = await make_course(services, admin)
    people = await learners(services, 4)
    for person in people:
        result = await enroll(services, course, person)
        assert result == EnrollmentState(course.id or 0, person.id or 0, ENROLLED, None, True)
    assert await counts(services, course) == {ENROLLED: 4, WAITLISTED: 0, WITHDRAWN: 0}


async def test_full_course_waitlists_in_arrival_order(
    services: Services, admin: User, clock: MovableClock
) -> None:
    course = await make_course(services, admin, capacity=2)
    people = await learners(services, 5)
    results = []
    for person in people:
        tick(clock)
        results.append(await enroll(services, course, person))
    assert [(r.status, r.waitlist_position, r.changed) for r in results] == [
        (ENROLLED, None, True),
        (ENROLLED, None, True),
        (WAITLISTED, 1, True),
        (WAITLISTED, 2, True),
        (WAITLISTED, 3, True),
    ]
    assert await standing(services, course, people) == [
        (ENROLLED, None), (ENROLLED, None), (WAITLISTED, 1), (WAITLISTED, 2), (WAITLISTED, 3)
    ]
    assert await counts(services, course) == {ENROLLED: 2, WAITLISTED: 3, WITHDRAWN: 0}


async def test_arrivals_at_the_same_instant_queue_in_arrival_order(
    services: Services, admin: User
) -> None:
    # The clock does not move: the tie is broken by arrival (row id), not by name.
    course = await make_course(services, admin, capacity=1)
    people = [await make_user(services, name=n) for n in ("Zoe", "Yan", "Xia", "Abe")]
    for person in people:
        await enroll(services, course, person)
    assert await standing(services, course, people) == [
        (ENROLLED, None), (WAITLISTED, 1), (WAITLISTED, 2), (WAITLISTED, 3)
    ]


async def test_withdrawing_a_seat_promotes_the_first_in_line(
    services: Services, admin: User, clock: MovableClock
) -> None:
    course = await make_course(services, admin, capacity=2)
    a, b, c, d, e = await learners(services, 5)
    for person in (a, b, c, d, e):
        tick(clock)
        await enroll(services, course, person)

    tick(clock)
    result = await withdraw(services, course, a)
    assert result.status is WITHDRAWN
    assert result.changed
    assert result.waitlist_position is None
    assert result.promoted_user_ids == (c.id,)
    assert await standing(services, course, [a, b, c, d, e]) == [
        (WITHDRAWN, None), (ENROLLED, None), (ENROLLED, None), (WAITLISTED, 1), (WAITLISTED, 2)
    ]

    async with services.unit() as unit:
        promoted = await unit.session.exec(
            select(Enrollment).where(Enrollment.user_id == c.id, Enrollment.course_id == course.id)
        )
        row = promoted.one()
    assert row.enrolled_at == clock.now()
    assert row.waitlisted_at is None
    assert await counts(services, course) == {ENROLLED: 2, WAITLISTED: 2, WITHDRAWN: 1}


async def test_withdrawing_from_the_waitlist_moves_those_behind_up(
    services: Services, admin: User, clock: MovableClock
) -> None:
    course = await make_course(services, admin, capacity=1)
    a, b, c, d = await learners(services, 4)
    for person in (a, b, c, d):
        tick(clock)
        await enroll(services, course, person)

    result = await withdraw(services, course, c)  # second in line
    assert (result.status, result.changed, result.promoted_user_ids) == (WITHDRAWN, True, ())
    assert await standing(services, course, [a, b, c, d]) == [
        (ENROLLED, None), (WAITLISTED, 1), (WITHDRAWN, None), (WAITLISTED, 2)
    ]
    result = await withdraw(services, course, b)  # first in line
    assert result.promoted_user_ids == ()
    assert await standing(services, course, [a, d]) == [(ENROLLED, None), (WAITLISTED, 1)]


async def test_withdrawing_again_or_without_enrolling_changes_nothing(
    services: Services, admin: User
) -> None:
    course = await make_course(services, admin, capacity=1)
    a, b, stranger = await learners(services, 3)
    await enroll(services, course, a)
    await enroll(services, course, b)
    await withdraw(services, course, a)

    again = await withdraw(services, course, a)
    assert (again.status, again.changed, again.promoted_user_ids) == (WITHDRAWN, False, ())
    never = await withdraw(services, course, stranger)
    assert (never.status, never.changed) == (None, False)
    assert await rows(services, course, stranger) == 0
    assert await counts(services, course) == {ENROLLED: 1, WAITLISTED: 0, WITHDRAWN: 1}


async def test_raising_capacity_promotes_as_many_as_fit(
    services: Services, admin: User, clock: MovableClock
) -> None:
    course = await make_course(services, admin, capacity=1)
    people = await learners(services, 6)
    for person in people:
        tick(clock)
        await enroll(services, course, person)

    async with services.unit() as unit:
        await unit.catalog.update_course(course.id or 0, {"capacity": 3}, admin)
    assert await standing(services, course, people) == [
        (ENROLLED, None), (ENROLLED, None), (ENROLLED, None),
        (WAITLISTED, 1), (WAITLISTED, 2), (WAITLISTED, 3),
    ]

    async with services.unit() as unit:  # unlimited: everyone waiting gets a seat
        await unit.catalog.update_course(course.id or 0, {"capacity": ""}, admin)
    assert await counts(services, course) == {ENROLLED: 6, WAITLISTED: 0, WITHDRAWN: 0}


async def test_lowering_capacity_keeps_seats_but_fills_no_more(
    services: Services, admin: User, clock: MovableClock
) -> None:
    course = await make_course(services, admin, capacity=3)
    a, b, c, d = await learners(services, 4)
    for person in (a, b, c):
        await enroll(services, course, person)
    async with services.unit() as unit:
        await unit.catalog.update_course(course.id or 0, {"capacity": 1}, admin)
    assert await counts(services, course) == {ENROLLED: 3, WAITLISTED: 0, WITHDRAWN: 0}

    tick(clock)
    assert (await enroll(services, course, d)).status is WAITLISTED
    tick(clock)
    freed = await withdraw(services, course, a)  # 2 still hold seats, above capacity 1
    assert freed.promoted_user_ids == ()
    assert (await state(services, course, d)).waitlist_position == 1


async def test_enrolling_twice_is_a_no_op(services: Services, admin: User) -> None:
    course = await make_course(services, admin, capacity=1)
    a, b = await learners(services, 2)
    await enroll(services, course, a)
    await enroll(services, course, b)

    again_a = await enroll(services, course, a)
    again_b = await enroll(services, course, b)
    assert (again_a.status, again_a.waitlist_position, again_a.changed) == (ENROLLED, None, False)
    assert (again_b.status, again_b.waitlist_position, again_b.changed) == (WAITLISTED, 1, False)
    assert await rows(services, course) == 2
    assert await counts(services, course) == {ENROLLED: 1, WAITLISTED: 1, WITHDRAWN: 0}


async def test_coming_back_after_withdrawing_joins_the_back_of_the_line(
    services: Services, admin: User, clock: MovableClock
) -> None:
    course = await make_course(services, admin, capacity=1)
    a, b, c = await learners(services, 3)
    for person in (a, b, c):
        tick(clock)
        await enroll(services, course, person)

    tick(clock)
    await withdraw(services, course, b)
    tick(clock)
    back = await enroll(services, course, b)
    assert (back.status, back.waitlist_position, back.changed) == (WAITLISTED, 2, True)
    assert await standing(services, course, [c, b]) == [(WAITLISTED, 1), (WAITLISTED, 2)]
    assert await rows(services, course, b) == 1  # the row is reused

    tick(clock)
    await withdraw(services, course, a)  # the seat goes to c, who waited longer
    assert await standing(services, course, [a, b, c]) == [
        (WITHDRAWN, None), (WAITLISTED, 1), (ENROLLED, None)
    ]


async def test_coming_back_to_a_free_seat_enrolls(
    services: Services, admin: User, clock: MovableClock
) -> None:
    course = await make_course(services, admin, capacity=2)
    (a,) = await learners(services, 1)
    await enroll(services, course, a)
    tick(clock)
    await withdraw(services, course, a)
    tick(clock)
    back = await enroll(services, course, a)
    assert (back.status, back.changed) == (ENROLLED, True)
    async with services.unit() as unit:
        row = (await unit.session.exec(select(Enrollment).where(Enrollment.user_id == a.id))).one()
    assert row.withdrawn_at is None
    assert row.enrolled_at == clock.now()


# -- who may enroll whom, and where ----------------------------------------------------------
async def test_unpublished_course_is_not_found_by_learners(
    services: Services, admin: User
) -> None:
    draft = await make_course(services, admin, published=False)
    (learner,) = await learners(services, 1)
    with pytest.raises(CourseNotFound):
        await enroll(services, draft, learner)
    assert await rows(services, draft) == 0


async def test_admin_may_enroll_someone_in_an_unpublished_course(
    services: Services, admin: User
) -> None:
    draft = await make_course(services, admin, published=False, capacity=1)
    a, b = await learners(services, 2)
    assert (await enroll(services, draft, a, actor=admin)).status is ENROLLED
    assert (await enroll(services, draft, b, actor=admin)).status is WAITLISTED
    async with services.unit() as unit:
        roster = await unit.enrollment.roster(draft.id or 0)
    assert [(e.user.id, e.enrollment.enrolled_by_id) for e in roster] == [
        (a.id, admin.id), (b.id, admin.id)
    ]
    # ...and the learner may withdraw from it themselves
    assert (await withdraw(services, draft, a)).promoted_user_ids == (b.id,)


async def test_enrolling_yourself_records_no_enroller(services: Services, admin: User) -> None:
    course = await make_course(services, admin)
    (learner,) = await learners(services, 1)
    await enroll(services, course, learner)
    async with services.unit() as unit:
        row = (await unit.session.exec(select(Enrollment))).one()
    assert row.enrolled_by_id is None


@pytest.mark.parametrize("role", [Role.LEARNER, Role.FACULTY])
async def test_only_admins_enroll_or_withdraw_others(
    services: Services, admin: User, role: Role
) -> None:
    course = await make_course(services, admin)
    actor = await make_user(services, role)
    (other,) = await learners(services, 1)
    with pytest.raises(PermissionDenied):
        await enroll(services, course, other, actor=actor)
    await enroll(services, course, other)
    with pytest.raises(PermissionDenied):
        await withdraw(services, course, other, actor=actor)
    assert (await state(services, course, other)).status is ENROLLED
    assert (await withdraw(services, course, other, actor=admin)).status is WITHDRAWN


async def test_missing_course_or_inactive_learner(services: Services, admin: User) -> None:
    course = await make_course(services, admin)
    (learner,) = await learners(services, 1)
    ghost = Course.model_construct(id=987654)
    with pytest.raises(CourseNotFound):
        await enroll(services, ghost, learner)
    with pytest.raises(CourseNotFound):
        await withdraw(services, ghost, learner)
    async with services.unit() as unit:
        await unit.accounts.set_active(learner.id or 0, False, actor=admin)
    with pytest.raises(UserNotFound):
        await enroll(services, course, learner, actor=admin)
    with pytest.raises(UserNotFound):
        await enroll(services, course, User.model_construct(id=987654), actor=admin)
    assert await rows(services, course) == 0


async def test_enrollment_closes_when_every_live_session_has_ended(
    services: Services, admin: User, clock: MovableClock
) -> None:
    course = await make_course(services, admin)
    first = await make_live(services, admin, course, starts_at=clock.now() + timedelta(days=1))
    last = await make_live(services, admin, course, starts_at=clock.now() + timedelta(days=2),
                           minutes=90)
    early, late, after_admin, returning = await learners(services, 4)
    assert last.ends_at is not None and first.ends_at is not None

    assert (await enroll(services, course, returning)).status is ENROLLED
    clock.at = first.ends_at + timedelta(minutes=1)  # one session left
    assert (await enroll(services, course, early)).status is ENROLLED
    clock.at = last.ends_at - timedelta(seconds=1)
    assert (await enroll(services, course, late)).status is ENROLLED

    clock.at = last.ends_at  # ended at this very instant
    with pytest.raises(EnrollmentClosed):
        await enroll(services, course, after_admin)
    # Already enrolled: asking again is still a harmless no-op...
    assert (await enroll(services, course, returning)).changed is False
    # ...and an administrator may still add someone.
    assert (await enroll(services, course, after_admin, actor=admin)).status is ENROLLED

    await withdraw(services, course, returning)
    with pytest.raises(EnrollmentClosed):
        await enroll(services, course, returning)

    await make_on_demand(services, admin, course)  # a recording reopens it
    assert (await enroll(services, course, returning)).status is ENROLLED


async def test_course_without_activities_is_open(
    services: Services, admin: User, clock: MovableClock
) -> None:
    course = await make_course(services, admin)
    (learner,) = await learners(services, 1)
    clock.at += timedelta(days=3650)
    assert (await enroll(services, course, learner)).status is ENROLLED


# -- roster, counts, the learner's courses and agenda ----------------------------------------
async def test_roster_lists_seats_by_name_then_the_waitlist_in_order(
    services: Services, admin: User
) -> None:
    course = await make_course(services, admin, capacity=2)
    names = ["Zed", "Amy", "Mia", "Bob", "Cat", "Dan"]
    people = {n: await make_user(services, name=n) for n in names}
    # The clock stands still: the waitlist is ordered by arrival, whatever the names.
    for name in names:
        await enroll(services, course, people[name])
    await withdraw(services, course, people["Dan"])

    async with services.unit() as unit:
        roster = await unit.enrollment.roster(course.id or 0)
        positions = {
            e.user.display_name: await unit.enrollment.waitlist_position(e.enrollment)
            for e in roster
        }
    assert [(e.user.display_name, e.enrollment.status, e.waitlist_position) for e in roster] == [
        ("Amy", "enrolled", None),
        ("Zed", "enrolled", None),
        ("Mia", "waitlisted", 1),
        ("Bob", "waitlisted", 2),
        ("Cat", "waitlisted", 3),
        ("Dan", "withdrawn", None),
    ]
    # the roster tells the same positions the learners are told
    assert {e.user.display_name: e.waitlist_position for e in roster} == positions
    assert await counts(services, course) == {ENROLLED: 2, WAITLISTED: 3, WITHDRAWN: 1}


async def test_counts_of_an_empty_course_are_zero(services: Services, admin: User) -> None:
    course = await make_course(services, admin)
    assert await counts(services, course) == {ENROLLED: 0, WAITLISTED: 0, WITHDRAWN: 0}
    async with services.unit() as unit:
        assert await unit.enrollment.roster(course.id or 0) == []


async def test_learner_courses_are_the_active_ones_by_title(
    services: Services, admin: User
) -> None:
    (learner,) = await learners(services, 1)
    (other,) = await learners(services, 1, prefix="Other")
    cardio = await make_course(services, admin, title="Cardiology")
    asthma = await make_course(services, admin, title="Asthma", capacity=1)
    burns = await make_course(services, admin, title="Burns")
    await make_course(services, admin, title="Dermatology")
    await enroll(services, asthma, other)
    for course in (cardio, asthma, burns):
        await enroll(services, course, learner)
    await withdraw(services, burns, learner)

    async with services.unit() as unit:
        mine = await unit.enrollment.learner_courses(learner.id or 0)
    assert [(c.title, e.status) for c, e in mine] == [
        ("Asthma", "waitlisted"), ("Cardiology", "enrolled")
    ]


async def test_agenda_lists_upcoming_live_sessions_then_on_demand(
    services: Services, admin: User, clock: MovableClock
) -> None:
    now = clock.now()
    (learner,) = await learners(services, 1)
    beta = await make_course(services, admin, title="Beta")
    alpha = await make_course(services, admin, title="Alpha", capacity=1)
    gone = await make_course(services, admin, title="Gamma")
    unrelated = await make_course(services, admin, title="Delta")
    await make_live(services, admin, beta, starts_at=now + timedelta(days=2), title="B later")
    await make_live(services, admin, beta, starts_at=now - timedelta(hours=3), title="B ended")
    await make_on_demand(services, admin, beta, title="B rec 1")
    await make_live(services, admin, beta, starts_at=now + timedelta(days=1), title="B sooner")
    await make_live(services, admin, beta, starts_at=now - timedelta(minutes=30), title="B now")
    await make_on_demand(services, admin, beta, title="B rec 2")
    await make_on_demand(services, admin, alpha, title="A rec")
    await make_live(services, admin, alpha, starts_at=now + timedelta(days=1, hours=1),
                    title="A live")
    await make_live(services, admin, gone, starts_at=now + timedelta(hours=1), title="G live")
    await make_on_demand(services, admin, unrelated, title="D rec")

    (someone,) = await learners(services, 1, prefix="Someone")
    await enroll(services, alpha, someone)  # alpha is full: the learner waits
    for course in (beta, alpha, gone):
        await enroll(services, course, learner)
    await withdraw(services, gone, learner)

    async with services.unit() as unit:
        agenda = await unit.enrollment.agenda(learner.id or 0)
        later = await unit.enrollment.agenda(learner.id or 0, now + timedelta(days=1, hours=2))
    assert [(i.activity.title, i.course.title, i.status) for i in agenda] == [
        ("B now", "Beta", ENROLLED),
        ("B sooner", "Beta", ENROLLED),
        ("A live", "Alpha", WAITLISTED),
        ("B later", "Beta", ENROLLED),
        ("A rec", "Alpha", WAITLISTED),
        ("B rec 1", "Beta", ENROLLED),
        ("B rec 2", "Beta", ENROLLED),
    ]
    assert [i.activity.title for i in later] == ["B later", "A rec", "B rec 1", "B rec 2"]


# -- concurrency -----------------------------------------------------------------------------
async def _race(services: Services, course: Course, people: list[User]) -> list[EnrollmentState]:
    """Every person enrolls at once, each in a transaction and connection of their own."""
    barrier = asyncio.Barrier(len(people))

    async def one(person: User) -> EnrollmentState:
        async with services.unit() as unit:
            await unit.session.connection()  # hold a connection before anyone starts
            await barrier.wait()
            return await unit.enrollment.enroll(course.id or 0, person.id or 0, actor=person)

    return list(await asyncio.gather(*(one(p) for p in people)))


async def _assert_consistent(
    services: Services, course: Course, capacity: int, active: list[User]
) -> None:
    """Seats never exceed capacity, none stays empty while someone waits, and the waitlist
    is numbered 1..n without gaps or repeats, the same in the roster and for each learner."""
    async with services.unit() as unit:
        roster = await unit.enrollment.roster(course.id or 0)
        seated = [e.user.id for e in roster if e.enrollment.status == ENROLLED]
        waiting = [e for e in roster if e.enrollment.status == WAITLISTED]
        told = [await unit.enrollment.state(course.id or 0, p.id or 0) for p in active]
    assert len(seated) == min(capacity, len(active))
    assert [e.waitlist_position for e in waiting] == list(range(1, len(waiting) + 1))
    assert len(seated) + len(waiting) == len(active)
    by_user = {e.user.id: e.waitlist_position for e in waiting}
    assert {s.user_id: s.waitlist_position for s in told if s.status is WAITLISTED} == by_user


@pytest.mark.parametrize("round_", range(3))
async def test_racing_for_the_last_seats_never_overbooks(
    services: Services, admin: User, round_: int
) -> None:
    course = await make_course(services, admin, capacity=3)
    people = await learners(services, 12, prefix=f"Racer{round_}")

    results = await _race(services, course, people)

    assert all(r.changed for r in results)
    assert [r.status for r in results].count(ENROLLED) == 3
    positions = sorted(r.waitlist_position or 0 for r in results if r.status is WAITLISTED)
    assert positions == list(range(1, 10))
    assert await counts(services, course) == {ENROLLED: 3, WAITLISTED: 9, WITHDRAWN: 0}
    assert await rows(services, course) == 12
    await _assert_consistent(services, course, 3, people)
    # each seat change went through the course lock
    async with services.unit() as unit:
        fresh = await unit.session.get(Course, course.id)
    assert fresh is not None and fresh.seats_version == 12


async def test_the_same_learner_enrolling_many_times_at_once_takes_one_seat(
    services: Services, admin: User
) -> None:
    course = await make_course(services, admin, capacity=1)
    (learner,) = await learners(services, 1)
    results = await _race(services, course, [learner] * 6)
    assert [r.changed for r in results].count(True) == 1
    assert {r.status for r in results} == {ENROLLED}
    assert await rows(services, course) == 1


@pytest.mark.parametrize("round_", range(3))
async def test_concurrent_withdrawals_and_enrollments_keep_within_capacity(
    services: Services, admin: User, clock: MovableClock, round_: int
) -> None:
    capacity = 3
    course = await make_course(services, admin, capacity=capacity)
    seated = await learners(services, 3, prefix=f"Seated{round_}")
    waiting = await learners(services, 3, prefix=f"Waiting{round_}")
    newcomers = await learners(services, 6, prefix=f"New{round_}")
    for person in seated + waiting:
        tick(clock)
        await enroll(services, course, person)
    tick(clock)

    leaving = [seated[0], seated[1], waiting[1]]
    barrier = asyncio.Barrier(len(leaving) + len(newcomers))

    async def act(person: User, leave: bool) -> EnrollmentState:
        async with services.unit() as unit:
            await unit.session.connection()
            await barrier.wait()
            if leave:
                return await unit.enrollment.withdraw(course.id or 0, person.id or 0,
                                                      actor=person)
            return await unit.enrollment.enroll(course.id or 0, person.id or 0, actor=person)

    results = await asyncio.gather(
        *(act(p, True) for p in leaving), *(act(p, False) for p in newcomers)
    )

    assert all(r.changed for r in results)
    promoted = [u for r in results for u in r.promoted_user_ids]
    assert len(promoted) == len(set(promoted))
    # Freed seats go to those who waited before the race (waiting[1] may be promoted and
    # then leave); none goes to a newcomer, who queues behind them.
    assert set(promoted) <= {u.id for u in waiting}
    active = [seated[2], waiting[0], waiting[2], *newcomers]
    await _assert_consistent(services, course, capacity, active)
    for person in (seated[2], waiting[0], waiting[2]):
        assert (await state(services, course, person)).status is ENROLLED
    assert await counts(services, course) == {ENROLLED: 3, WAITLISTED: 6, WITHDRAWN: 3}
