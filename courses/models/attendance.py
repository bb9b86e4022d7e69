"""Who was in a live session's room, and when: one row per media connection, plus the
corrections administrators make (kept as an append-only audit trail)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, String, Text
from sqlmodel import Field, SQLModel

import courses.models.base  # noqa: F401  (naming conventions first)
from courses.models.types import UTCDateTime


class AttendanceSpan(SQLModel, table=True):
    """One participant connection to a live room: from the moment its media came up (ICE and
    DTLS connected) to the moment it went away. A reconnect or a second device is a new row;
    ``left_at`` stays None while connected, or when the server died before saying so."""

    __tablename__ = "attendance_spans"

    id: int | None = Field(default=None, primary_key=True)
    activity_id: int = Field(foreign_key="activities.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    # The SFU's id for the connection: one join and at most one leave each.
    participant_id: str = Field(sa_column=Column(String(100), unique=True, nullable=False))
    room_id: str = Field(max_length=64)
    role: str = Field(default="", max_length=32)
    joined_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    left_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    # left, kicked or dropped (media.events.LeaveReason); "" while open.
    leave_reason: str = Field(default="", max_length=16)


class AdjustmentKind(StrEnum):
    ADD = "add"
    """Count this interval as attended (the learner was there, the media was not)."""
    REMOVE = "remove"
    """Do not count this interval (connected, but not attending)."""


class AttendanceAdjustment(SQLModel, table=True):
    """An administrator's correction to one learner's attendance of one session.

    Rows are never updated or deleted: to undo a correction, make the opposite one."""

    __tablename__ = "attendance_adjustments"

    id: int | None = Field(default=None, primary_key=True)
    activity_id: int = Field(foreign_key="activities.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    actor_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    kind: str = Field(max_length=16)
    starts_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    ends_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    reason: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
