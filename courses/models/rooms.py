"""Who may come into a live room: its guest policy, and the people removed from it for good.

A room is a course live session's ("activity-N") or a meeting's ("meeting-N"). The lock and
the waiting room are the running room's state (app.signaling); what must outlive the process
is kept here."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, String
from sqlmodel import Field, SQLModel

import courses.models.base  # noqa: F401  (naming conventions first)
from courses.models.types import UTCDateTime


class GuestPolicy(StrEnum):
    """What happens to someone who is not a host when they come to the room."""

    ADMIT = "admit"
    """Everyone with a valid link comes straight in."""
    ASK = "ask"
    """Everyone but the hosts waits in the lobby until a host admits them."""
    SIGNED_IN = "signed_in"
    """People signed in to Rounds come straight in; guests wait for a host."""
    DENY = "deny"
    """People signed in come straight in; guests are turned away."""


class RoomSetting(SQLModel, table=True):
    """A room's guest policy as its host last set it (rooms without a row use the default
    ``courses.rooms.DEFAULT_POLICY``)."""

    __tablename__ = "room_settings"

    room_id: str = Field(sa_column=Column(String(64), primary_key=True))
    guest_policy: str = Field(max_length=16)
    updated_by: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class RoomBan(SQLModel, table=True):
    """Someone a host removed without letting them back: a user, or a meeting's guest."""

    __tablename__ = "room_bans"
    __table_args__ = (
        CheckConstraint("(user_id IS NULL) <> (guest_id IS NULL)", name="user_or_guest"),
    )

    id: int | None = Field(default=None, primary_key=True)
    room_id: str = Field(max_length=64, index=True)
    user_id: int | None = Field(
        default=None, foreign_key="users.id", index=True, ondelete="CASCADE"
    )
    guest_id: int | None = Field(
        default=None, foreign_key="meeting_invitees.id", index=True, ondelete="CASCADE"
    )
    display_name: str = Field(max_length=200)
    banned_by: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    banned_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
