"""Evidence of engagement for the CME office: per learner, across the live sessions of a
period (and, if asked, one course), how many sessions they attended and for how long, how
many of the polls put to them they answered, the questions they asked, the upvotes they gave
and the chat messages they sent.

Rules, so that the numbers can be defended to an accreditor:

- a session is in scope when its local start date (in its own zone) falls in the period;
- a learner attended a session when their attended time there (``courses.attendance``: inside
  the live window, less breaks, with corrections) is above zero; the course's faculty, and
  people who were only ever in the room as a host, are not learners of it;
- everything else is counted only in the sessions the learner attended: "polls offered" are
  the polls opened in those sessions, "answered" the ones they voted in; questions, upvotes
  and chat messages are theirs in those sessions.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import structlog
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from courses import permissions
from courses.attendance import HOST_ROLE, AttendanceService
from courses.attendance_results import LearnerAttendance
from courses.clock import Clock
from courses.date_ranges import DateRange
from courses.errors import PermissionDenied
from courses.exports import csv_text
from courses.models import (
    Activity,
    ActivityKind,
    AudienceQuestion,
    ChatMessage,
    Course,
    Poll,
    PollVote,
    QuestionUpvote,
    User,
)

log = structlog.get_logger(__name__)

CSV_HEADER = (
    "name", "email", "profession", "sessions_attended", "minutes", "polls_answered",
    "polls_offered", "questions_asked", "upvotes_given", "chat_messages",
)
Key = tuple[int, int]
"""(user id, activity id)."""


@dataclass(frozen=True)
class LearnerEngagement:
    user: User
    sessions: int = 0
    seconds: float = 0.0
    polls_answered: int = 0
    polls_offered: int = 0
    questions: int = 0
    upvotes: int = 0
    chat_messages: int = 0

    @property
    def minutes(self) -> float:
        return round(self.seconds / 60.0, 1)


@dataclass(frozen=True)
class EngagementReport:
    period: DateRange
    course: Course | None
    sessions: list[Activity] = field(default_factory=list)
    learners: list[LearnerEngagement] = field(default_factory=list)


def is_learner(entry: LearnerAttendance) -> bool:
    """Attended as a learner: not the course's faculty, not only ever a host, some time."""
    hosting = bool(entry.spans) and all(s.role == HOST_ROLE for s in entry.spans)
    return not entry.is_faculty and not hosting and entry.seconds > 0


def _local_date(activity: Activity) -> date:
    assert activity.starts_at is not None
    return activity.starts_at.astimezone(ZoneInfo(activity.timezone or "UTC")).date()


def tally(rows: Iterable[tuple[int | None, int | None]]) -> Counter[Key]:
    """How many rows each (user, session) has; rows without either are not counted."""
    return Counter((u, a) for u, a in rows if u is not None and a is not None)


def _learner(
    user: User, entries: list[tuple[int, LearnerAttendance]], counts: dict[str, Counter[Key]]
) -> LearnerEngagement:
    """What ``user`` did in the sessions they attended (``entries``: session id, attendance)."""
    keys = [(user.id or 0, activity_id) for activity_id, _ in entries]

    def total(name: str, only_session: bool = False) -> int:
        tally = counts.get(name, Counter())
        return sum(tally[(0, a) if only_session else (u, a)] for u, a in keys)

    return LearnerEngagement(
        user=user,
        sessions=len(entries),
        seconds=round(sum(e.seconds for _, e in entries), 3),
        polls_answered=total("votes"),
        polls_offered=total("polls", only_session=True),
        questions=total("questions"),
        upvotes=total("upvotes"),
        chat_messages=total("chat"),
    )


class EngagementService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    async def report(
        self, period: DateRange, actor: User, course: Course | None = None
    ) -> EngagementReport:
        """Every learner who attended a live session in ``period`` (of ``course``, if given);
        administrators only."""
        if not permissions.is_admin(actor):
            raise PermissionDenied("Only administrators may see engagement across sessions.")
        sessions = await self._sessions(period, course)
        attendance = AttendanceService(self.session, self.clock)
        attended: dict[int, list[tuple[int, LearnerAttendance]]] = {}
        users: dict[int, User] = {}
        for activity in sessions:
            roster = await attendance.roster(activity.id or 0, actor)
            for entry in filter(is_learner, roster.entries):
                users[entry.user.id or 0] = entry.user
                attended.setdefault(entry.user.id or 0, []).append((activity.id or 0, entry))
        counts = await self._counts([a.id or 0 for a in sessions])
        learners = [_learner(users[uid], entries, counts) for uid, entries in attended.items()]
        learners.sort(key=lambda e: (e.user.display_name.lower(), e.user.id or 0))
        log.info("report.engagement", actor_id=actor.id, course_id=course.id if course else None,
                 since=str(period.since), until=str(period.until), sessions=len(sessions),
                 learners=len(learners))
        return EngagementReport(period, course, sessions, learners)

    async def _sessions(self, period: DateRange, course: Course | None) -> list[Activity]:
        """Live sessions whose local start date is in ``period``, in time order."""
        stmt = select(Activity).where(Activity.kind == ActivityKind.LIVE.value,
                                      col(Activity.starts_at).is_not(None))
        if course is not None:
            stmt = stmt.where(Activity.course_id == course.id)
        # a day of slack either side for the zones; the exact test is on the local date
        if period.since is not None:
            since = datetime.combine(period.since, time(), UTC) - timedelta(days=1)
            stmt = stmt.where(col(Activity.starts_at) >= since)
        if period.until is not None:
            until = datetime.combine(period.until, time(), UTC) + timedelta(days=2)
            stmt = stmt.where(col(Activity.starts_at) < until)
        rows = await self.session.exec(stmt.order_by(col(Activity.starts_at), col(Activity.id)))
        return [a for a in rows.all() if period.contains(_local_date(a))]

    async def _counts(self, activity_ids: list[int]) -> dict[str, Counter[Key]]:
        """Per (user, session): votes, questions, upvotes, chat messages; and per session
        (user 0) the polls opened."""
        if not activity_ids:
            return {}
        scope = activity_ids
        polls = await self.session.exec(
            select(Poll.activity_id).where(col(Poll.activity_id).in_(scope))
        )
        votes = await self.session.exec(
            select(PollVote.user_id, Poll.activity_id)
            .join(Poll, col(Poll.id) == PollVote.poll_id)
            .where(col(Poll.activity_id).in_(scope))
        )
        questions = await self.session.exec(
            select(AudienceQuestion.user_id, AudienceQuestion.activity_id).where(
                col(AudienceQuestion.activity_id).in_(scope)
            )
        )
        upvotes = await self.session.exec(
            select(QuestionUpvote.user_id, AudienceQuestion.activity_id)
            .join(AudienceQuestion, col(AudienceQuestion.id) == QuestionUpvote.question_id)
            .where(col(AudienceQuestion.activity_id).in_(scope))
        )
        chat = await self.session.exec(
            select(ChatMessage.user_id, ChatMessage.activity_id).where(
                col(ChatMessage.activity_id).in_(scope)
            )
        )
        return {
            "polls": tally((0, a) for a in polls.all()),
            "votes": tally(votes.all()),
            "questions": tally(questions.all()),
            "upvotes": tally(upvotes.all()),
            "chat": tally(chat.all()),
        }


def engagement_csv(report: EngagementReport) -> str:
    """One row per learner (see ``CSV_HEADER``); minutes to the tenth."""
    return csv_text(
        CSV_HEADER,
        (
            (
                e.user.display_name,
                e.user.email,
                e.user.degree or "",
                str(e.sessions),
                f"{e.minutes:.1f}",
                str(e.polls_answered),
                str(e.polls_offered),
                str(e.questions),
                str(e.upvotes),
                str(e.chat_messages),
            )
            for e in report.learners
        ),
    )
