"""Enrollment with capacity and an automatic, first-come waitlist.

Every change of seats in a course first bumps ``Course.seats_version`` in its transaction.
That write takes the course's row lock on PostgreSQL and SQLite's write lock, so two learners
racing for the last seat are served one after the other and the course is never overbooked,
whichever database and however many processes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from courses import permissions
from courses.clock import Clock
from courses.errors import CourseNotFound, EnrollmentClosed, PermissionDenied, UserNotFound
from courses.models import Activity, ActivityKind, Course, Enrollment, EnrollmentStatus, User

ACTIVE = (EnrollmentStatus.ENROLLED.value, EnrollmentStatus.WAITLISTED.value)


@dataclass(frozen=True)
class EnrollmentState:
    """Where a learner stands in a course after an action."""

    course_id: int
    user_id: int
    status: EnrollmentStatus | None  # None: never enrolled
    waitlist_position: int | None = None
    changed: bool = False  # False when the call found things already so (a no-op)
    promoted_user_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class RosterEntry:
    enrollment: Enrollment
    user: User
    waitlist_position: int | None


@dataclass(frozen=True)
class AgendaItem:
    """One line of a learner's dashboard."""

    course: Course
    activity: Activity
    status: EnrollmentStatus


class EnrollmentService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    async def _lock_course(self, course_id: int) -> Course:
        result = await self.session.exec(
            update(Course)
            .where(col(Course.id) == course_id)
            .values(seats_version=Course.seats_version + 1)
        )
        if result.rowcount == 0:
            raise CourseNotFound(f"There is no course with id {course_id}.")
        course = await self.session.get(Course, course_id, populate_existing=True)
        assert course is not None
        return course

    async def _row(self, course_id: int, user_id: int) -> Enrollment | None:
        stmt = select(Enrollment).where(
            Enrollment.course_id == course_id, Enrollment.user_id == user_id
        )
        return (await self.session.exec(stmt.execution_options(populate_existing=True))).first()

    async def _enrolled_count(self, course_id: int) -> int:
        stmt = select(func.count()).where(
            Enrollment.course_id == course_id, Enrollment.status == EnrollmentStatus.ENROLLED
        )
        return (await self.session.exec(stmt)).one()

    async def waitlist_position(self, row: Enrollment) -> int | None:
        if row.status != EnrollmentStatus.WAITLISTED or row.waitlisted_at is None:
            return None
        ahead = select(func.count()).where(
            Enrollment.course_id == row.course_id,
            Enrollment.status == EnrollmentStatus.WAITLISTED,
            or_(
                col(Enrollment.waitlisted_at) < row.waitlisted_at,
                and_(
                    col(Enrollment.waitlisted_at) == row.waitlisted_at,
                    col(Enrollment.id) < row.id,
                ),
            ),
        )
        return (await self.session.exec(ahead)).one() + 1

    async def _state(self, row: Enrollment | None, course_id: int, user_id: int, *,
                     changed: bool = False, promoted: tuple[int, ...] = ()) -> EnrollmentState:
        if row is None:
            return EnrollmentState(course_id, user_id, None, changed=changed,
                                   promoted_user_ids=promoted)
        return EnrollmentState(
            course_id,
            user_id,
            row.status_enum,
            await self.waitlist_position(row),
            changed=changed,
            promoted_user_ids=promoted,
        )

    async def state(self, course_id: int, user_id: int) -> EnrollmentState:
        return await self._state(await self._row(course_id, user_id), course_id, user_id)

    async def enroll(self, course_id: int, user_id: int, *, actor: User) -> EnrollmentState:
        """Take a seat, or a place on the waitlist when the course is full.

        Enrolling again while enrolled or waitlisted changes nothing and is not an error.
        An admin may enroll someone else, and may do so in an unpublished course.
        """
        if user_id != actor.id and not permissions.can_enroll_others(actor):
            raise PermissionDenied("Only administrators may enroll other people.")
        course = await self._lock_course(course_id)
        if not course.published and not permissions.is_admin(actor):
            raise CourseNotFound(f"There is no course with id {course_id}.")
        learner = await self.session.get(User, user_id)
        if learner is None or not learner.is_active:
            raise UserNotFound(f"There is no active user with id {user_id}.")
        row = await self._row(course_id, user_id)
        if row is not None and row.status in ACTIVE:
            return await self._state(row, course_id, user_id)
        if await self._all_sessions_over(course_id) and not permissions.is_admin(actor):
            raise EnrollmentClosed(
                "Enrollment is closed: every live session of this course has ended and it has "
                "no on-demand items."
            )
        now = self.clock.now()
        if row is None:
            row = Enrollment(course_id=course_id, user_id=user_id, status="", created_at=now)
        row.withdrawn_at = None
        row.enrolled_by_id = actor.id if actor.id != user_id else None
        if course.capacity is None or await self._enrolled_count(course_id) < course.capacity:
            row.status = EnrollmentStatus.ENROLLED.value
            row.enrolled_at = now
            row.waitlisted_at = None
        else:
            row.status = EnrollmentStatus.WAITLISTED.value
            row.waitlisted_at = now
            row.enrolled_at = None
        self.session.add(row)
        await self.session.flush()
        return await self._state(row, course_id, user_id, changed=True)

    async def withdraw(self, course_id: int, user_id: int, *, actor: User) -> EnrollmentState:
        """Leave a course or its waitlist; a freed seat goes to the next in line."""
        if user_id != actor.id and not permissions.can_enroll_others(actor):
            raise PermissionDenied("Only administrators may unenroll other people.")
        course = await self._lock_course(course_id)
        row = await self._row(course_id, user_id)
        if row is None or row.status not in ACTIVE:
            return await self._state(row, course_id, user_id)
        row.status = EnrollmentStatus.WITHDRAWN.value
        row.withdrawn_at = self.clock.now()
        row.waitlisted_at = None
        self.session.add(row)
        await self.session.flush()
        promoted = await self._fill(course)
        return await self._state(row, course_id, user_id, changed=True, promoted=promoted)

    async def fill_open_seats(self, course_id: int) -> tuple[int, ...]:
        """Promote waitlisted learners into seats freed by a larger capacity."""
        return await self._fill(await self._lock_course(course_id))

    async def _fill(self, course: Course) -> tuple[int, ...]:
        assert course.id is not None
        free = None if course.capacity is None else course.capacity - await self._enrolled_count(
            course.id
        )
        if free is not None and free <= 0:
            return ()
        stmt = (
            select(Enrollment)
            .where(
                Enrollment.course_id == course.id,
                Enrollment.status == EnrollmentStatus.WAITLISTED,
            )
            .order_by(col(Enrollment.waitlisted_at), col(Enrollment.id))
        )
        if free is not None:
            stmt = stmt.limit(free)
        now = self.clock.now()
        promoted: list[int] = []
        for row in (await self.session.exec(stmt)).all():
            row.status = EnrollmentStatus.ENROLLED.value
            row.enrolled_at = now
            row.waitlisted_at = None
            self.session.add(row)
            promoted.append(row.user_id)
        await self.session.flush()
        return tuple(promoted)

    async def _all_sessions_over(self, course_id: int) -> bool:
        activities = (
            await self.session.exec(select(Activity).where(Activity.course_id == course_id))
        ).all()
        if not activities:
            return False
        if any(a.kind == ActivityKind.ON_DEMAND for a in activities):
            return False
        now = self.clock.now()
        return all(a.ends_at is not None and a.ends_at <= now for a in activities)

    async def roster(self, course_id: int) -> list[RosterEntry]:
        stmt = (
            select(Enrollment, User)
            .join(User, col(User.id) == Enrollment.user_id)
            .where(Enrollment.course_id == course_id)
            # The waitlist in the order it is served (time, then id), as waitlist_position
            # counts it; seats and withdrawals by name.
            .order_by(col(Enrollment.status), col(Enrollment.waitlisted_at),
                      case((col(Enrollment.status) == EnrollmentStatus.WAITLISTED, Enrollment.id)),
                      col(User.display_name), col(Enrollment.id))
        )
        entries: list[RosterEntry] = []
        waiting = 0
        for row, user in (await self.session.exec(stmt)).all():
            position = None
            if row.status == EnrollmentStatus.WAITLISTED:
                waiting += 1
                position = waiting
            entries.append(RosterEntry(row, user, position))
        return entries

    async def counts(self, course_id: int) -> dict[EnrollmentStatus, int]:
        stmt = (
            select(Enrollment.status, func.count())
            .where(Enrollment.course_id == course_id)
            .group_by(Enrollment.status)
        )
        found = dict((await self.session.exec(stmt)).all())
        return {status: int(found.get(status.value, 0)) for status in EnrollmentStatus}

    async def learner_courses(self, user_id: int) -> list[tuple[Course, Enrollment]]:
        stmt = (
            select(Course, Enrollment)
            .join(Enrollment, col(Enrollment.course_id) == Course.id)
            .where(Enrollment.user_id == user_id, col(Enrollment.status).in_(ACTIVE))
            .order_by(col(Course.title))
        )
        return [(c, e) for c, e in (await self.session.exec(stmt)).all()]

    async def agenda(self, user_id: int, now: datetime | None = None) -> list[AgendaItem]:
        """Upcoming and running live sessions, then on-demand items, of the learner's courses."""
        now = now or self.clock.now()
        stmt = (
            select(Course, Activity, Enrollment.status)
            .join(Enrollment, col(Enrollment.course_id) == Course.id)
            .join(Activity, col(Activity.course_id) == Course.id)
            .where(Enrollment.user_id == user_id, col(Enrollment.status).in_(ACTIVE))
            .where(
                or_(
                    col(Activity.kind) == ActivityKind.ON_DEMAND,
                    col(Activity.ends_at) > now,
                )
            )
        )
        rows = (await self.session.exec(stmt)).all()
        items = [AgendaItem(c, a, EnrollmentStatus(s)) for c, a, s in rows]
        far = datetime.max.replace(tzinfo=now.tzinfo)
        items.sort(
            key=lambda i: (
                i.activity.kind != ActivityKind.LIVE,
                i.activity.starts_at or far,
                i.course.title,
                i.activity.position,
            )
        )
        return items
