"""Who is told about a recording, following who may see it (``courses.recordings``).

Once it is ready: those who manage it (whoever started it, and its course's faculty), and the
people who were in the room, who may watch it from then on. Once it is published: the
learners enrolled in its course (a published course), who may watch it from then on.
Disabled accounts are told nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from courses.models import (
    Course,
    CourseFaculty,
    Enrollment,
    EnrollmentStatus,
    Recording,
    RecordingParticipant,
    User,
)


@dataclass(frozen=True)
class Told:
    user: User
    manages: bool
    """Whoever started it or teaches its course, rather than someone who was in the room."""


async def _users(session: AsyncSession, ids: set[int]) -> dict[int, User]:
    if not ids:
        return {}
    found = await session.exec(select(User).where(col(User.id).in_(ids)))
    return {u.id or 0: u for u in found.all() if u.is_active}


async def ready_audience(session: AsyncSession, recording: Recording) -> list[Told]:
    """Who hears that ``recording`` is ready: managers first, then participants; each once."""
    managers: set[int] = set()
    if recording.started_by_id is not None:
        managers.add(recording.started_by_id)
    if recording.course_id is not None:
        faculty = await session.exec(
            select(CourseFaculty.user_id).where(CourseFaculty.course_id == recording.course_id)
        )
        managers |= set(faculty.all())
    present = await session.exec(
        select(RecordingParticipant.user_id).where(
            RecordingParticipant.recording_id == recording.id
        )
    )
    participants = set(present.all()) - managers
    users = await _users(session, managers | participants)
    return [Told(users[i], True) for i in sorted(managers) if i in users] + [
        Told(users[i], False) for i in sorted(participants) if i in users
    ]


async def published_audience(session: AsyncSession, recording: Recording) -> list[User]:
    """The learners enrolled in the course ``recording`` was published in."""
    if recording.course_id is None:
        return []
    course = await session.get(Course, recording.course_id)
    if course is None or not course.published:
        return []
    enrolled = await session.exec(
        select(Enrollment.user_id).where(
            Enrollment.course_id == recording.course_id,
            Enrollment.status == EnrollmentStatus.ENROLLED,
        )
    )
    users = await _users(session, set(enrolled.all()))
    return [users[i] for i in sorted(users)]
