"""Recordings as people see them: who may watch which, editing, and publishing to a course.

Who may see a recording (every page, API call and media file asks ``RecordingService.view``):
administrators; the faculty of its course; the people who were in the room (its
participants); and, once published, the learners enrolled in its course (when the course
itself is published). Anyone else is told it does not exist, as for an unpublished course.
Only the course's faculty and administrators see a recording before it is READY.

Publishing makes the recording an on-demand activity of its course (kind, title, description,
length, next position). Keeping it private again removes that activity, so enrolled learners no
longer see it; their watch progress is kept, because it belongs to the recording
(``WatchProgress.recording_id``), not to the activity, and it counts again if the recording is
published anew. A recording made outside any course (an ad hoc meeting) stays private.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog
from sqlalchemy import ColumnElement, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from courses import permissions
from courses.catalog import CatalogService
from courses.chapters import Chapter, chapters_json, parse_chapters, stored_chapters
from courses.clock import Clock
from courses.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from courses.models import (
    Activity,
    ActivityKind,
    Course,
    CourseFaculty,
    Enrollment,
    EnrollmentStatus,
    Layout,
    Recording,
    RecordingParticipant,
    RecordingState,
    RecordingVisibility,
    User,
)
from courses.models.types import MAX_ID

log = structlog.get_logger(__name__)

MAX_TITLE = 200
MAX_DESCRIPTION = 20_000


class RecordingNotFound(NotFound):
    code = "recording_not_found"


class RecordingNotReady(Conflict):
    code = "recording_not_ready"


class RecordingNotPublishable(Conflict):
    code = "recording_not_publishable"


@dataclass
class RecordingView:
    """A recording with what its pages show and decide alongside it."""

    recording: Recording
    course: Course | None
    can_manage: bool
    chapters: list[Chapter] = field(default_factory=list)

    @property
    def id(self) -> int:
        return self.recording.id or 0

    @property
    def is_ready(self) -> bool:
        return self.recording.state == RecordingState.READY

    @property
    def is_published(self) -> bool:
        return self.recording.visibility == RecordingVisibility.PUBLISHED

    @property
    def can_publish(self) -> bool:
        return self.can_manage and self.is_ready and self.course is not None


@dataclass(frozen=True)
class Audience:
    """What one person's access to recordings depends on."""

    user: User
    taught: frozenset[int]  # course ids
    enrolled: frozenset[int]  # published course ids they are enrolled in
    present: frozenset[int]  # recording ids they were in the room for


def can_manage(audience: Audience, recording: Recording) -> bool:
    """Edit, publish, keep private: admins and the course's faculty; for a recording outside
    any course, admins and the teacher who started it."""
    user = audience.user
    if permissions.is_admin(user):
        return True
    if recording.course_id is None:
        return user.can_teach and recording.started_by_id == user.id
    return user.can_teach and recording.course_id in audience.taught


def can_view(audience: Audience, recording: Recording) -> bool:
    if can_manage(audience, recording):
        return True
    if recording.state != RecordingState.READY:
        return False
    if recording.id in audience.present:
        return True
    return (
        recording.visibility == RecordingVisibility.PUBLISHED
        and recording.course_id is not None
        and recording.course_id in audience.enrolled
    )


def duration_minutes(seconds: float | None) -> int:
    """A recording's length as an on-demand activity states it: whole minutes, rounded up."""
    return max(1, math.ceil((seconds or 0) / 60))


class RecordingService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock
        self.catalog = CatalogService(session, clock)

    # -- who may see what --------------------------------------------------------------------
    async def audience(self, user: User, recording_ids: Sequence[int] = ()) -> Audience:
        taught = await self.session.exec(
            select(CourseFaculty.course_id).where(CourseFaculty.user_id == user.id)
        )
        enrolled = await self.session.exec(
            select(Enrollment.course_id)
            .join(Course, col(Course.id) == Enrollment.course_id)
            .where(Enrollment.user_id == user.id,
                   Enrollment.status == EnrollmentStatus.ENROLLED, col(Course.published))
        )
        present = select(RecordingParticipant.recording_id).where(
            RecordingParticipant.user_id == user.id
        )
        if recording_ids:
            present = present.where(col(RecordingParticipant.recording_id).in_(recording_ids))
        return Audience(
            user=user,
            taught=frozenset(taught.all()),
            enrolled=frozenset(enrolled.all()),
            present=frozenset((await self.session.exec(present)).all()),
        )

    async def _views(
        self, recordings: Sequence[Recording], audience: Audience
    ) -> list[RecordingView]:
        course_ids = {r.course_id for r in recordings if r.course_id is not None}
        courses: dict[int, Course] = {}
        if course_ids:
            found = await self.session.exec(select(Course).where(col(Course.id).in_(course_ids)))
            courses = {c.id or 0: c for c in found.all()}
        return [
            RecordingView(
                recording=r,
                course=courses.get(r.course_id) if r.course_id is not None else None,
                can_manage=can_manage(audience, r),
                chapters=stored_chapters(r.chapters_json),
            )
            for r in recordings
        ]

    async def view(self, recording_id: int, viewer: User) -> RecordingView:
        """The recording, if ``viewer`` may see it; RecordingNotFound (404) otherwise."""
        recording = None
        if 0 < recording_id <= MAX_ID:
            recording = await self.session.get(Recording, recording_id)
        if recording is not None:
            audience = await self.audience(viewer, [recording_id])
            if can_view(audience, recording):
                return (await self._views([recording], audience))[0]
        raise RecordingNotFound(f"There is no recording with id {recording_id}.")

    async def managed(self, recording_id: int, actor: User) -> RecordingView:
        view = await self.view(recording_id, actor)
        if not view.can_manage:
            raise PermissionDenied("Only this course's faculty and administrators may do that.")
        return view

    async def choose_layout(self, recording_id: int, layout: object, actor: User) -> RecordingView:
        """Set the layout for the next composition, refusing what cannot be composed again
        (still recording or composing, or raw tracks already removed by retention)."""
        view = await self.managed(recording_id, actor)
        recording = view.recording
        if not isinstance(layout, str) or layout not in {item.value for item in Layout}:
            raise InvalidInput({"layout": "Choose presenter, speaker or grid."})
        if recording.state in (RecordingState.RECORDING, RecordingState.PROCESSING):
            raise RecordingNotReady(
                f"This recording is {recording.state}; compose it again once that has finished."
            )
        if recording.raw_removed_at is not None:
            raise RecordingNotReady(
                "Its raw tracks were removed after the outputs were verified (the retention "
                "setting), so it cannot be composed again."
            )
        recording.layout = layout
        recording.updated_at = self.clock.now()
        self.session.add(recording)
        await self.session.flush()
        log.info("recording.layout_chosen", recording_id=recording_id, layout=layout,
                 user_id=actor.id)
        return view

    async def playable(self, recording_id: int, viewer: User) -> RecordingView:
        """A recording ``viewer`` may watch now: visible and READY (409 while processing)."""
        view = await self.view(recording_id, viewer)
        if not view.is_ready:
            raise RecordingNotReady(
                f"This recording is {view.recording.state}: it can be played once it is ready."
            )
        return view

    async def visible(self, viewer: User) -> list[RecordingView]:
        """Every recording ``viewer`` may see, newest first."""
        stmt = select(Recording).order_by(col(Recording.started_at).desc(), col(Recording.id))
        audience = await self.audience(viewer)
        if not permissions.is_admin(viewer):
            present = sorted(audience.present) or [0]
            reachable: list[ColumnElement[bool]] = [col(Recording.id).in_(present)]
            if audience.taught and viewer.can_teach:
                reachable.append(col(Recording.course_id).in_(sorted(audience.taught)))
            if audience.enrolled:
                reachable.append(col(Recording.course_id).in_(sorted(audience.enrolled)))
            if viewer.can_teach:
                reachable.append(col(Recording.started_by_id) == viewer.id)
            stmt = stmt.where(or_(*reachable))
        found = [r for r in (await self.session.exec(stmt)).all() if can_view(audience, r)]
        return await self._views(found, audience)

    async def all(self, actor: User) -> list[RecordingView]:
        """Every recording, for the administrators' overview."""
        if not permissions.is_admin(actor):
            raise PermissionDenied("This needs the admin role; your account is "
                                   f"{actor.role}.")
        return await self.visible(actor)

    async def replay_of(self, activity_id: int) -> Recording | None:
        """The published recording an on-demand activity was made from, if any."""
        stmt = select(Recording).where(
            Recording.published_activity_id == activity_id,
            Recording.visibility == RecordingVisibility.PUBLISHED,
        )
        return (await self.session.exec(stmt)).first()

    # -- changing ----------------------------------------------------------------------------
    async def update(
        self, recording_id: int, data: Mapping[str, Any], actor: User
    ) -> RecordingView:
        """Change title, description and chapters (each optional); a published recording's
        activity follows."""
        view = await self.managed(recording_id, actor)
        self._apply(view, data)
        if view.is_published:
            await self._sync_activity(view, actor)
        await self.session.flush()
        log.info("recording.updated", recording_id=recording_id, user_id=actor.id,
                 fields=sorted(data))
        return view

    async def publish(
        self, recording_id: int, actor: User, data: Mapping[str, Any] | None = None
    ) -> RecordingView:
        """Make (or refresh) the on-demand activity its course's learners watch it through."""
        view = await self.managed(recording_id, actor)
        if data:
            self._apply(view, data)
        recording = view.recording
        if not view.is_ready:
            raise RecordingNotReady(
                f"This recording is {recording.state}: only a recording that has finished "
                "processing can be published."
            )
        if view.course is None:
            raise RecordingNotPublishable(
                "This recording was made outside any course (an ad hoc meeting): it stays "
                "private to the people who were in the room."
            )
        activity = await self._sync_activity(view, actor)
        if recording.visibility != RecordingVisibility.PUBLISHED:
            recording.published_at = self.clock.now()
        recording.visibility = RecordingVisibility.PUBLISHED.value
        recording.published_activity_id = activity.id
        recording.updated_at = self.clock.now()
        self.session.add(recording)
        await self.session.flush()
        log.info("recording.published", recording_id=recording_id, activity_id=activity.id,
                 course_id=recording.course_id, user_id=actor.id)
        return view

    async def make_private(self, recording_id: int, actor: User) -> RecordingView:
        """Back to its participants, faculty and admins; the activity goes, progress stays."""
        view = await self.managed(recording_id, actor)
        recording = view.recording
        activity_id = recording.published_activity_id
        if activity_id is not None:
            activity = await self.session.get(Activity, activity_id)
            if activity is not None:
                # credit claimed for it is kept six years: refuse with a message, not a crash
                await self.catalog.ensure_removable(activity)
                await self.session.delete(activity)
        recording.visibility = RecordingVisibility.PRIVATE.value
        recording.published_activity_id = None
        recording.published_at = None
        recording.updated_at = self.clock.now()
        self.session.add(recording)
        await self.session.flush()
        log.info("recording.made_private", recording_id=recording_id, activity_id=activity_id,
                 user_id=actor.id)
        return view

    def _apply(self, view: RecordingView, data: Mapping[str, Any]) -> None:
        recording = view.recording
        unknown = {k: "This field is not accepted here." for k in data
                   if k not in ("title", "description", "chapters")}
        if unknown:
            raise InvalidInput(unknown)
        errors: dict[str, str] = {}
        title = data.get("title", recording.title)
        if not isinstance(title, str) or not title.strip():
            errors["title"] = "Give the recording a title."
        elif len(title.strip()) > MAX_TITLE:
            errors["title"] = f"Use at most {MAX_TITLE} characters."
        description = data.get("description", recording.description)
        if not isinstance(description, str):
            errors["description"] = "Send the description as text."
        elif len(description.strip()) > MAX_DESCRIPTION:
            errors["description"] = f"Use at most {MAX_DESCRIPTION} characters."
        chapters = view.chapters
        if "chapters" in data:
            try:
                chapters = parse_chapters(data["chapters"], recording.duration_seconds)
            except ValueError as exc:
                errors["chapters"] = str(exc)
        if errors:
            raise InvalidInput(errors)
        assert isinstance(title, str) and isinstance(description, str)
        recording.title = title.strip()
        recording.description = description.strip().replace("\r\n", "\n")
        recording.chapters_json = chapters_json(chapters)
        recording.updated_at = self.clock.now()
        view.chapters = chapters
        self.session.add(recording)

    async def _sync_activity(self, view: RecordingView, actor: User) -> Activity:
        recording = view.recording
        assert recording.course_id is not None
        values = {
            "kind": ActivityKind.ON_DEMAND.value,
            "title": recording.title,
            "description": recording.description,
            "duration_minutes": duration_minutes(recording.duration_seconds),
        }
        current = (
            await self.session.get(Activity, recording.published_activity_id)
            if recording.published_activity_id is not None else None
        )
        if current is not None and current.course_id == recording.course_id:
            return await self.catalog.update_activity(current.id or 0, values, actor)
        return await self.catalog.add_activity(recording.course_id, values, actor)

