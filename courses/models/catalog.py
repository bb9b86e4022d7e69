"""Courses and the activities inside them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, String, Text, UniqueConstraint, false, text
from sqlmodel import Field, SQLModel

import courses.models.base  # noqa: F401  (naming conventions first)
from courses.models.types import UTCDateTime


class ActivityKind(StrEnum):
    LIVE = "live"
    ON_DEMAND = "on_demand"


class Course(SQLModel, table=True):
    __tablename__ = "courses"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(sa_column=Column(String(80), unique=True, nullable=False, index=True))
    title: str = Field(max_length=200)
    summary: str = Field(default="", max_length=300)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    published: bool = Field(default=False, index=True)
    # Seats for enrollment; None means unlimited. Past it, learners join the waitlist.
    capacity: int | None = Field(default=None)
    # Bumped under lock whenever seats change hands: the write that serialises enrollment
    # in a course across processes, on SQLite and PostgreSQL alike.
    seats_version: int = Field(default=0)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class CourseTag(SQLModel, table=True):
    __tablename__ = "course_tags"

    course_id: int = Field(foreign_key="courses.id", primary_key=True, ondelete="CASCADE")
    tag: str = Field(primary_key=True, max_length=40, index=True)


class CourseFaculty(SQLModel, table=True):
    __tablename__ = "course_faculty"

    course_id: int = Field(foreign_key="courses.id", primary_key=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="users.id", primary_key=True, ondelete="CASCADE")


class Activity(SQLModel, table=True):
    """A live session (start, end, zone, room capacity) or an on-demand item."""

    __tablename__ = "activities"
    __table_args__ = (
        UniqueConstraint("course_id", "position", name="uq_activities_course_id_position"),
    )

    id: int | None = Field(default=None, primary_key=True)
    course_id: int = Field(foreign_key="courses.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=16)
    title: str = Field(max_length=200)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    position: int = Field(default=0)
    starts_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), index=True))
    ends_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    timezone: str | None = Field(default=None, max_length=64)
    # Most people in the live room at once; None means no limit beyond the server's.
    capacity: int | None = Field(default=None)
    duration_minutes: int | None = Field(default=None)
    # Live sessions: start recording when the room opens.
    auto_record: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    # -- accreditation (courses.accreditation) --
    # The session's actual live window, when an administrator corrects it; otherwise it is
    # taken from the faculty's media connections, inside the scheduled hours.
    live_started_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    live_ended_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    # Printed on certificates ("Online", "Grand Rounds Hall, St Mary's"); "" for none.
    location: str = Field(
        default="", max_length=200, sa_column_kwargs={"server_default": text("''")}
    )
    # ACCME PARS: commercial support received, from whom; competencies addressed.
    commercial_support: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    commercial_supporters: str = Field(
        default="", sa_column=Column(Text, nullable=False, default="", server_default=text("''"))
    )
    # Comma-separated competencies (e.g. "Patient care,Medical knowledge").
    competencies: str = Field(
        default="", max_length=500, sa_column_kwargs={"server_default": text("''")}
    )
    # On-demand: the watched percentage a learner needs for credit; None takes 95.
    credit_threshold_percent: int | None = Field(default=None)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))

    @property
    def kind_enum(self) -> ActivityKind:
        return ActivityKind(self.kind)

    @property
    def is_live(self) -> bool:
        return self.kind == ActivityKind.LIVE
