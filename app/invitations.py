"""Meeting invitations and cancellations as mail, each with its .ics attached.

They go out after the change is committed; a message that cannot be sent is logged for the
operator and does not undo the change (the meeting's page and calendar file stay right)."""

from __future__ import annotations

from datetime import datetime

import structlog

from app.mail import Attachment, Mailer, Message, send_each
from courses.calendar_files import Method, calendar_file
from courses.meetings import MeetingChange, Notice
from courses.models import Meeting
from courses.recurrence import Frequency
from courses.wallclock import local_text

log = structlog.get_logger(__name__)


def when_text(meeting: Meeting) -> str:
    """ "2026-12-07 09:00 EST to 10:00 (America/New_York), weekly, 10 times"."""
    end = meeting.ends_at.astimezone(meeting.starts_at.tzinfo)
    text = (
        f"{local_text(meeting.starts_at, meeting.timezone)} to "
        f"{local_text(end, meeting.timezone)[11:16]} ({meeting.timezone})"
    )
    if meeting.recurrence != Frequency.NONE:
        text += f", {meeting.recurrence}"
        if meeting.recurrence_count is not None:
            text += f", {meeting.recurrence_count} times"
        elif meeting.recurrence_until is not None:
            text += f", until {meeting.recurrence_until.isoformat()}"
    return text


def _message(
    change: MeetingChange, notice: Notice, method: Method, base_url: str, stamp: datetime
) -> Message:
    meeting = change.meeting
    organizer = change.organizer.name or change.organizer.email
    greeting = f"Hello {notice.person.name},\n\n" if notice.person.name else "Hello,\n\n"
    if method is Method.CANCEL:
        subject = f"Cancelled: {meeting.title}"
        lead = f"{organizer} cancelled “{meeting.title}” ({when_text(meeting)})."
    else:
        subject = f"{'Updated invitation' if meeting.sequence else 'Invitation'}: {meeting.title}"
        lead = f"{organizer} invites you to “{meeting.title}”.\n\nWhen: {when_text(meeting)}"
        if meeting.agenda:
            lead += f"\n\nAgenda:\n{meeting.agenda}"
        if notice.guest and notice.guest_token:
            lead += (
                f"\n\nJoin: {base_url}/meetings/{meeting.id}/join/{notice.guest_token}\n"
                "This link is yours: it lets you in under your name; do not forward it. "
                "An updated invitation brings a new link, and the older one stops working."
            )
        elif not notice.guest:
            lead += (
                f"\n\nJoin: {base_url}/meetings/{meeting.id}/room"
                f"\nDetails: {base_url}/meetings/{meeting.id}"
            )
    body = (
        f"{greeting}{lead}\n\nThe attached calendar file (invite.ics) adds this to your "
        "calendar, or updates it there.\n"
    )
    data = calendar_file(meeting, change.organizer, [notice.person], method, stamp)
    attachment = Attachment(
        "invite.ics", f"text/calendar; method={method.value}; charset=utf-8", data
    )
    return Message(
        to=notice.person.email, subject=subject, body=body, attachments=(attachment,),
        kind="cancellation" if method is Method.CANCEL else "invitation",
        # a guest's join token lets its holder in: the mail records keep it hidden
        redact=(notice.guest_token,) if notice.guest_token else (),
    )


def messages(change: MeetingChange, base_url: str, stamp: datetime) -> list[Message]:
    """One message per notice of ``change``: invitations, then cancellations."""
    found = [_message(change, n, Method.REQUEST, base_url, stamp) for n in change.invitations]
    found += [_message(change, n, Method.CANCEL, base_url, stamp) for n in change.cancellations]
    return found


async def send(mailer: Mailer, change: MeetingChange, base_url: str, stamp: datetime) -> int:
    """Send every notice of ``change``; returns how many went out."""
    sent = await send_each(mailer, messages(change, base_url, stamp), meeting_id=change.meeting.id)
    log.info(
        "meeting.notices_sent",
        meeting_id=change.meeting.id,
        sent=sent,
        sequence=change.meeting.sequence,
    )
    return sent
