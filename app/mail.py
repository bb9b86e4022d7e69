"""Outgoing mail: SMTP when ``SMTP_URL`` is set, otherwise the message goes to the log."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
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


@dataclass(frozen=True)
class Message:
    to: str
    subject: str
    body: str
    attachments: tuple[Attachment, ...] = ()


class Mailer:
    def __init__(self, smtp_url: str, sender: str) -> None:
        self.smtp_url = smtp_url
        self.sender = sender

    @property
    def configured(self) -> bool:
        return bool(self.smtp_url)

    async def send(self, message: Message) -> None:
        if not self.smtp_url:
            log.warning(
                "mail.not_sent_no_smtp",
                to=message.to,
                subject=message.subject,
                body=message.body,
                attachments=[
                    f"{a.filename} ({a.content_type}, {len(a.data)} bytes)"
                    for a in message.attachments
                ],
                hint="set SMTP_URL to deliver mail",
            )
            return
        await asyncio.to_thread(self._send_blocking, message)
        log.info(
            "mail.sent",
            to=message.to,
            subject=message.subject,
            attachments=[a.filename for a in message.attachments],
        )

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


def _params(text: str) -> dict[str, str]:
    """``"; method=REQUEST; charset=utf-8"`` as ``{"method": "REQUEST", "charset": "utf-8"}``."""
    found: dict[str, str] = {}
    for part in text.split(";"):
        key, _, value = part.partition("=")
        if key.strip() and value.strip():
            found[key.strip()] = value.strip().strip('"')
    return found
