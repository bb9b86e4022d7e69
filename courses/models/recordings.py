"""Recordings of live rooms, the media jobs that turn them into replays, and what each learner
has really watched of a replay."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

import courses.models.base  # noqa: F401  (naming conventions first)
from courses.models.types import UTCDateTime


class RecordingState(StrEnum):
    RECORDING = "recording"
    """The live server is writing its raw tracks."""
    PROCESSING = "processing"
    """Stopped (or the server died); a compose job is queued or running."""
    READY = "ready"
    """The MP4, the HLS ladder and the poster exist and were verified."""
    FAILED = "failed"
    """The last compose job failed; the raw tracks are kept for a retry."""


class RecordingVisibility(StrEnum):
    PRIVATE = "private"
    """Faculty and admins of the course, and the people who were in the room."""
    PUBLISHED = "published"
    """An on-demand activity of the course: its enrolled learners watch it."""


class Layout(StrEnum):
    PRESENTER = "presenter"
    SPEAKER = "speaker"
    GRID = "grid"


class Recording(SQLModel, table=True):
    __tablename__ = "recordings"

    id: int | None = Field(default=None, primary_key=True)
    room_id: str = Field(max_length=64, index=True)
    # The live session recorded (None for an ad hoc room), and the course it belongs to.
    activity_id: int | None = Field(
        default=None, foreign_key="activities.id", index=True, ondelete="SET NULL"
    )
    course_id: int | None = Field(
        default=None, foreign_key="courses.id", index=True, ondelete="SET NULL"
    )
    started_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    title: str = Field(max_length=200)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    state: str = Field(max_length=16, index=True)
    visibility: str = Field(default=RecordingVisibility.PRIVATE, max_length=16)
    layout: str = Field(default=Layout.PRESENTER, max_length=16)
    # Folders under the media root: the raw tracks, and the composed outputs.
    raw_path: str = Field(sa_column=Column(String(300), nullable=False))
    output_path: str = Field(default="", sa_column=Column(String(300), nullable=False, default=""))
    started_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    stopped_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    duration_seconds: float | None = Field(default=None)
    # [{"start": seconds, "title": "..."}], from screen-share and speaker changes; editable.
    chapters_json: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    error: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    # When the outputs were verified, and when the raw tracks were removed (retention).
    verified_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    raw_removed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    # The on-demand activity it was published as.
    published_activity_id: int | None = Field(
        default=None, foreign_key="activities.id", index=True, ondelete="SET NULL"
    )
    published_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class RecordingParticipant(SQLModel, table=True):
    """Who was in the room while it recorded: they may watch a private recording."""

    __tablename__ = "recording_participants"

    recording_id: int = Field(foreign_key="recordings.id", primary_key=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="users.id", primary_key=True, ondelete="CASCADE")


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    RETRYING = "retrying"
    """Failed an attempt; waits for its backoff before the next."""
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


class MediaJob(SQLModel, table=True):
    """One job of the media worker (compose a recording). The queue library moves the work;
    this row is what people see: state, progress, attempts and the error."""

    __tablename__ = "media_jobs"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)
    recording_id: int | None = Field(
        default=None, foreign_key="recordings.id", index=True, ondelete="CASCADE"
    )
    state: str = Field(max_length=16, index=True)
    progress: float = Field(default=0.0)
    """Percent, 0 to 100."""
    stage: str = Field(default="", max_length=64)
    attempts: int = Field(default=0)
    max_attempts: int = Field(default=3)
    error: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    cancel_requested: bool = Field(default=False)
    queue_key: str = Field(default="", max_length=100)
    """The job's key in the queue library, when Redis carries the jobs."""
    worker: str = Field(default="", max_length=100)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    started_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    next_attempt_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class WatchProgress(SQLModel, table=True):
    """What one learner has played of one recording: merged intervals, never claimed."""

    __tablename__ = "watch_progress"
    __table_args__ = (
        UniqueConstraint("recording_id", "user_id", name="uq_watch_progress_recording_id_user_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    recording_id: int = Field(foreign_key="recordings.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    # [[start, end], ...] in seconds, sorted and disjoint.
    intervals_json: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    watched_seconds: float = Field(default=0.0)
    duration_seconds: float = Field(default=0.0)
    position_seconds: float = Field(default=0.0)
    """Where to resume."""
    # The media time and wall time of the last accepted heartbeat: a range may not grow
    # faster than real time since then.
    last_heartbeat_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    completed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
