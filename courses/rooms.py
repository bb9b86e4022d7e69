"""Who may come into a live room, and how: the guest policy's rules, the lock, and the
people a host removed for good.

``admission`` is the whole rule, a pure function the signaling layer asks for every person
who arrives; ``RoomPolicyService`` keeps a room's policy and its bans in the database so that
they outlive the process (the lock and the waiting room live with the running room)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import structlog
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from courses.clock import Clock
from courses.errors import InvalidInput
from courses.models import GuestPolicy, RoomBan, RoomSetting

log = structlog.get_logger(__name__)

DEFAULT_POLICY = GuestPolicy.SIGNED_IN
"""People signed in (enrolled learners, invitees) come straight in; guests wait for a host."""


class Entry(StrEnum):
    ENTER = "enter"
    LOBBY = "lobby"
    REFUSE = "refuse"


@dataclass(frozen=True)
class Admission:
    entry: Entry
    reason: str = ""
    """For REFUSE (and LOBBY): what to tell the person."""


REMOVED = "A host removed you from this room; you cannot rejoin it."
LOCKED = "The host has locked this room; nobody else can join now."
GUESTS_DENIED = "This room does not admit guests. Sign in to Rounds to join."
WAIT_FOR_HOST = "A host will let you in shortly; please wait."


def admission(
    policy: GuestPolicy, *, is_host: bool, is_guest: bool, locked: bool, banned: bool
) -> Admission:
    """What happens to someone arriving at the room.

    Hosts always come in (they run the room), unless removed for good. Otherwise a ban turns
    the person away, then the lock, then the policy decides: ``admit`` lets everyone in,
    ``ask`` sends everyone to the lobby, ``signed_in`` lets people with an account in and
    sends guests to the lobby, ``deny`` lets people with an account in and turns guests away.
    """
    if banned:
        return Admission(Entry.REFUSE, REMOVED)
    if is_host:
        return Admission(Entry.ENTER)
    if locked:
        return Admission(Entry.REFUSE, LOCKED)
    if policy is GuestPolicy.ADMIT:
        return Admission(Entry.ENTER)
    if policy is GuestPolicy.ASK:
        return Admission(Entry.LOBBY, WAIT_FOR_HOST)
    if not is_guest:
        return Admission(Entry.ENTER)
    if policy is GuestPolicy.SIGNED_IN:
        return Admission(Entry.LOBBY, WAIT_FOR_HOST)
    return Admission(Entry.REFUSE, GUESTS_DENIED)


def parse_policy(value: object) -> GuestPolicy:
    """A policy from a form or a message, or InvalidInput naming the choices."""
    try:
        return GuestPolicy(str(value))
    except ValueError:
        choices = ", ".join(p.value for p in GuestPolicy)
        raise InvalidInput(
            {"guest_policy": f"Choose a guest policy: one of {choices}."}
        ) from None


@dataclass(frozen=True)
class Person:
    """Someone in a room: a user (``user_id``) or a meeting guest (``guest_id``)."""

    user_id: int | None = None
    guest_id: int | None = None

    def __post_init__(self) -> None:
        if (self.user_id is None) == (self.guest_id is None):
            raise ValueError("a person is a user or a guest")

    @property
    def key(self) -> str:
        """Who this is across devices and reconnects: "u:<user id>" or "g:<guest id>"."""
        return f"g:{self.guest_id}" if self.guest_id is not None else f"u:{self.user_id}"


def person_of(user_id: int, guest_id: int | None) -> Person:
    """The person a join grant or a room presence speaks for: a guest when ``guest_id`` is
    set (their ``user_id`` is then 0), else the user."""
    return Person(guest_id=guest_id) if guest_id is not None else Person(user_id=user_id)


class RoomPolicyService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    async def policy(self, room_id: str) -> GuestPolicy:
        row = await self.session.get(RoomSetting, room_id)
        return GuestPolicy(row.guest_policy) if row is not None else DEFAULT_POLICY

    async def set_policy(
        self, room_id: str, policy: GuestPolicy, actor_id: int | None
    ) -> GuestPolicy:
        row = await self.session.get(RoomSetting, room_id)
        now = self.clock.now()
        if row is None:
            row = RoomSetting(room_id=room_id, guest_policy=policy.value, updated_at=now)
        row.guest_policy = policy.value
        row.updated_by = actor_id or None
        row.updated_at = now
        self.session.add(row)
        await self.session.flush()
        log.info("room.policy_set", room_id=room_id, policy=policy.value, user_id=actor_id)
        return policy

    async def ban(
        self, room_id: str, person: Person, display_name: str, by: int | None
    ) -> None:
        """Keep ``person`` out of the room for good (idempotent)."""
        if await self.is_banned(room_id, person):
            return
        self.session.add(RoomBan(
            room_id=room_id, user_id=person.user_id, guest_id=person.guest_id,
            display_name=display_name[:200], banned_by=by or None,
            banned_at=self.clock.now(),
        ))
        await self.session.flush()
        log.info("room.banned", room_id=room_id, user_id=person.user_id,
                 guest_id=person.guest_id, by=by)

    async def is_banned(self, room_id: str, person: Person) -> bool:
        query = select(RoomBan.id).where(RoomBan.room_id == room_id)
        if person.user_id is not None:
            query = query.where(col(RoomBan.user_id) == person.user_id)
        else:
            query = query.where(col(RoomBan.guest_id) == person.guest_id)
        return (await self.session.exec(query.limit(1))).first() is not None

    async def bans(self, room_id: str) -> list[RoomBan]:
        rows = await self.session.exec(
            select(RoomBan).where(RoomBan.room_id == room_id).order_by(col(RoomBan.banned_at))
        )
        return list(rows.all())
