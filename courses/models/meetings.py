"""Meetings (not course activities, no credit) and the people invited to them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Column, Date, String, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

import courses.models.base  # noqa: F401  (naming conventions first)
from courses.models.types import UTCDateTime


class Meeting(SQLModel, table=True):
    """One meeting, or a series: the first occurrence's times, the zone, how it repeats.

    ``sequence`` is the iCalendar SEQUENCE: it goes up with every change the invitees are
    sent (an edit, the cancellation), so their calendar programs take the newest one."""

    __tablename__ = "meetings"

    id: int | None = Field(default=None, primary_key=True)
    # The iCalendar UID: stable for the life of the meeting, unique across installations.
    uid: str = Field(sa_column=Column(String(120), unique=True, nullable=False))
    organizer_id: int = Field(foreign_key="users.id", index=True)
    title: str = Field(max_length=200)
    agenda: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    timezone: str = Field(max_length=64)
    starts_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    ends_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    # courses.recurrence.Frequency; with weekly or monthly, exactly one of count and until
    # (a date in the meeting's zone, inclusive).
    recurrence: str = Field(default="none", max_length=16)
    recurrence_count: int | None = Field(default=None)
    recurrence_until: date | None = Field(default=None, sa_column=Column(Date()))
    sequence: int = Field(default=0, sa_column_kwargs={"server_default": text("0")})
    cancelled_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))

    @property
    def cancelled(self) -> bool:
        return self.cancelled_at is not None


class MeetingInvitee(SQLModel, table=True):
    """Someone invited: a user of Rounds (``user_id``) or a guest known by email address.

    A guest's join link carries a random token of their own; only its SHA-256 is kept."""

    __tablename__ = "meeting_invitees"
    __table_args__ = (
        UniqueConstraint("meeting_id", "user_id", name="uq_meeting_invitees_meeting_id_user_id"),
        UniqueConstraint("meeting_id", "email", name="uq_meeting_invitees_meeting_id_email"),
        CheckConstraint("(user_id IS NULL) <> (email IS NULL)", name="user_or_guest"),
    )

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meetings.id", index=True, ondelete="CASCADE")
    user_id: int | None = Field(
        default=None, foreign_key="users.id", index=True, ondelete="CASCADE"
    )
    # Guests only: the address (normalised, lower case) and the name they gave, if any.
    email: str | None = Field(default=None, sa_column=Column(String(320)))
    name: str = Field(default="", max_length=120)
    guest_token_hash: str | None = Field(default=None, sa_column=Column(String(64), unique=True))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))

    @property
    def is_guest(self) -> bool:
        return self.user_id is None


class MeetingAttendance(SQLModel, table=True):
    """One connection to a meeting's room, from the moment its media came up to the moment it
    went away: a user (``user_id``) or a guest (``guest_id``), with the name shown in the room.
    ``occurrence_at`` is the start of the occurrence it belongs to (a series meets many times
    in one room); ``left_at`` stays None while connected."""

    __tablename__ = "meeting_attendance"

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meetings.id", index=True, ondelete="CASCADE")
    occurrence_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    participant_id: str = Field(sa_column=Column(String(100), unique=True, nullable=False))
    user_id: int | None = Field(
        default=None, foreign_key="users.id", index=True, ondelete="SET NULL"
    )
    guest_id: int | None = Field(
        default=None, foreign_key="meeting_invitees.id", ondelete="SET NULL"
    )
    display_name: str = Field(max_length=200)
    role: str = Field(default="", max_length=32)
    joined_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    left_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    # left, kicked or dropped (media.events.LeaveReason); "" while open.
    leave_reason: str = Field(default="", max_length=16)
