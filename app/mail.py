"""Outgoing mail: SMTP when ``SMTP_URL`` is set, otherwise the message goes to the log.

Every message sent, or without SMTP the one that would have been sent, is also handed to a
``MailRecorder`` when the app wires one in (``app.mail_records``: the rows the outbox page
lists). The mailer itself needs no database: without a recorder it only sends and logs."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import EmailMessage
from enum import StrEnum
from typing import Protocol
from urllib.parse import unquote, urlsplit

import structlog

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Attachment:
    """A file sent with a message: an invitation's .ics, say."""

    filename: str
    content_type: str
    """``maintype/subtype``, with parameters if any: ``text/calendar; method=REQUEST``."""
    data: bytes


HIDDEN = "[hidden]"
"""What a message's secrets (``Message.redact``) read as in the mail records."""


@dataclass(frozen=True)
class Message:
    to: str
    subject: str
    body: str
    attachments: tuple[Attachment, ...] = ()
    kind: str = ""
    """What it is, for the mail records: invitation, reminder, recording_ready, ..."""
    redact: tuple[str, ...] = ()
    """Secrets in the body (a password-reset link) that only the recipient may read: the
    mail records keep the body with each of them replaced by ``HIDDEN``."""

    @property
    def recorded_body(self) -> str:
        body = self.body
        for secret in self.redact:
            if secret:
                body = body.replace(secret, HIDDEN)
        return body


class Transport(StrEnum):
    """What became of a message, as its record says."""

    SMTP = "smtp"
    """Handed to the SMTP server."""
    OUTBOX = "outbox"
    """No SMTP configured: logged and kept in the outbox, not delivered."""
    FAILED = "failed"
    """The SMTP server could not be reached or refused it."""


class MailRecorder(Protocol):
    async def record(self, message: Message, transport: Transport, error: str = "") -> None:
        """Keep a record of ``message`` and what became of it."""


class Mailer:
    def __init__(self, smtp_url: str, sender: str, recorder: MailRecorder | None = None) -> None:
        self.smtp_url = smtp_url
        self.sender = sender
        self.recorder = recorder

    @property
    def configured(self) -> bool:
        return bool(self.smtp_url)

    async def send(self, message: Message) -> None:
        """Deliver ``message`` (or log it without SMTP) and record it; an SMTP error is
        recorded, then raised to the caller."""
        if not self.smtp_url:
            log.warning(
                "mail.not_sent_no_smtp",
                to=message.to,
                kind=message.kind,
                subject=message.subject,
                body=message.body,
                attachments=[
                    f"{a.filename} ({a.content_type}, {len(a.data)} bytes)"
                    for a in message.attachments
                ],
                hint="set SMTP_URL to deliver mail",
            )
            await self._record(message, Transport.OUTBOX)
            return
        try:
            await asyncio.to_thread(self._send_blocking, message)
        except Exception as exc:
            await self._record(message, Transport.FAILED, f"{type(exc).__name__}: {exc}")
            raise
        await self._record(message, Transport.SMTP)
        log.info(
            "mail.sent",
            to=message.to,
            kind=message.kind,
            subject=message.subject,
            attachments=[a.filename for a in message.attachments],
        )

    async def _record(self, message: Message, transport: Transport, error: str = "") -> None:
        """A record that cannot be written is logged: the mail itself went (or did not) all
        the same, and the caller's work must not fail for it."""
        if self.recorder is None:
            return
        try:
            await self.recorder.record(message, transport, error)
        except Exception as exc:
            log.warning("mail.record_failed", to=message.to, kind=message.kind,
                        transport=transport.value, error=repr(exc))

    def compose(self, message: Message) -> EmailMessage:
        """The message as it goes over SMTP: the text body, then each attachment."""
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.to
        email["Subject"] = message.subject
        email.set_content(message.body)
        for attachment in message.attachments:
            kind, _, params = attachment.content_type.partition(";")
            maintype, _, subtype = kind.strip().partition("/")
            email.add_attachment(
                attachment.data,
                maintype=maintype,
                subtype=subtype,
                filename=attachment.filename,
                params=_params(params),
            )
        return email

    def _send_blocking(self, message: Message) -> None:
        url = urlsplit(self.smtp_url)
        email = self.compose(message)
        host = url.hostname or "localhost"
        if url.scheme == "smtps":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                host, url.port or 465, context=ssl.create_default_context(), timeout=30
            )
        else:
            client = smtplib.SMTP(host, url.port or 25, timeout=30)
        with client:
            if url.scheme == "smtp+starttls":
                client.starttls(context=ssl.create_default_context())
            if url.username:
                client.login(unquote(url.username), unquote(url.password or ""))
            client.send_message(email)



async def send_each(mailer: Mailer, messages: Iterable[Message], **about: object) -> int:
    """Send every message, one failure not stopping the rest (it is logged); returns how
    many went. ``about`` goes into the log line."""
    sent = 0
    for message in messages:
        try:
            await mailer.send(message)
        except Exception:
            log.exception("mail.not_sent", kind=message.kind, to=message.to, **about)
            continue
        sent += 1
    return sent


def _params(text: str) -> dict[str, str]:
    """``"; method=REQUEST; charset=utf-8"`` as ``{"method": "REQUEST", "charset": "utf-8"}``."""
    found: dict[str, str] = {}
    for part in text.split(";"):
        key, _, value = part.partition("=")
        if key.strip() and value.strip():
            found[key.strip()] = value.strip().strip('"')
    return found
