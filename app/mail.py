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
class Message:
    to: str
    subject: str
    body: str


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
                hint="set SMTP_URL to deliver mail",
            )
            return
        await asyncio.to_thread(self._send_blocking, message)
        log.info("mail.sent", to=message.to, subject=message.subject)

    def _send_blocking(self, message: Message) -> None:
        url = urlsplit(self.smtp_url)
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.to
        email["Subject"] = message.subject
        email.set_content(message.body)
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
