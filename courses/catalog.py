"""The catalog: courses, their tags and faculty, and the activities inside them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, exists, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from courses import permissions
from courses.clock import Clock
from courses.enrollment import EnrollmentService
from courses.errors import (
    ActivityNotFound,
    Conflict,
    CourseNotFound,
    InvalidInput,
    PermissionDenied,
    SlugTaken,
)
from courses.inputs import ActivityInput, CourseInput
from courses.models import (
    Activity,
    ActivityKind,
    Certificate,
    Course,
    CourseFaculty,
    CourseTag,
    CreditClaim,
    Role,
    User,
)
from courses.models.types import MAX_ID
from courses.querying import contains
from courses.validation import parse

PAGE_SIZE = 24


class ActivityHasRecords(Conflict):
    """The activity has credit records (claims, certificates) that must be kept."""

    code = "activity_has_records"


@dataclass
class CourseView:
    """A course with what its pages show alongside it."""

    course: Course
    tags: list[str] = field(default_factory=list)
    faculty: list[User] = field(default_factory=list)
    activities: list[Activity] = field(default_factory=list)

    @property
    def faculty_ids(self) -> set[int]:
        return {u.id for u in self.faculty if u.id is not None}

    @property
    def live_sessions(self) -> list[Activity]:
        return [a for a in self.activities if a.kind == ActivityKind.LIVE]

    @property
    def on_demand(self) -> list[Activity]:
        return [a for a in self.activities if a.kind == ActivityKind.ON_DEMAND]

    def next_session(self, now: datetime) -> Activity | None:
        upcoming = [a for a in self.live_sessions if a.ends_at and a.ends_at > now]
        return min(upcoming, key=lambda a: a.starts_at or now, default=None)


@dataclass(frozen=True)
class CatalogQuery:
    q: str = ""
    tag: str = ""
    format: str = ""  # "", "live" or "on_demand"
    page: int = 1


class CatalogService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    # -- reading -----------------------------------------------------------------------
    async def search(self, viewer: User | None, query: CatalogQuery) -> list[CourseView]:
        """Published courses matching ``query``; admins and faculty also see their drafts."""
        stmt = select(Course)
        if permissions.is_admin(viewer):
            pass
        elif viewer is not None and viewer.can_teach:
            mine = select(CourseFaculty.course_id).where(CourseFaculty.user_id == viewer.id)
            stmt = stmt.where(or_(col(Course.published), col(Course.id).in_(mine)))
        else:
            stmt = stmt.where(col(Course.published))
        if query.q.strip():
            text = query.q
            stmt = stmt.where(
                or_(
                    contains(Course.title, text),
                    contains(Course.summary, text),
                    contains(Course.description, text),
                    exists().where(
                        col(CourseTag.course_id) == Course.id, contains(CourseTag.tag, text)
                    ),
                )
            )
        if query.tag:
            stmt = stmt.where(
                exists().where(
                    col(CourseTag.course_id) == Course.id, col(CourseTag.tag) == query.tag
                )
            )
        if query.format in (ActivityKind.LIVE, ActivityKind.ON_DEMAND):
            stmt = stmt.where(
                exists().where(
                    col(Activity.course_id) == Course.id, col(Activity.kind) == query.format
                )
            )
        page = max(1, query.page)
        stmt = stmt.order_by(col(Course.title), col(Course.id))
        stmt = stmt.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
        courses = list((await self.session.exec(stmt)).all())
        return await self._views(courses)

    async def _views(self, courses: Sequence[Course]) -> list[CourseView]:
        ids = [c.id for c in courses if c.id is not None]
        if not ids:
            return []
        views = {c.id: CourseView(course=c) for c in courses}
        tags = await self.session.exec(
            select(CourseTag).where(col(CourseTag.course_id).in_(ids)).order_by(col(CourseTag.tag))
        )
        for tag in tags.all():
            views[tag.course_id].tags.append(tag.tag)
        faculty = await self.session.exec(
            select(CourseFaculty.course_id, User)
            .join(User, col(User.id) == CourseFaculty.user_id)
            .where(col(CourseFaculty.course_id).in_(ids))
            .order_by(col(User.display_name))
        )
        for course_id, user in faculty.all():
            views[course_id].faculty.append(user)
        activities = await self.session.exec(
            select(Activity)
            .where(col(Activity.course_id).in_(ids))
            .order_by(col(Activity.position), col(Activity.id))
        )
        for activity in activities.all():
            views[activity.course_id].activities.append(activity)
        return [views[c.id] for c in courses]

    async def all_tags(self) -> list[str]:
        stmt = (
            select(CourseTag.tag)
            .join(Course, col(Course.id) == CourseTag.course_id)
            .where(col(Course.published))
            .distinct()
            .order_by(col(CourseTag.tag))
        )
        return list((await self.session.exec(stmt)).all())

    async def course(self, course_id: int, viewer: User | None) -> CourseView:
        course = await self.session.get(Course, course_id)
        if course is None:
            raise CourseNotFound(f"There is no course with id {course_id}.")
        view = (await self._views([course]))[0]
        if not permissions.can_view_course(viewer, course, view.faculty_ids):
            # An unpublished course is not acknowledged to exist.
            raise CourseNotFound(f"There is no course with id {course_id}.")
        return view

    async def managed_course(self, course_id: int, actor: User) -> CourseView:
        view = await self.course(course_id, actor)
        if not permissions.can_manage_course(actor, view.faculty_ids):
            raise PermissionDenied("Only this course's faculty and administrators may do that.")
        return view

    async def activity(self, activity_id: int, viewer: User | None) -> tuple[Activity, CourseView]:
        activity = await self.session.get(Activity, activity_id)
        if activity is None:
            raise ActivityNotFound(f"There is no activity with id {activity_id}.")
        try:
            view = await self.course(activity.course_id, viewer)
        except CourseNotFound:
            raise ActivityNotFound(f"There is no activity with id {activity_id}.") from None
        return activity, view

    async def managed_courses(self, actor: User) -> list[CourseView]:
        stmt = select(Course).order_by(col(Course.title), col(Course.id))
        if not permissions.is_admin(actor):
            mine = select(CourseFaculty.course_id).where(CourseFaculty.user_id == actor.id)
            stmt = stmt.where(col(Course.id).in_(mine))
        return await self._views(list((await self.session.exec(stmt)).all()))

    async def teachers(self) -> list[User]:
        stmt = (
            select(User)
            .where(col(User.role).in_([Role.FACULTY.value, Role.ADMIN.value]), col(User.is_active))
            .order_by(col(User.display_name))
        )
        return list((await self.session.exec(stmt)).all())

    # -- writing -----------------------------------------------------------------------
    async def create_course(self, data: Mapping[str, Any], actor: User) -> Course:
        if not permissions.can_create_course(actor):
            raise PermissionDenied("Only administrators may create courses.")
        values = parse(CourseInput, data)
        slug = values.slug_or_default()
        await self._check_slug(slug, None)
        now = self.clock.now()
        course = Course(
            slug=slug,
            title=values.title,
            summary=values.summary,
            description=values.description,
            published=values.published,
            capacity=values.capacity,
            created_at=now,
            updated_at=now,
        )
        self.session.add(course)
        await self._flush_course(slug)
        await self._set_tags(course, values.tags)
        await self._set_faculty(course, values.faculty_ids)
        return course

    async def update_course(self, course_id: int, data: Mapping[str, Any], actor: User) -> Course:
        """Change a course. Faculty may edit content; publishing and faculty are admin's."""
        view = await self.managed_course(course_id, actor)
        course = view.course
        merged = {
            "title": course.title,
            "slug": course.slug,
            "summary": course.summary,
            "description": course.description,
            "tags": view.tags,
            "published": course.published,
            "capacity": course.capacity,
            "faculty_ids": sorted(view.faculty_ids),
            **data,
        }
        values = parse(CourseInput, merged)
        if not permissions.is_admin(actor):
            admin_only = {
                "published": values.published != course.published,
                "faculty_ids": set(values.faculty_ids) != view.faculty_ids,
                "capacity": values.capacity != course.capacity,
            }
            changed = [name for name, differs in admin_only.items() if differs]
            if changed:
                raise PermissionDenied(
                    "Only administrators may change " + ", ".join(changed) + " of a course."
                )
        slug = values.slug_or_default()
        await self._check_slug(slug, course.id)
        course.title = values.title
        course.slug = slug
        course.summary = values.summary
        course.description = values.description
        course.published = values.published
        course.capacity = values.capacity
        course.updated_at = self.clock.now()
        self.session.add(course)
        await self._flush_course(slug)
        await self._set_tags(course, values.tags)
        await self._set_faculty(course, values.faculty_ids)
        if course.id is not None:
            await EnrollmentService(self.session, self.clock).fill_open_seats(course.id)
        return course

    async def _flush_course(self, slug: str) -> None:
        try:
            await self.session.flush()
        except IntegrityError:
            # A concurrent save took the slug between our check and this write.
            raise SlugTaken(
                f"Another course already uses the address {slug!r}; choose another."
            ) from None

    async def _check_slug(self, slug: str, course_id: int | None) -> None:
        stmt = select(Course.id).where(Course.slug == slug)
        if course_id is not None:
            stmt = stmt.where(Course.id != course_id)
        if (await self.session.exec(stmt)).first() is not None:
            raise SlugTaken(f"Another course already uses the address {slug!r}; choose another.")

    async def _set_tags(self, course: Course, tags: list[str]) -> None:
        await self.session.exec(delete(CourseTag).where(col(CourseTag.course_id) == course.id))
        self.session.add_all(CourseTag(course_id=course.id or 0, tag=t) for t in tags)
        await self.session.flush()

    async def _set_faculty(self, course: Course, user_ids: list[int]) -> None:
        ids = sorted(set(user_ids))
        if ids:
            # Ids beyond a 32-bit column name nobody; PostgreSQL refuses to compare them.
            storable = [i for i in ids if 0 < i <= MAX_ID]
            found = await self.session.exec(
                select(User.id).where(
                    col(User.id).in_(storable),
                    col(User.role).in_([Role.FACULTY.value, Role.ADMIN.value]),
                )
            )
            unknown = set(ids) - set(found.all())
            if unknown:
                raise InvalidInput(
                    {"faculty_ids": "Faculty must be users with the faculty or admin role "
                     f"(not: {', '.join(map(str, sorted(unknown)))})."}
                )
        await self.session.exec(
            delete(CourseFaculty).where(col(CourseFaculty.course_id) == course.id)
        )
        self.session.add_all(CourseFaculty(course_id=course.id or 0, user_id=i) for i in ids)
        await self.session.flush()

    async def add_activity(self, course_id: int, data: Mapping[str, Any], actor: User) -> Activity:
        view = await self.managed_course(course_id, actor)
        values = parse(ActivityInput, data)
        now = self.clock.now()
        position = max((a.position for a in view.activities), default=0) + 1
        activity = Activity(
            course_id=course_id, kind=values.kind.value, title=values.title, position=position,
            created_at=now, updated_at=now,
        )
        self._apply(activity, values)
        self.session.add(activity)
        await self.session.flush()
        return activity

    async def update_activity(
        self, activity_id: int, data: Mapping[str, Any], actor: User
    ) -> Activity:
        activity, view = await self.activity(activity_id, actor)
        if not permissions.can_manage_course(actor, view.faculty_ids):
            raise PermissionDenied("Only this course's faculty and administrators may do that.")
        current: dict[str, Any] = {
            "kind": activity.kind,
            "title": activity.title,
            "description": activity.description,
            "timezone": activity.timezone,
            "starts_at": activity.starts_at,
            "ends_at": activity.ends_at,
            "capacity": activity.capacity,
            "duration_minutes": activity.duration_minutes,
            "auto_record": activity.auto_record,
        }
        values = parse(ActivityInput, {**current, **data})
        self._apply(activity, values)
        activity.updated_at = self.clock.now()
        self.session.add(activity)
        await self.session.flush()
        return activity

    async def delete_activity(self, activity_id: int, actor: User) -> None:
        activity, view = await self.activity(activity_id, actor)
        if not permissions.can_manage_course(actor, view.faculty_ids):
            raise PermissionDenied("Only this course's faculty and administrators may do that.")
        await self.ensure_removable(activity)
        await self.session.delete(activity)
        await self.session.flush()

    async def ensure_removable(self, activity: Activity) -> None:
        """Refuse to remove an activity that learners hold credit claims or certificates
        for: those records are kept at least six years, and name the activity."""
        for model, what in ((CreditClaim, "credit claims"), (Certificate, "certificates")):
            held = await self.session.exec(
                select(model.id).where(col(model.activity_id) == activity.id).limit(1)
            )
            if held.first() is not None:
                raise ActivityHasRecords(
                    f"“{activity.title}” cannot be removed: learners hold {what} for it, "
                    "which are kept for at least six years. Unpublish its course instead."
                )

    @staticmethod
    def _apply(activity: Activity, values: ActivityInput) -> None:
        activity.kind = values.kind.value
        activity.title = values.title
        activity.description = values.description
        activity.timezone = values.timezone
        activity.starts_at = values.starts_at
        activity.ends_at = values.ends_at
        activity.capacity = values.capacity
        activity.duration_minutes = values.duration_minutes
        activity.auto_record = values.auto_record
