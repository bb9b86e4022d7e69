"""In-room chat kept with the live session or meeting: each message the room delivers is
recorded here; a session's transcript is for the course's faculty and administrators, a
meeting's for its organizer and administrators (all of it, or one occurrence's: the messages
sent in the hours ``courses.meeting_attendance.occurrence_for`` files under it).

The room (app.signaling) validates and rate-limits what people type and calls ``record`` for
each message it delivers; the rules are checked again here so that nothing else can store a
message the room would have refused. Text is stored verbatim: escaping is the job of whoever
shows it (the browser renders it as text; the CSV quotes cells a spreadsheet would run)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from courses import permissions
from courses.catalog import CatalogService
from courses.clock import Clock
from courses.errors import InvalidInput, PermissionDenied
from courses.exports import csv_text
from courses.meeting_attendance import MeetingAttendanceService, occurrence_for, reportable_meeting
from courses.models import Activity, ChatMessage, Meeting, User
from courses.recurrence import Occurrence
from courses.room_records import room_links
from courses.wallclock import local_seconds_text

log = structlog.get_logger(__name__)

MAX_TEXT = 1000
"""Characters in one message, after surrounding white space is stripped."""
MAX_NAME = 200
AUDIENCES = ("everyone", "hosts")
CSV_HEADER = ("sent_at", "sender", "audience", "text")


def clean_text(text: object) -> str:
    """The message as it will be delivered, or InvalidInput saying what is wrong with it."""
    if not isinstance(text, str):
        raise InvalidInput({"text": "A chat message is text."})
    stripped = text.strip()
    if not stripped:
        raise InvalidInput({"text": "Type a message before sending it."})
    if len(stripped) > MAX_TEXT:
        raise InvalidInput(
            {
                "text": f"A chat message is limited to {MAX_TEXT} characters; "
                f"yours has {len(stripped)}. Shorten it or split it in two."
            }
        )
    return stripped


@dataclass(frozen=True)
class ChatTranscript:
    activity: Activity
    course_title: str
    messages: Sequence[ChatMessage]


@dataclass(frozen=True)
class MeetingChatTranscript:
    meeting: Meeting
    occurrence: Occurrence | None
    """The occurrence asked for; None: the whole meeting, every occurrence."""
    messages: Sequence[ChatMessage]


class ChatService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock
        self.catalog = CatalogService(session, clock)

    async def record(
        self,
        *,
        room_id: str,
        participant_id: str,
        user_id: int | None,
        sender_name: str,
        audience: str,
        text: str,
        sent_at: datetime | None = None,
    ) -> ChatMessage:
        """Keep one delivered message, with the session or meeting of its room. A room of a
        session or meeting that no longer exists, or a sender without an account (a guest), is
        kept without the link rather than lost."""
        if audience not in AUDIENCES:
            raise InvalidInput({"to": "Send a message to everyone or to the hosts."})
        body = clean_text(text)
        links = await room_links(self.session, room_id)
        if user_id is not None and await self.session.get(User, user_id) is None:
            user_id = None
        row = ChatMessage(
            room_id=links.room_id,
            activity_id=links.activity_id,
            meeting_id=links.meeting_id,
            user_id=user_id,
            participant_id=participant_id[:100],
            sender_name=(sender_name.strip() or "Someone")[:MAX_NAME],
            audience=audience,
            text=body,
            sent_at=sent_at or self.clock.now(),
        )
        self.session.add(row)
        await self.session.flush()
        return row

    async def transcript(self, activity_id: int, actor: User) -> ChatTranscript:
        """The session's chat, oldest first, private messages to the hosts included: for the
        course's faculty and administrators."""
        activity, view = await self.catalog.activity(activity_id, actor)
        if not permissions.can_manage_course(actor, view.faculty_ids):
            raise PermissionDenied("Only this course's faculty and administrators may do that.")
        rows = await self.session.exec(
            select(ChatMessage)
            .where(ChatMessage.activity_id == activity_id)
            .order_by(col(ChatMessage.sent_at), col(ChatMessage.id))
        )
        return ChatTranscript(activity, view.course.title, list(rows.all()))

    async def meeting_transcript(
        self, meeting_id: int, actor: User, occurrence: str = ""
    ) -> MeetingChatTranscript:
        """A meeting's chat, oldest first, private messages to the hosts included: for its
        organizer and administrators. ``occurrence`` (its start, ISO) keeps one occurrence's;
        blank keeps every message of the meeting."""
        meeting = await reportable_meeting(self.session, self.clock, meeting_id, actor)
        rows = await self.session.exec(
            select(ChatMessage)
            .where(ChatMessage.meeting_id == meeting_id)
            .order_by(col(ChatMessage.sent_at), col(ChatMessage.id))
        )
        messages = list(rows.all())
        if not occurrence.strip():
            return MeetingChatTranscript(meeting, None, messages)
        attendance = MeetingAttendanceService(self.session, self.clock)
        chosen, schedule = await attendance.pick(meeting, occurrence)
        kept = [m for m in messages if occurrence_for(schedule, m.sent_at) == chosen]
        return MeetingChatTranscript(meeting, chosen, kept)


def chat_csv(transcript: ChatTranscript | MeetingChatTranscript) -> str:
    """The transcript as CSV (sent_at in the session's or meeting's zone, sender, audience,
    text); a cell that a spreadsheet would run as a formula is quoted."""
    if isinstance(transcript, MeetingChatTranscript):
        zone: str | None = transcript.meeting.timezone
    else:
        zone = transcript.activity.timezone
    return csv_text(
        CSV_HEADER,
        (
            (local_seconds_text(m.sent_at, zone), m.sender_name, m.audience, m.text)
            for m in transcript.messages
        ),
    )
