"""In-room chat, kept with the live session (or meeting) it was sent in, for the transcript."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, String, Text
from sqlmodel import Field, SQLModel

import courses.models.base  # noqa: F401  (naming conventions first)
from courses.models.types import UTCDateTime


class ChatMessage(SQLModel, table=True):
    """One chat message as the room delivered it. Rows are never edited.

    ``activity_id`` is set for a course session's room ("activity-N"), ``meeting_id`` for a
    meeting's ("meeting-N");
    ``user_id`` is None for a sender without an account (a guest) or one deleted since; the
    name is kept as it was shown in the room."""

    __tablename__ = "chat_messages"

    id: int | None = Field(default=None, primary_key=True)
    room_id: str = Field(max_length=64, index=True)
    activity_id: int | None = Field(
        default=None, foreign_key="activities.id", index=True, ondelete="CASCADE"
    )
    meeting_id: int | None = Field(
        default=None, foreign_key="meetings.id", index=True, ondelete="CASCADE"
    )
    user_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    participant_id: str = Field(sa_column=Column(String(100), nullable=False))
    sender_name: str = Field(max_length=200)
    # "everyone", or "hosts": seen only by the room's hosts and the sender.
    audience: str = Field(max_length=16)
    text: str = Field(sa_column=Column(Text, nullable=False))
    sent_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
