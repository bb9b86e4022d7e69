"""Meetings: an administrator or faculty member schedules one (once, weekly or monthly),
invites users and guests by email address, edits it or cancels it.

Who sees what: the organizer, the invitees and administrators see a meeting; to anyone else it
does not exist (``MeetingNotFound``). Only the organizer and administrators change it. Every
change the invitees are told about bumps the meeting's iCalendar SEQUENCE; a cancelled meeting
is kept, marked cancelled, and can no longer be edited.

Each change returns the notices to send (``MeetingChange``): invitations (iTIP REQUEST) to the
invitees, and cancellations to those removed or to everyone when the meeting is cancelled.
Sending them is the caller's job, after the change has been committed.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

import structlog
from sqlalchemy import or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from courses import permissions
from courses.accounts import token_digest
from courses.calendar_files import Person
from courses.clock import Clock
from courses.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from courses.meeting_inputs import Guest, MeetingInput, parse_meeting
from courses.models import Meeting, MeetingInvitee, User
from courses.recurrence import Frequency, Occurrence, Rule, occurrences, upcoming

log = structlog.get_logger(__name__)

LIST_LIMIT = 200
UID_DOMAIN = "rounds.meetings"
MEETING_ROOM = re.compile(r"^meeting-([1-9][0-9]{0,9})$")


def meeting_room_id(meeting_id: int) -> str:
    """The live room a meeting (every occurrence of a series) is held in."""
    return f"meeting-{meeting_id}"


def meeting_id_of(room_id: str) -> int | None:
    """The meeting a room belongs to (``meeting_room_id`` read back); None for other rooms."""
    match = MEETING_ROOM.fullmatch(room_id)
    return int(match.group(1)) if match else None


class MeetingNotFound(NotFound):
    code = "meeting_not_found"


class MeetingCancelled(Conflict):
    code = "meeting_cancelled"


def rule_of(meeting: Meeting) -> Rule:
    frequency = Frequency(meeting.recurrence)
    if frequency is Frequency.NONE:
        return Rule()
    return Rule(frequency, meeting.recurrence_count, meeting.recurrence_until)


def all_occurrences(meeting: Meeting) -> list[Occurrence]:
    return occurrences(meeting.starts_at, meeting.ends_at, meeting.timezone, rule_of(meeting))


def next_occurrences(meeting: Meeting, now: datetime, limit: int = 5) -> list[Occurrence]:
    """The next occurrences not yet over; none for a cancelled meeting."""
    if meeting.cancelled:
        return []
    return upcoming(
        meeting.starts_at, meeting.ends_at, meeting.timezone, rule_of(meeting), now, limit
    )


@dataclass(frozen=True)
class Notice:
    """One person to tell about a change. ``guest_token`` is the guest's join token in clear,
    only when it was made by this change (the database keeps its hash)."""

    person: Person
    invitee_id: int | None = None
    guest: bool = False
    guest_token: str | None = None


@dataclass(frozen=True)
class MeetingChange:
    meeting: Meeting
    organizer: Person
    invitations: list[Notice] = field(default_factory=list)
    cancellations: list[Notice] = field(default_factory=list)


@dataclass(frozen=True)
class InviteeView:
    name: str
    email: str
    guest: bool
    user_id: int | None


@dataclass(frozen=True)
class MeetingView:
    meeting: Meeting
    organizer: User
    invitees: list[InviteeView]
    can_manage: bool
    next: list[Occurrence]


@dataclass(frozen=True)
class MeetingSummary:
    """A meeting in someone's list: its next occurrence (None when over or cancelled)."""

    meeting: Meeting
    next: Occurrence | None
    organizing: bool


def _person(user: User) -> Person:
    return Person(user.email, user.display_name)


class MeetingService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    # -- reading -----------------------------------------------------------------------------
    async def _get(self, meeting_id: int) -> Meeting:
        meeting = await self.session.get(Meeting, meeting_id)
        if meeting is None:
            raise MeetingNotFound("There is no meeting with this number that you may open.")
        return meeting

    async def _invitees(self, meeting_id: int) -> list[MeetingInvitee]:
        stmt = (
            select(MeetingInvitee)
            .where(MeetingInvitee.meeting_id == meeting_id)
            .order_by(col(MeetingInvitee.id))
        )
        return list((await self.session.exec(stmt)).all())

    async def _users(self, ids: set[int]) -> dict[int, User]:
        if not ids:
            return {}
        rows = await self.session.exec(select(User).where(col(User.id).in_(ids)))
        return {u.id or 0: u for u in rows.all()}

    async def visible(self, meeting_id: int, viewer: User) -> MeetingView:
        """The meeting as ``viewer`` may see it: organizer, invitee or administrator."""
        meeting = await self._get(meeting_id)
        invitees = await self._invitees(meeting_id)
        managing = permissions.is_admin(viewer) or meeting.organizer_id == viewer.id
        if not managing and all(i.user_id != viewer.id for i in invitees):
            raise MeetingNotFound("There is no meeting with this number that you may open.")
        users = await self._users(
            {i.user_id for i in invitees if i.user_id is not None} | {meeting.organizer_id}
        )
        return MeetingView(
            meeting=meeting,
            organizer=users[meeting.organizer_id],
            invitees=[self._invitee_view(i, users) for i in invitees] if managing else [],
            can_manage=managing and not meeting.cancelled,
            next=next_occurrences(meeting, self.clock.now(), limit=5),
        )

    @staticmethod
    def _invitee_view(row: MeetingInvitee, users: Mapping[int, User]) -> InviteeView:
        if row.user_id is not None:
            user = users[row.user_id]
            return InviteeView(user.display_name, user.email, False, user.id)
        return InviteeView(row.name or (row.email or ""), row.email or "", True, None)

    async def managed(self, meeting_id: int, actor: User) -> tuple[MeetingView, str]:
        """The meeting for its organizer or an administrator to edit, and the guests as the
        form shows them (one a line)."""
        view = await self.visible(meeting_id, actor)
        self._require_manager(view.meeting, actor)
        guests = "\n".join(
            f"{i.name} <{i.email}>" if i.name != i.email else i.email
            for i in view.invitees
            if i.guest
        )
        return view, guests

    async def mine(self, user: User, limit: int = LIST_LIMIT) -> list[MeetingSummary]:
        """Meetings ``user`` organises or is invited to: those still to come first, by their
        next occurrence, then the rest, latest first."""
        invited = select(MeetingInvitee.meeting_id).where(MeetingInvitee.user_id == user.id)
        stmt = (
            select(Meeting)
            .where(or_(col(Meeting.organizer_id) == user.id, col(Meeting.id).in_(invited)))
            .order_by(col(Meeting.starts_at).desc(), col(Meeting.id).desc())
            .limit(limit)
        )
        now = self.clock.now()
        summaries = []
        for meeting in (await self.session.exec(stmt)).all():
            following = next_occurrences(meeting, now, limit=1)
            summaries.append(
                MeetingSummary(
                    meeting, following[0] if following else None, meeting.organizer_id == user.id
                )
            )
        coming = [(s.next.starts_at, s) for s in summaries if s.next is not None]
        coming.sort(key=lambda pair: pair[0])
        return [s for _, s in coming] + [s for s in summaries if s.next is None]

    async def upcoming_for(self, user: User, limit: int = 5) -> list[MeetingSummary]:
        """For the dashboard: the next ``limit`` meetings still to come."""
        return [s for s in await self.mine(user) if s.next is not None][:limit]

    async def invitable(self) -> list[User]:
        """Everyone with an active account, by name: the people an organizer may invite."""
        stmt = (
            select(User)
            .where(col(User.is_active).is_(True))
            .order_by(col(User.display_name), col(User.id))
        )
        return list((await self.session.exec(stmt)).all())

    async def guest_by_token(self, meeting_id: int, token: str) -> MeetingInvitee | None:
        """The guest of ``meeting_id`` whose join token this is; None for any other token."""
        stmt = select(MeetingInvitee).where(
            MeetingInvitee.guest_token_hash == token_digest(token)
        )
        row = (await self.session.exec(stmt)).first()
        return row if row is not None and row.meeting_id == meeting_id else None

    # -- changing ----------------------------------------------------------------------------
    @staticmethod
    def _require_organizer_role(actor: User) -> None:
        if not actor.can_teach:
            raise PermissionDenied(
                f"This needs the faculty or admin role; your account is {actor.role}."
            )

    @staticmethod
    def _require_manager(meeting: Meeting, actor: User) -> None:
        MeetingService._require_organizer_role(actor)
        if not (permissions.is_admin(actor) or meeting.organizer_id == actor.id):
            raise PermissionDenied("Only the meeting's organizer and administrators may change it.")

    async def schedule(self, data: Mapping[str, object], actor: User) -> MeetingChange:
        """A new meeting organised by ``actor``; every invitee gets an invitation."""
        self._require_organizer_role(actor)
        values = parse_meeting(data)
        now = self.clock.now()
        if values.starts_at <= now:
            raise InvalidInput({"starts_at": "Schedule the meeting to start in the future."})
        meeting = Meeting(
            uid=f"{secrets.token_hex(16)}@{UID_DOMAIN}",
            organizer_id=actor.id or 0,
            created_at=now,
            updated_at=now,
            title=values.title,
            timezone=values.timezone,
            starts_at=values.starts_at,
            ends_at=values.ends_at,
        )
        self._apply(meeting, values)
        self.session.add(meeting)
        await self.session.flush()
        invitations, _ = await self._set_invitees(meeting, values, actor)
        log.info(
            "meeting.scheduled",
            meeting_id=meeting.id,
            organizer_id=actor.id,
            recurrence=meeting.recurrence,
            invitees=len(invitations),
        )
        return MeetingChange(meeting, _person(actor), invitations)

    async def update(
        self, meeting_id: int, data: Mapping[str, object], actor: User
    ) -> MeetingChange:
        """Change the meeting; everyone still invited gets the updated invitation, and those
        taken off the list a cancellation."""
        meeting = await self._get(meeting_id)
        view = await self.visible(meeting_id, actor)
        self._require_manager(meeting, actor)
        if meeting.cancelled:
            raise MeetingCancelled("This meeting was cancelled; schedule a new one instead.")
        values = parse_meeting(data)
        self._apply(meeting, values)
        meeting.sequence += 1
        meeting.updated_at = self.clock.now()
        self.session.add(meeting)
        invitations, removed = await self._set_invitees(meeting, values, view.organizer)
        await self.session.flush()
        log.info(
            "meeting.updated",
            meeting_id=meeting.id,
            actor_id=actor.id,
            sequence=meeting.sequence,
            invitees=len(invitations),
            removed=len(removed),
        )
        return MeetingChange(meeting, _person(view.organizer), invitations, removed)

    async def cancel(self, meeting_id: int, actor: User) -> MeetingChange:
        """Mark the meeting cancelled (it is kept); every invitee gets a cancellation."""
        meeting = await self._get(meeting_id)
        view = await self.visible(meeting_id, actor)
        self._require_manager(meeting, actor)
        if meeting.cancelled:
            raise MeetingCancelled("This meeting is already cancelled.")
        now = self.clock.now()
        meeting.cancelled_at = now
        meeting.updated_at = now
        meeting.sequence += 1
        self.session.add(meeting)
        rows = await self._invitees(meeting_id)
        users = await self._users({r.user_id for r in rows if r.user_id is not None})
        notices = [Notice(self._person_of(r, users), r.id, r.is_guest) for r in rows]
        await self.session.flush()
        log.info(
            "meeting.cancelled", meeting_id=meeting.id, actor_id=actor.id, invitees=len(notices)
        )
        return MeetingChange(meeting, _person(view.organizer), cancellations=notices)

    @staticmethod
    def _apply(meeting: Meeting, values: MeetingInput) -> None:
        meeting.title = values.title
        meeting.agenda = values.agenda
        meeting.timezone = values.timezone
        meeting.starts_at = values.starts_at
        meeting.ends_at = values.ends_at
        meeting.recurrence = values.rule.frequency.value
        meeting.recurrence_count = values.rule.count
        meeting.recurrence_until = values.rule.until

    @staticmethod
    def _person_of(row: MeetingInvitee, users: Mapping[int, User]) -> Person:
        if row.user_id is not None:
            return _person(users[row.user_id])
        return Person(row.email or "", row.name)

    async def _set_invitees(
        self, meeting: Meeting, values: MeetingInput, organizer: User
    ) -> tuple[list[Notice], list[Notice]]:
        """Make the invitee list match ``values``: keep those still invited (and their join
        tokens), add the new ones, remove the rest. Returns (invitations, cancellations)."""
        guests = list(values.guests)
        user_ids = set(values.user_ids)
        # A guest address that belongs to an account invites that account.
        if guests:
            emails = [g.email for g in guests]
            known = await self.session.exec(select(User).where(col(User.email).in_(emails)))
            by_email = {u.email: u for u in known.all()}
            user_ids |= {by_email[g.email].id or 0 for g in guests if g.email in by_email}
            guests = [g for g in guests if g.email not in by_email]
        user_ids.discard(organizer.id or 0)
        users = await self._users(user_ids)
        missing = user_ids - {i for i, u in users.items() if u.is_active}
        if missing:
            raise InvalidInput(
                {"invitee_ids": "Choose people with an active account from the list."}
            )
        now = self.clock.now()
        existing = await self._invitees(meeting.id or 0)
        kept_users = {r.user_id for r in existing if r.user_id in user_ids}
        wanted_guests: dict[str, Guest] = {g.email: g for g in guests}
        removed_rows = [
            r
            for r in existing
            if (r.user_id is not None and r.user_id not in user_ids)
            or (r.email is not None and r.email not in wanted_guests)
        ]
        removed_users = await self._users({r.user_id for r in removed_rows if r.user_id})
        removed = [
            Notice(self._person_of(r, removed_users), r.id, r.is_guest) for r in removed_rows
        ]
        for row in removed_rows:
            await self.session.delete(row)
        await self.session.flush()

        tokens: dict[str, str] = {}
        for row in existing:
            if row.email is not None and row.email in wanted_guests:
                row.name = wanted_guests[row.email].name
                # Every invitation a guest is sent carries a join link; only the hash of its
                # token is kept, so a new one is made and the older link stops working.
                token = secrets.token_urlsafe(32)
                tokens[row.email] = token
                row.guest_token_hash = token_digest(token)
                self.session.add(row)
        for user_id in sorted(user_ids - kept_users):
            self.session.add(
                MeetingInvitee(meeting_id=meeting.id or 0, user_id=user_id, created_at=now)
            )
        kept_emails = {r.email for r in existing if r.email in wanted_guests}
        for guest in guests:
            if guest.email in kept_emails:
                continue
            token = secrets.token_urlsafe(32)
            tokens[guest.email] = token
            self.session.add(
                MeetingInvitee(
                    meeting_id=meeting.id or 0,
                    email=guest.email,
                    name=guest.name,
                    guest_token_hash=token_digest(token),
                    created_at=now,
                )
            )
        await self.session.flush()
        rows = await self._invitees(meeting.id or 0)
        invitations = [
            Notice(self._person_of(r, users), r.id, r.is_guest, tokens.get(r.email or ""))
            for r in rows
        ]
        return invitations, removed
