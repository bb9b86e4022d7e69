"""Mail Rounds sent (or, without SMTP, would have sent), and the reminders already sent, so
that each goes out once however many workers sweep."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

import courses.models.base  # noqa: F401  (naming conventions first)
from courses.models.types import UTCDateTime


class MailRecord(SQLModel, table=True):
    """One outgoing message: the development outbox page lists these, and they are the
    log of what went out by SMTP. Attachments are named, not kept."""

    __tablename__ = "mail_records"

    id: int | None = Field(default=None, primary_key=True)
    recipient: str = Field(sa_column=Column(String(320), nullable=False, index=True))
    subject: str = Field(max_length=300)
    body: str = Field(sa_column=Column(Text, nullable=False))
    # invitation, reminder, recording_ready, certificate_issued, password_reset, ...
    kind: str = Field(default="", max_length=32)
    attachments: str = Field(default="", max_length=500)
    # "smtp" (handed to the SMTP server), "outbox" (no SMTP configured), "failed"
    transport: str = Field(max_length=16)
    error: str = Field(default="", max_length=500)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))


class ReminderSent(SQLModel, table=True):
    """A reminder that went out: for which live session or meeting occurrence, to whom, and
    which lead ("day" or "15min")."""

    __tablename__ = "reminders_sent"
    __table_args__ = (
        UniqueConstraint(
            "subject_key", "occurrence_at", "recipient", "lead",
            name="uq_reminders_sent_subject_key_occurrence_at_recipient_lead",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    # "activity:12" or "meeting:3"
    subject_key: str = Field(sa_column=Column(String(40), nullable=False, index=True))
    occurrence_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    recipient: str = Field(sa_column=Column(String(320), nullable=False))
    lead: str = Field(max_length=8)
    sent_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
