"""Who was in a meeting's room, and when: one ``MeetingAttendance`` row per media connection,
from the SFU's own join and leave events (not from a click), for the attendance report.

A series meets many times in one room ("meeting-N"), so each connection is filed under the
occurrence it belongs to (``occurrence_for``), decided once, when it joins: the occurrence in
progress at that moment, else the nearest one, measured from its start for one still to come
and from its end for one that is over (the one still to come wins a tie). So a host who opens
the room an hour early, a guest who reconnects after an overrun and a room used off schedule
all land where a person would put them; weekly and monthly occurrences are days apart.

A person's time in an occurrence is their connections merged (``courses.watching``), so a
reconnect or a second device counts the overlap once. Unlike a course session's attendance it
is not clipped to the scheduled hours: a meeting gives no credit, and the report answers
"how long was each person there". A connection the server never closed counts until now,
never past the occurrence's end plus ``LATE_STAY``.

The same rules as ``courses.attendance`` keep bad events harmless: a second join or leave of
one connection, and a leave with no join, are logged and ignored; a leave stamped before its
join is a zero-length connection.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from courses import permissions
from courses.attendance_results import Moment, interval_of, moment_of
from courses.clock import Clock
from courses.errors import InvalidInput, PermissionDenied
from courses.meetings import MeetingService, all_occurrences
from courses.models import Meeting, MeetingAttendance, MeetingInvitee, User
from courses.recurrence import Occurrence
from courses.wallclock import local_text, parse_when
from courses.watching import merge, total

log = structlog.get_logger(__name__)

LATE_STAY = timedelta(hours=1)
"""A connection the server never closed counts at most this long past the occurrence's end."""
MAX_NAME = 200


# -- which occurrence (pure) -------------------------------------------------------------------
def occurrence_for(occurrences: Sequence[Occurrence], at: datetime) -> Occurrence | None:
    """The occurrence something happening at ``at`` belongs to (see the module's rules);
    None only when there are no occurrences at all."""
    running = [o for o in occurrences if o.starts_at <= at < o.ends_at]
    if running:
        return max(running, key=lambda o: o.starts_at)

    def distance(o: Occurrence) -> tuple[timedelta, bool]:
        if o.starts_at > at:
            return o.starts_at - at, False
        return at - o.ends_at, True

    return min(occurrences, key=distance, default=None)


def with_attended(meeting: Meeting, attended: Iterable[datetime]) -> list[Occurrence]:
    """The scheduled occurrences, and those that have attendance but are no longer on the
    schedule (the meeting was moved after it met), each lasting as the meeting does; in time
    order."""
    found = {o.starts_at: o for o in all_occurrences(meeting)}
    length = meeting.ends_at - meeting.starts_at
    for starts_at in attended:
        found.setdefault(starts_at, Occurrence(starts_at, starts_at + length))
    return [found[k] for k in sorted(found)]


# -- results -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class MeetingPerson:
    """One person's attendance of one occurrence: a user or a guest, all their connections."""

    key: str
    """"u:<user id>", "g:<invitee id>", or "n:<name>" for someone whose account is gone."""
    name: str
    email: str
    is_guest: bool
    is_organizer: bool
    connections: list[MeetingAttendance]
    intervals: list[Moment]
    """Connected time, merged: overlapping connections counted once."""
    seconds: float
    """The length of ``intervals``."""

    @property
    def minutes(self) -> float:
        return round(self.seconds / 60.0, 1)

    @property
    def first_joined(self) -> datetime | None:
        return min((c.joined_at for c in self.connections), default=None)

    @property
    def still_connected(self) -> bool:
        return any(c.left_at is None for c in self.connections)

    @property
    def last_left(self) -> datetime | None:
        """None while any connection is open."""
        if self.still_connected:
            return None
        return max((c.left_at for c in self.connections if c.left_at is not None), default=None)


def person_key(row: MeetingAttendance) -> str:
    if row.user_id is not None:
        return f"u:{row.user_id}"
    if row.guest_id is not None:
        return f"g:{row.guest_id}"
    return f"n:{row.display_name}"


# -- who may read a meeting's reports -----------------------------------------------------------
async def reportable_meeting(session: AsyncSession, clock: Clock, meeting_id: int,
                             actor: User) -> Meeting:
    """The meeting, for its organizer or an administrator: to people who may not see it at all
    it does not exist (``MeetingNotFound``); other invitees are refused."""
    view = await MeetingService(session, clock).visible(meeting_id, actor)
    if not (permissions.is_admin(actor) or view.meeting.organizer_id == actor.id):
        raise PermissionDenied("Only the meeting's organizer and administrators may see its "
                               "attendance, chat and reports.")
    return view.meeting


# -- the service ---------------------------------------------------------------------------------
class MeetingAttendanceService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    # events from the media server
    async def joined(
        self,
        *,
        meeting_id: int,
        participant_id: str,
        user_id: int | None,
        guest_id: int | None,
        role: str,
        at: datetime,
    ) -> MeetingAttendance | None:
        """Keep a connection of a user or (with ``guest_id``) a guest of the meeting; None when
        ignored: the same connection seen again, no such meeting, or a person it does not
        know."""
        context = {"meeting_id": meeting_id, "participant_id": participant_id,
                   "user_id": user_id, "guest_id": guest_id}
        if await self._row(participant_id) is not None:
            log.info("meeting_attendance.duplicate_join", **context)
            return None
        meeting = await self.session.get(Meeting, meeting_id)
        occurrence = occurrence_for(all_occurrences(meeting), at) if meeting else None
        if occurrence is None:
            log.warning("meeting_attendance.unknown_meeting", **context)
            return None
        name = await self._name_of(meeting_id, user_id, guest_id)
        if name is None:
            log.warning("meeting_attendance.unknown_person", **context)
            return None
        row = MeetingAttendance(
            meeting_id=meeting_id,
            occurrence_at=occurrence.starts_at,
            participant_id=participant_id,
            user_id=user_id if guest_id is None else None,
            guest_id=guest_id,
            display_name=name[:MAX_NAME],
            role=role[:32],
            joined_at=at,
        )
        try:
            async with self.session.begin_nested():
                self.session.add(row)
        except IntegrityError:  # the same join, delivered twice at once
            log.info("meeting_attendance.duplicate_join", **context)
            return None
        log.info("meeting_attendance.joined", occurrence_at=occurrence.starts_at.isoformat(),
                 at=at.isoformat(), **context)
        return row

    async def left(
        self, *, participant_id: str, reason: str, at: datetime
    ) -> MeetingAttendance | None:
        """Close the connection; None when there is nothing to close."""
        row = await self._row(participant_id)
        if row is None or row.left_at is not None:
            log.info("meeting_attendance.leave_ignored", participant_id=participant_id,
                     seen=row is not None)
            return None
        if at < row.joined_at:
            log.warning("meeting_attendance.leave_before_join", participant_id=participant_id,
                        meeting_id=row.meeting_id, joined_at=row.joined_at.isoformat(),
                        left_at=at.isoformat())
        row.left_at = max(at, row.joined_at)
        row.leave_reason = reason[:16]
        self.session.add(row)
        await self.session.flush()
        log.info("meeting_attendance.left", meeting_id=row.meeting_id, user_id=row.user_id,
                 guest_id=row.guest_id, participant_id=participant_id, reason=reason,
                 at=row.left_at.isoformat())
        return row

    # reading (the caller has checked who may: ``reportable_meeting``)
    async def attended_starts(self, meeting_id: int) -> list[datetime]:
        """The starts of the occurrences someone attended, in time order."""
        stmt = select(MeetingAttendance.occurrence_at).where(
            MeetingAttendance.meeting_id == meeting_id
        )
        return sorted(set((await self.session.exec(stmt)).all()))

    async def pick(
        self, meeting: Meeting, wanted: str = "", attended: list[datetime] | None = None
    ) -> tuple[Occurrence, list[Occurrence]]:
        """The occurrence a report is about, and every occurrence (scheduled or attended).

        ``wanted`` is its start as ISO text (with an offset, or wall-clock time in the meeting's
        zone); blank: the latest occurrence someone attended, else the latest that has begun,
        else the first. InvalidInput when the meeting has no occurrence starting then.
        ``attended``: ``attended_starts``, when the caller has read it already."""
        if attended is None:
            attended = await self.attended_starts(meeting.id or 0)
        schedule = with_attended(meeting, attended)
        text = wanted.strip().replace(" ", "+")  # an unescaped "+" in a query reads as " "
        if not text:
            if attended:
                return next(o for o in schedule if o.starts_at == attended[-1]), schedule
            begun = [o for o in schedule if o.starts_at <= self.clock.now()]
            return (begun[-1] if begun else schedule[0]), schedule
        errors: dict[str, str] = {}
        starts = parse_when(text[:60], meeting.timezone, "occurrence", errors)
        chosen = next((o for o in schedule if o.starts_at == starts), None)
        if chosen is None:
            message = errors["occurrence"] if starts is None else (
                f"This meeting has no occurrence starting {local_text(starts, meeting.timezone)};"
                " choose one of the dates listed on the meeting's report."
            )
            raise InvalidInput({"occurrence": message}, message)
        return chosen, schedule

    async def people(self, meeting: Meeting, occurrence: Occurrence) -> list[MeetingPerson]:
        """Everyone connected to ``occurrence``: by name, the organizer first."""
        stmt = (
            select(MeetingAttendance, User.email, MeetingInvitee.email)
            .outerjoin(User, col(User.id) == MeetingAttendance.user_id)
            .outerjoin(MeetingInvitee, col(MeetingInvitee.id) == MeetingAttendance.guest_id)
            .where(
                MeetingAttendance.meeting_id == meeting.id,
                MeetingAttendance.occurrence_at == occurrence.starts_at,
            )
            .order_by(col(MeetingAttendance.joined_at), col(MeetingAttendance.id))
        )
        by_person: dict[str, list[MeetingAttendance]] = {}
        emails: dict[str, str] = {}
        for row, user_email, guest_email in (await self.session.exec(stmt)).all():
            key = person_key(row)
            by_person.setdefault(key, []).append(row)
            emails[key] = user_email or guest_email or ""
        open_until = min(self.clock.now(), occurrence.ends_at + LATE_STAY)
        people = []
        for key, connections in by_person.items():
            intervals = connected_time(
                (c.joined_at, c.left_at or max(c.joined_at, open_until)) for c in connections
            )
            people.append(MeetingPerson(
                key=key,
                name=connections[-1].display_name,
                email=emails[key],
                is_guest=connections[0].guest_id is not None,
                is_organizer=connections[0].user_id == meeting.organizer_id,
                connections=connections,
                intervals=intervals,
                seconds=round(total(interval_of(s, e) for s, e in intervals), 3),
            ))
        people.sort(key=lambda p: (not p.is_organizer, p.name.lower(), p.key))
        return people

    # helpers
    async def _name_of(self, meeting_id: int, user_id: int | None,
                       guest_id: int | None) -> str | None:
        """The name shown for a user, or for a guest invited to this meeting; None when the
        person is unknown (or a guest of another meeting)."""
        if guest_id is not None:
            guest = await self.session.get(MeetingInvitee, guest_id)
            if guest is None or guest.meeting_id != meeting_id or not guest.is_guest:
                return None
            return guest.name or guest.email or "Guest"
        user = await self.session.get(User, user_id) if user_id is not None else None
        return user.display_name if user else None

    async def _row(self, participant_id: str) -> MeetingAttendance | None:
        stmt = select(MeetingAttendance).where(MeetingAttendance.participant_id == participant_id)
        return (await self.session.exec(stmt.execution_options(populate_existing=True))).first()


def connected_time(spans: Iterable[Moment]) -> list[Moment]:
    """Connections as sorted, disjoint moments: overlaps (two devices, a reconnect) once."""
    return [(moment_of(s), moment_of(e)) for s, e in merge(interval_of(a, b) for a, b in spans)]
