"""What happened in one live session or one meeting occurrence, for the people who ran it:
attendance per person (first joined, last left, minutes), a timeline of who was connected
when across the session's window, and how much was said and asked (chat messages, polls and
their votes, audience questions and their upvotes).

A course session's minutes are its attendance as credit counts it (``courses.attendance``:
inside the live window, less breaks, with the administrators' corrections); a meeting's are
the time connected (``courses.meeting_attendance``). The timeline always shows the raw
connections, so an early arrival or an overrun is visible against the shaded window.

Polls, questions and chat carry the meeting but not the occurrence: each is counted under the
occurrence its moment belongs to, by the same rule that files connections
(``courses.meeting_attendance.occurrence_for``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from courses.attendance import AttendanceService
from courses.attendance_results import LearnerAttendance, Moment, Roster
from courses.clock import Clock
from courses.exports import csv_text
from courses.live_sessions import OVERRUN_GRACE
from courses.meeting_attendance import (
    MeetingAttendanceService,
    MeetingPerson,
    connected_time,
    occurrence_for,
    reportable_meeting,
)
from courses.models import (
    Activity,
    AudienceQuestion,
    ChatMessage,
    Meeting,
    Poll,
    PollVote,
    QuestionUpvote,
    User,
)
from courses.recurrence import Occurrence
from courses.wallclock import local_text

log = structlog.get_logger(__name__)

MEETING_CSV_HEADER = (
    "name", "email", "guest", "first_joined", "last_left", "minutes", "connections"
)


# -- results ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class AttendanceLine:
    """One person's row of the report."""

    name: str
    email: str
    badge: str
    """"faculty", "organizer", "guest" or ""."""
    first_joined: datetime | None
    last_left: datetime | None
    """None while still connected (or never connected: corrected in by an administrator)."""
    still_connected: bool
    minutes: float
    percent: float | None
    """Of the session's instructional time (course sessions only)."""
    connected: list[Moment]
    """When their media was connected, merged across devices and reconnects."""


@dataclass(frozen=True)
class TimelineRow:
    label: str
    spans: list[Moment]


@dataclass(frozen=True)
class Timeline:
    """Who was connected when: one row per person, across ``start`` to ``end`` (the window,
    widened to every connection), shown in ``zone``."""

    start: datetime
    end: datetime
    zone: str
    window: Moment
    window_label: str
    rows: list[TimelineRow]


@dataclass(frozen=True)
class InteractionCounts:
    chat_messages: int = 0
    polls: int = 0
    poll_votes: int = 0
    questions: int = 0
    upvotes: int = 0


@dataclass(frozen=True)
class SessionSummary:
    """The part of a report that is the same for a course session and a meeting."""

    title: str
    zone: str
    window: Moment
    window_label: str
    """What the window is: "live window (as scheduled)", "scheduled", ..."""
    lines: list[AttendanceLine] = field(default_factory=list)
    counts: InteractionCounts = field(default_factory=InteractionCounts)

    @property
    def timeline(self) -> Timeline:
        return timeline_of(self)


@dataclass(frozen=True)
class LiveSessionReport:
    activity: Activity
    course_title: str
    summary: SessionSummary


@dataclass(frozen=True)
class MeetingReport:
    meeting: Meeting
    occurrence: Occurrence
    occurrences: list[Occurrence]
    """Every occurrence (scheduled, or attended though no longer scheduled), to choose from."""
    attended: list[datetime]
    """The starts of the occurrences with attendance."""
    people: list[MeetingPerson]
    summary: SessionSummary


def timeline_of(summary: SessionSummary) -> Timeline:
    spans = [s for line in summary.lines for s in line.connected]
    start = min([summary.window[0], *(s for s, _ in spans)])
    end = max([summary.window[1], *(e for _, e in spans)])
    return Timeline(
        start=start,
        end=max(end, start + timedelta(minutes=1)),
        zone=summary.zone,
        window=summary.window,
        window_label=summary.window_label,
        rows=[TimelineRow(line.name, line.connected) for line in summary.lines],
    )


def _live_line(entry: LearnerAttendance, open_until: datetime) -> AttendanceLine:
    return AttendanceLine(
        name=entry.user.display_name,
        email=entry.user.email,
        badge="faculty" if entry.is_faculty else "",
        first_joined=entry.first_joined,
        last_left=entry.last_left,
        still_connected=any(s.left_at is None for s in entry.spans),
        minutes=entry.minutes,
        percent=entry.percent,
        connected=connected_time(
            (s.joined_at, s.left_at or max(s.joined_at, open_until)) for s in entry.spans
        ),
    )


def _meeting_line(person: MeetingPerson) -> AttendanceLine:
    badge = "organizer" if person.is_organizer else "guest" if person.is_guest else ""
    return AttendanceLine(
        name=person.name,
        email=person.email,
        badge=badge,
        first_joined=person.first_joined,
        last_left=person.last_left,
        still_connected=person.still_connected,
        minutes=person.minutes,
        percent=None,
        connected=person.intervals,
    )


def meeting_attendance_csv(report: MeetingReport) -> str:
    """One row per person: first joined and last left in the meeting's zone, minutes
    connected, the number of connections (reconnects and second devices)."""
    zone = report.meeting.timezone
    return csv_text(
        MEETING_CSV_HEADER,
        (
            (
                p.name,
                p.email,
                "yes" if p.is_guest else "no",
                local_text(p.first_joined, zone) if p.first_joined else "",
                local_text(p.last_left, zone) if p.last_left else "",
                f"{p.minutes:.1f}",
                str(len(p.connections)),
            )
            for p in report.people
        ),
    )


# -- the service --------------------------------------------------------------------------------
class SessionReportService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    async def live_session(self, activity_id: int, actor: User) -> LiveSessionReport:
        """A course session's report, for the course's faculty and administrators."""
        roster: Roster = await AttendanceService(self.session, self.clock).roster(
            activity_id, actor
        )
        activity = roster.activity
        assert activity.ends_at is not None
        open_until = min(self.clock.now(), activity.ends_at + OVERRUN_GRACE)
        window = roster.live_window
        summary = SessionSummary(
            title=activity.title,
            zone=activity.timezone or "UTC",
            window=roster.window,
            window_label=f"live window ({window.description})",
            lines=[_live_line(e, open_until) for e in roster.entries],
            counts=await self._activity_counts(activity_id),
        )
        log.info("report.live_session", activity_id=activity_id, actor_id=actor.id,
                 people=len(summary.lines))
        return LiveSessionReport(activity, roster.course_title, summary)

    async def meeting(self, meeting_id: int, actor: User, occurrence: str = "") -> MeetingReport:
        """One occurrence of a meeting (its start as ISO text; blank: the latest attended),
        for the organizer and administrators."""
        meeting = await reportable_meeting(self.session, self.clock, meeting_id, actor)
        attendance = MeetingAttendanceService(self.session, self.clock)
        attended = await attendance.attended_starts(meeting_id)
        chosen, schedule = await attendance.pick(meeting, occurrence, attended)
        people = await attendance.people(meeting, chosen)
        summary = SessionSummary(
            title=meeting.title,
            zone=meeting.timezone,
            window=(chosen.starts_at, chosen.ends_at),
            window_label="scheduled time",
            lines=[_meeting_line(p) for p in people],
            counts=await self._meeting_counts(meeting_id, chosen, schedule),
        )
        log.info("report.meeting", meeting_id=meeting_id, actor_id=actor.id,
                 occurrence_at=chosen.starts_at.isoformat(), people=len(people))
        return MeetingReport(
            meeting=meeting,
            occurrence=chosen,
            occurrences=schedule,
            attended=attended,
            people=people,
            summary=summary,
        )

    # counting
    async def _count(self, stmt: SelectOfScalar[int]) -> int:
        return (await self.session.exec(stmt)).one()

    async def _activity_counts(self, activity_id: int) -> InteractionCounts:
        polls = select(Poll.id).where(Poll.activity_id == activity_id)
        questions = select(AudienceQuestion.id).where(AudienceQuestion.activity_id == activity_id)
        count = func.count()
        return InteractionCounts(
            chat_messages=await self._count(
                select(count).select_from(ChatMessage).where(ChatMessage.activity_id == activity_id)
            ),
            polls=await self._count(select(count).select_from(polls.subquery())),
            poll_votes=await self._count(
                select(count).select_from(PollVote).where(col(PollVote.poll_id).in_(polls))
            ),
            questions=await self._count(select(count).select_from(questions.subquery())),
            upvotes=await self._count(
                select(count)
                .select_from(QuestionUpvote)
                .where(col(QuestionUpvote.question_id).in_(questions))
            ),
        )

    async def _meeting_counts(
        self, meeting_id: int, chosen: Occurrence, schedule: Sequence[Occurrence]
    ) -> InteractionCounts:
        def ours(moments: Mapping[int, datetime]) -> set[int]:
            return {k for k, at in moments.items() if occurrence_for(schedule, at) == chosen}

        chat = await self.session.exec(
            select(ChatMessage.id, ChatMessage.sent_at).where(ChatMessage.meeting_id == meeting_id)
        )
        polls = await self.session.exec(
            select(Poll.id, Poll.opened_at).where(Poll.meeting_id == meeting_id)
        )
        questions = await self.session.exec(
            select(AudienceQuestion.id, AudienceQuestion.asked_at).where(
                AudienceQuestion.meeting_id == meeting_id
            )
        )
        poll_ids = ours({i or 0: at for i, at in polls.all()})
        question_ids = ours({i or 0: at for i, at in questions.all()})
        count = func.count()
        return InteractionCounts(
            chat_messages=len(ours({i or 0: at for i, at in chat.all()})),
            polls=len(poll_ids),
            poll_votes=await self._count(
                select(count).select_from(PollVote).where(col(PollVote.poll_id).in_(poll_ids))
            ) if poll_ids else 0,
            questions=len(question_ids),
            upvotes=await self._count(
                select(count)
                .select_from(QuestionUpvote)
                .where(col(QuestionUpvote.question_id).in_(question_ids))
            ) if question_ids else 0,
        )
