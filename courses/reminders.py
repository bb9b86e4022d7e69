"""Reminders a day and 15 minutes before a live session or a meeting: who is due one now.

Two leads, decided by how far ahead the start is at the moment of the sweep:

- ``day``: it starts within the next 24 hours but more than 15 minutes away;
- ``15min``: it starts within 15 minutes and has not started.

A session or occurrence that has started (or is over) gets none, and one first seen less than
15 minutes ahead gets only the 15-minute reminder. Recipients: a live session's enrolled
learners and its course's faculty (the course published); a meeting's organizer, the users
invited and the guests invited by email address (cancelled meetings get none; a recurring
meeting is reminded of each occurrence). People who turned reminders off on their profile, and
disabled accounts, are left out; guests have no account and no switch.

Each reminder goes out once however many workers sweep: ``claim`` inserts its
``ReminderSent`` row before anything is sent, and the table's unique constraint (subject,
occurrence, recipient, lead) lets exactly one claim win. Claims are made in a stable order
(``due`` sorts them), so two sweepers on PostgreSQL wait for each other instead of
deadlocking. A claimed reminder whose mail then fails is not retried: it is at most once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import structlog
from sqlalchemy import or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from courses.clock import Clock
from courses.meetings import next_occurrences
from courses.models import (
    Activity,
    ActivityKind,
    Course,
    CourseFaculty,
    Enrollment,
    EnrollmentStatus,
    Meeting,
    MeetingInvitee,
    ReminderSent,
    User,
)
from courses.recurrence import Frequency

log = structlog.get_logger(__name__)

DAY_AHEAD = timedelta(hours=24)
SOON_AHEAD = timedelta(minutes=15)


class Lead(StrEnum):
    DAY = "day"
    SOON = "15min"


class OccasionKind(StrEnum):
    LIVE_SESSION = "activity"
    MEETING = "meeting"


def lead_at(starts_at: datetime, now: datetime) -> Lead | None:
    """Which reminder a start at ``starts_at`` calls for at ``now``; None when neither."""
    ahead = starts_at - now
    if ahead <= timedelta(0) or ahead > DAY_AHEAD:
        return None
    return Lead.SOON if ahead <= SOON_AHEAD else Lead.DAY


@dataclass(frozen=True)
class Occasion:
    """A live session, or one occurrence of a meeting, that someone is reminded of."""

    kind: OccasionKind
    subject_id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    context: str
    """The course's title for a live session, the organizer's name for a meeting."""

    @property
    def key(self) -> str:
        """``ReminderSent.subject_key``: "activity:12" or "meeting:3"."""
        return f"{self.kind.value}:{self.subject_id}"


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str
    user_id: int | None = None
    """None for a meeting's guest, who has no account."""

    @property
    def is_guest(self) -> bool:
        return self.user_id is None


@dataclass(frozen=True)
class DueReminder:
    occasion: Occasion
    lead: Lead
    recipient: Recipient

    @property
    def order(self) -> tuple[datetime, str, str, str]:
        return (self.occasion.starts_at, self.occasion.key, self.lead.value,
                self.recipient.email)


def _address(email: str) -> str:
    return email.strip().lower()


def _wants_reminders(user: User) -> bool:
    return user.is_active and user.reminders_enabled


def _person(user: User) -> Recipient:
    return Recipient(_address(user.email), user.display_name, user.id)


class ReminderService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    async def due(self) -> list[DueReminder]:
        """Every reminder due now and not sent yet, in the order they are to be claimed."""
        now = self.clock.now()
        found: list[DueReminder] = []
        for occasion, recipients in await self._live_sessions(now) + await self._meetings(now):
            lead = lead_at(occasion.starts_at, now)
            if lead is None:
                continue
            found += [DueReminder(occasion, lead, r) for r in recipients]
        sent = await self._already_sent({r.occasion.key for r in found}, now)
        due = [
            r for r in found
            if (r.occasion.key, r.occasion.starts_at, r.recipient.email, r.lead.value)
            not in sent
        ]
        return sorted(due, key=lambda r: r.order)

    async def claim(self, reminder: DueReminder) -> bool:
        """Mark ``reminder`` as sent, before it is sent; False when it already was (by this
        sweep earlier, or by another worker). The caller's transaction must be committed
        before the mail goes out, so that other workers see the claim."""
        row = ReminderSent(
            subject_key=reminder.occasion.key,
            occurrence_at=reminder.occasion.starts_at,
            recipient=reminder.recipient.email,
            lead=reminder.lead.value,
            sent_at=self.clock.now(),
        )
        try:
            async with self.session.begin_nested():
                self.session.add(row)
        except IntegrityError:
            log.info("reminder.claimed_elsewhere", subject=reminder.occasion.key,
                     lead=reminder.lead.value, to=reminder.recipient.email)
            return False
        return True

    # -- what is coming up, and who is told --------------------------------------------------
    async def _already_sent(
        self, keys: set[str], now: datetime
    ) -> set[tuple[str, datetime, str, str]]:
        """What went out for occurrences still to come (anything due starts after ``now``;
        a long series' past reminders are not read again every sweep)."""
        if not keys:
            return set()
        rows = await self.session.exec(
            select(ReminderSent).where(
                col(ReminderSent.subject_key).in_(sorted(keys)),
                col(ReminderSent.occurrence_at) > now,
            )
        )
        return {(r.subject_key, r.occurrence_at, r.recipient, r.lead) for r in rows.all()}

    async def _live_sessions(self, now: datetime) -> list[tuple[Occasion, list[Recipient]]]:
        stmt = (
            select(Activity, Course)
            .join(Course, col(Course.id) == Activity.course_id)
            .where(
                Activity.kind == ActivityKind.LIVE.value,
                col(Activity.starts_at) > now,
                col(Activity.starts_at) <= now + DAY_AHEAD,
                col(Course.published),
            )
            .order_by(col(Activity.starts_at), col(Activity.id))
        )
        found = []
        for activity, course in (await self.session.exec(stmt)).all():
            assert activity.starts_at is not None and activity.id is not None
            occasion = Occasion(
                OccasionKind.LIVE_SESSION, activity.id, activity.title, activity.starts_at,
                activity.ends_at or activity.starts_at, activity.timezone or "UTC", course.title,
            )
            found.append((occasion, await self._course_people(activity.course_id)))
        return found

    async def _course_people(self, course_id: int) -> list[Recipient]:
        """The enrolled learners and the faculty of a course who want reminders."""
        enrolled = select(Enrollment.user_id).where(
            Enrollment.course_id == course_id, Enrollment.status == EnrollmentStatus.ENROLLED
        )
        teaching = select(CourseFaculty.user_id).where(CourseFaculty.course_id == course_id)
        users = await self.session.exec(
            select(User)
            .where(or_(col(User.id).in_(enrolled), col(User.id).in_(teaching)))
            .order_by(col(User.id))
        )
        return [_person(u) for u in users.all() if _wants_reminders(u)]

    async def _meetings(self, now: datetime) -> list[tuple[Occasion, list[Recipient]]]:
        """Meetings with an occurrence in the next 24 hours: one not repeating starts then;
        a series began before then and has not ended (its until date not long past)."""
        horizon = now + DAY_AHEAD
        stmt = (
            select(Meeting)
            .where(
                col(Meeting.cancelled_at).is_(None),
                col(Meeting.starts_at) <= horizon,
                or_(
                    col(Meeting.starts_at) > now,
                    (col(Meeting.recurrence) != Frequency.NONE.value)
                    & or_(
                        col(Meeting.recurrence_until).is_(None),
                        col(Meeting.recurrence_until) >= (now - timedelta(days=2)).date(),
                    ),
                ),
            )
            .order_by(col(Meeting.id))
        )
        found = []
        for meeting in (await self.session.exec(stmt)).all():
            coming = [
                o for o in next_occurrences(meeting, now, limit=3)
                if lead_at(o.starts_at, now) is not None
            ]
            if not coming:
                continue
            organizer, recipients = await self._meeting_people(meeting)
            for occurrence in coming:
                occasion = Occasion(
                    OccasionKind.MEETING, meeting.id or 0, meeting.title, occurrence.starts_at,
                    occurrence.ends_at, meeting.timezone, organizer,
                )
                found.append((occasion, recipients))
        return found

    async def _meeting_people(self, meeting: Meeting) -> tuple[str, list[Recipient]]:
        """The organizer's name, and the organizer, user invitees and guests to remind."""
        invitees = list(
            (
                await self.session.exec(
                    select(MeetingInvitee)
                    .where(MeetingInvitee.meeting_id == meeting.id)
                    .order_by(col(MeetingInvitee.id))
                )
            ).all()
        )
        user_ids = {meeting.organizer_id} | {i.user_id for i in invitees if i.user_id}
        users = {
            u.id: u
            for u in (await self.session.exec(select(User).where(col(User.id).in_(user_ids))))
        }
        organizer = users.get(meeting.organizer_id)
        people: dict[str, Recipient] = {}
        for user in [organizer, *(users.get(i.user_id) for i in invitees if i.user_id)]:
            if user is not None and _wants_reminders(user):
                people.setdefault(_address(user.email), _person(user))
        for guest in invitees:
            if guest.user_id is None and guest.email:
                address = _address(guest.email)
                people.setdefault(address, Recipient(address, guest.name))
        name = (organizer.display_name or organizer.email) if organizer else ""
        return name, list(people.values())
