"""The mail records (``MailRecord``): every message the mailer handled and what became of it.

``MailLog`` is the mailer's recorder (``app.mail.MailRecorder``), writing one row per message
in a transaction of its own; ``outbox_page`` reads them back a page at a time for the outbox.
Attachments are named, not kept, and a message's secrets (``Message.redact``) are hidden.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db import Database
from app.mail import Message, Transport
from courses.clock import Clock
from courses.models import MailRecord
from courses.querying import contains

PAGE_SIZE = 25
MAX_PAGE = 10_000
MAX_RECIPIENT = 320
MAX_SUBJECT = 300
MAX_KIND = 32
MAX_ATTACHMENTS = 500
MAX_ERROR = 500


def _text(value: str, limit: int | None = None) -> str:
    """PostgreSQL stores no NUL in text; the columns have their lengths."""
    cleaned = value.replace("\x00", "")
    return cleaned if limit is None else cleaned[:limit]


class MailLog:
    """Writes a ``MailRecord`` for each message: ``Mailer(..., recorder=MailLog(db, clock))``."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def record(self, message: Message, transport: Transport, error: str = "") -> None:
        names = ", ".join(a.filename for a in message.attachments)
        async with self.db.session() as session:
            session.add(
                MailRecord(
                    recipient=_text(message.to, MAX_RECIPIENT),
                    subject=_text(message.subject, MAX_SUBJECT),
                    body=_text(message.recorded_body),
                    kind=_text(message.kind, MAX_KIND),
                    attachments=_text(names, MAX_ATTACHMENTS),
                    transport=transport.value,
                    error=_text(error, MAX_ERROR),
                    created_at=self.clock.now(),
                )
            )


@dataclass(frozen=True)
class OutboxPage:
    """One page of the records, newest first."""

    records: list[MailRecord]
    page: int
    has_next: bool
    recipient: str
    """The recipient filter (part of an address, any case); "" for everyone."""


async def outbox_page(session: AsyncSession, *, recipient: str = "", page: int = 1) -> OutboxPage:
    """Page ``page`` (from 1) of the records whose recipient contains ``recipient``."""
    page = max(1, min(page, MAX_PAGE))
    stmt = select(MailRecord)
    if recipient.strip():
        stmt = stmt.where(contains(MailRecord.recipient, recipient))
    stmt = (
        stmt.order_by(col(MailRecord.created_at).desc(), col(MailRecord.id).desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE + 1)
    )
    rows = list((await session.exec(stmt)).all())
    return OutboxPage(rows[:PAGE_SIZE], page, len(rows) > PAGE_SIZE, recipient.strip())
