"""Helpers the page tests share: a recording mail transport and readers for rendered pages."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from app.mail import Mailer, Message
from courses.models import User


class RecordingMailer(Mailer):
    """The mail transport, replaced by a list: what would have been sent, in order."""

    def __init__(self) -> None:
        super().__init__("", "Rounds <rounds@test.example>")
        self.sent: list[Message] = []

    async def send(self, message: Message) -> None:
        self.sent.append(message)


@dataclass
class Cast:
    """One person of each kind the permission rules tell apart."""

    admin: User
    faculty: User  # teaches the courses the tests make with faculty_ids=[faculty.id]
    other_faculty: User  # faculty, but not of those courses
    learner: User


def reset_path(message: Message) -> str:
    """The /password/reset/... path of the link in a reset mail."""
    found = re.search(r"https?://[^/\s]+(/password/reset/[A-Za-z0-9_\-]+)\s", message.body)
    assert found, message.body
    return found.group(1)


def text_of(page: str) -> str:
    """The page's visible text with tags dropped and whitespace collapsed."""
    without_tags = re.sub(r"<[^>]+>", " ", page)
    return re.sub(r"\s+", " ", html.unescape(without_tags)).strip()


def flashes(page: str) -> list[str]:
    """The one-time messages shown at the top of a page."""
    found = re.findall(r'<div class="flash flash-\w+" role="\w+">(.*?)</div>', page, re.S)
    return [text_of(f) for f in found]


def field_error(page: str, name: str) -> str | None:
    """The error message shown next to form field ``name``, if any."""
    found = re.search(rf'<p class="error" id="e-{re.escape(name)}">(.*?)</p>', page, re.S)
    return text_of(found.group(1)) if found else None


def input_value(page: str, name: str) -> str | None:
    """The value an <input name=...> carries back to the browser."""
    tag = re.search(rf'<input[^>]*\bname="{re.escape(name)}"[^>]*>', page, re.S)
    if not tag:
        return None
    value = re.search(r'\bvalue="([^"]*)"', tag.group(0))
    return html.unescape(value.group(1)) if value else None
