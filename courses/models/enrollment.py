"""Who is enrolled in which course, and who waits for a seat."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

import courses.models.base  # noqa: F401  (naming conventions first)
from courses.models.types import UTCDateTime


class EnrollmentStatus(StrEnum):
    ENROLLED = "enrolled"
    WAITLISTED = "waitlisted"
    WITHDRAWN = "withdrawn"


class Enrollment(SQLModel, table=True):
    """One row per learner and course; withdrawing and coming back reuse it."""

    __tablename__ = "enrollments"
    __table_args__ = (
        UniqueConstraint("course_id", "user_id", name="uq_enrollments_course_id_user_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    course_id: int = Field(foreign_key="courses.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    status: str = Field(max_length=16, index=True)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    enrolled_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    # The waitlist is served in order of this time (then id).
    waitlisted_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    withdrawn_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    enrolled_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")

    @property
    def status_enum(self) -> EnrollmentStatus:
        return EnrollmentStatus(self.status)
