"""What people do in a live room besides talking: polls and their votes, audience questions
(Q&A) and their upvotes. Kept with the session or meeting, for reports and for the CME office's
evidence of engagement.

A voter or asker is a user (``user_id``) or a meeting guest (``guest_id``); ``voter_key``
("u:12", "g:7") makes one vote per person whatever device they use."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

import courses.models.base  # noqa: F401  (naming conventions first)
from courses.models.types import UTCDateTime


class PollKind(StrEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"


class Poll(SQLModel, table=True):
    """A poll a host put to the room. Its question and options never change once opened."""

    __tablename__ = "polls"

    id: int | None = Field(default=None, primary_key=True)
    room_id: str = Field(max_length=64, index=True)
    activity_id: int | None = Field(
        default=None, foreign_key="activities.id", index=True, ondelete="CASCADE"
    )
    meeting_id: int | None = Field(
        default=None, foreign_key="meetings.id", index=True, ondelete="CASCADE"
    )
    question: str = Field(sa_column=Column(Text, nullable=False))
    kind: str = Field(max_length=16)
    options: list[str] = Field(sa_column=Column(JSON, nullable=False))
    # Whether everyone sees the live results (hosts always do).
    results_shown: bool = Field(default=False)
    created_by: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    created_by_name: str = Field(max_length=200)
    opened_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    closed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class PollVote(SQLModel, table=True):
    """One person's answer to a poll: the indexes of the options they chose. Voting again
    while the poll is open replaces the answer."""

    __tablename__ = "poll_votes"
    __table_args__ = (
        UniqueConstraint("poll_id", "voter_key", name="uq_poll_votes_poll_id_voter_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    poll_id: int = Field(foreign_key="polls.id", index=True, ondelete="CASCADE")
    voter_key: str = Field(sa_column=Column(String(40), nullable=False))
    user_id: int | None = Field(
        default=None, foreign_key="users.id", index=True, ondelete="SET NULL"
    )
    guest_id: int | None = Field(
        default=None, foreign_key="meeting_invitees.id", ondelete="SET NULL"
    )
    voter_name: str = Field(max_length=200)
    choices: list[int] = Field(sa_column=Column(JSON, nullable=False))
    voted_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class AudienceQuestion(SQLModel, table=True):
    """A question someone asked in a lecture's Q&A (not an assessment question)."""

    __tablename__ = "audience_questions"

    id: int | None = Field(default=None, primary_key=True)
    room_id: str = Field(max_length=64, index=True)
    activity_id: int | None = Field(
        default=None, foreign_key="activities.id", index=True, ondelete="CASCADE"
    )
    meeting_id: int | None = Field(
        default=None, foreign_key="meetings.id", index=True, ondelete="CASCADE"
    )
    asker_key: str = Field(sa_column=Column(String(40), nullable=False))
    user_id: int | None = Field(
        default=None, foreign_key="users.id", index=True, ondelete="SET NULL"
    )
    guest_id: int | None = Field(
        default=None, foreign_key="meeting_invitees.id", ondelete="SET NULL"
    )
    asker_name: str = Field(max_length=200)
    text: str = Field(sa_column=Column(Text, nullable=False))
    asked_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    answered_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    # A host may hide a question (off topic, repeated); it stays in the record.
    dismissed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class QuestionUpvote(SQLModel, table=True):
    __tablename__ = "question_upvotes"
    __table_args__ = (
        UniqueConstraint(
            "question_id", "voter_key", name="uq_question_upvotes_question_id_voter_key"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    question_id: int = Field(foreign_key="audience_questions.id", index=True, ondelete="CASCADE")
    voter_key: str = Field(sa_column=Column(String(40), nullable=False))
    user_id: int | None = Field(
        default=None, foreign_key="users.id", index=True, ondelete="SET NULL"
    )
    guest_id: int | None = Field(
        default=None, foreign_key="meeting_invitees.id", ondelete="SET NULL"
    )
    voted_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


def options_of(poll: Poll) -> list[str]:
    """The poll's options as a list of str (JSON columns come back as Any)."""
    raw: Any = poll.options
    return [str(option) for option in raw]
