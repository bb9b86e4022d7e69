"""The texts of the notices Rounds mails: reminders before live sessions and meetings, a
recording ready or published, a certificate issued. Pure functions from records to
``Message``s; sending them is ``app.notify`` and ``app.reminders``.

Times are written in the event's own zone (the session's or the meeting's), the way its
invitation and its pages show them; links are absolute, on ``BASE_URL``.
"""

from __future__ import annotations

import math
from datetime import datetime

from app.mail import Message
from courses.certificate_pdf import verify_url
from courses.certificates import credit_lines
from courses.models import Certificate, Recording, User
from courses.profile import REMINDERS_LABEL
from courses.reminders import DueReminder, Lead, OccasionKind, Recipient
from courses.wallclock import local_text

REMINDER = "reminder"
RECORDING_READY = "recording_ready"
RECORDING_PUBLISHED = "recording_published"
CERTIFICATE_ISSUED = "certificate_issued"


def span_text(starts_at: datetime, ends_at: datetime, zone: str) -> str:
    """ "2026-12-07 09:00 EST to 10:00 (America/New_York)"; the end's date too when it
    falls on another day."""
    start, end = local_text(starts_at, zone), local_text(ends_at, zone)
    until = end[11:16] if end[:10] == start[:10] else end[:16]
    return f"{start} to {until} ({zone})"


def ahead_text(starts_at: datetime, now: datetime) -> str:
    """ "in 14 minutes", "in about 23 hours"."""
    seconds = max(0.0, (starts_at - now).total_seconds())
    if seconds < 3600:
        minutes = max(1, math.ceil(seconds / 60))
        return f"in {minutes} minute{'s' if minutes != 1 else ''}"
    hours = round(seconds / 3600)
    return f"in about {hours} hour{'s' if hours != 1 else ''}"


def _hello(name: str) -> str:
    return f"Hello {name},\n\n" if name.strip() else "Hello,\n\n"


def _reminder_links(reminder: DueReminder, base_url: str) -> str:
    occasion = reminder.occasion
    if occasion.kind is OccasionKind.LIVE_SESSION:
        return f"Join: {base_url}/activities/{occasion.subject_id}/live"
    if reminder.recipient.is_guest:
        return ("To join, use the link in your invitation: it is yours alone and lets you in "
                "under your name.")
    return (f"Join: {base_url}/meetings/{occasion.subject_id}/room\n"
            f"Details: {base_url}/meetings/{occasion.subject_id}")


def _opt_out(recipient: Recipient, organizer: str, base_url: str) -> str:
    if recipient.is_guest:
        who = organizer or "the organizer"
        return (f"You get this reminder because {who} invited you to this meeting. To get no "
                f"more reminders for it, ask {who} to take your address off the invitation.")
    return (f"You get reminders a day and 15 minutes before live sessions and meetings. To "
            f"turn them off, untick “{REMINDERS_LABEL}” on your profile: {base_url}/profile")


def reminder(due: DueReminder, base_url: str, now: datetime) -> Message:
    """A reminder of a live session or a meeting occurrence, to one recipient."""
    occasion = due.occasion
    if occasion.kind is OccasionKind.LIVE_SESSION:
        what = f"The live session “{occasion.title}” of the course “{occasion.context}”"
        organizer = ""
    else:
        organizer = occasion.context
        what = f"The meeting “{occasion.title}”"
        if organizer:
            what += f", organised by {organizer},"
    start = local_text(occasion.starts_at, occasion.timezone)
    subject = (f"Starting soon: {occasion.title}" if due.lead is Lead.SOON
               else f"Reminder: {occasion.title}, {start}")
    body = (
        f"{_hello(due.recipient.name)}{what} starts {ahead_text(occasion.starts_at, now)}.\n\n"
        f"When: {span_text(occasion.starts_at, occasion.ends_at, occasion.timezone)}\n"
        f"{_reminder_links(due, base_url)}\n\n"
        f"{_opt_out(due.recipient, organizer, base_url)}\n"
    )
    return Message(to=due.recipient.email, subject=subject, body=body, kind=REMINDER)


def recording_ready(
    recording: Recording, course_title: str | None, user: User, manages: bool, base_url: str
) -> Message:
    """To those who manage a newly ready recording (its starter, the course's faculty), and
    to the people who were in the room."""
    link = f"{base_url}/recordings/{recording.id}"
    length = ""
    if recording.duration_seconds:
        minutes = max(1, round(recording.duration_seconds / 60))
        length = f" ({minutes} minute{'s' if minutes != 1 else ''})"
    of = f" of the course “{course_title}”" if course_title else ""
    if manages:
        lead = (f"The recording “{recording.title}”{of}{length} has been composed and can be "
                f"watched: {link}\n\n")
        if course_title:
            lead += ("It is private for now: the course's faculty, administrators and the "
                     "people who were in the room can watch it. To edit its title and chapters, "
                     f"or to publish it for the course's enrolled learners: {link}/edit\n")
        else:
            lead += ("It was made outside any course, so it stays private to the people who "
                     f"were in the room. To edit its title and chapters: {link}/edit\n")
    else:
        lead = (f"The recording “{recording.title}”{of}{length}, of a session you were in, "
                f"can now be watched: {link}\n")
    return Message(to=user.email, subject=f"Recording ready: {recording.title}",
                   body=_hello(user.display_name) + lead, kind=RECORDING_READY)


def recording_published(
    recording: Recording, course_title: str, user: User, base_url: str
) -> Message:
    """To a course's enrolled learners when one of its recordings is first published."""
    body = (
        f"{_hello(user.display_name)}The recording “{recording.title}” was published in the "
        f"course “{course_title}”, and you can watch it now: "
        f"{base_url}/recordings/{recording.id}\n\n"
        "Rounds notes which parts you have really watched; where the activity offers credit, "
        f"its page says what is needed: {base_url}/activities/{recording.published_activity_id}\n"
    )
    return Message(to=user.email, subject=f"New in {course_title}: {recording.title}",
                   body=body, kind=RECORDING_PUBLISHED)


def certificate_issued(certificate: Certificate, user: User, base_url: str) -> Message:
    """To the learner, when a claim issues their certificate (or a new version of it)."""
    lines = "".join(f"- {c.credits} {c.unit}\n" for c in credit_lines(certificate))
    credit = f"Credit:\n{lines}\n" if lines else ""
    body = (
        f"{_hello(certificate.learner_name)}Your certificate for “{certificate.activity_title}” "
        f"({certificate.course_title}) was issued.\n\n{credit}"
        f"Download it (after signing in): {base_url}/certificates/{certificate.code}.pdf\n"
        f"Its verification code is {certificate.code}; anyone you show it to can confirm it "
        f"at {verify_url(base_url, certificate.code)}\n"
    )
    return Message(to=user.email, subject=f"Your certificate: {certificate.activity_title}",
                   body=body, kind=CERTIFICATE_ISSUED)
