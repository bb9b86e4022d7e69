"""Guest-policy rules (courses.rooms.admission) and the policies and bans kept per room."""

from __future__ import annotations

import pytest

from app.wiring import Services
from courses.errors import InvalidInput
from courses.models import GuestPolicy, Role
from courses.rooms import (
    DEFAULT_POLICY,
    GUESTS_DENIED,
    LOCKED,
    REMOVED,
    WAIT_FOR_HOST,
    Admission,
    Entry,
    Person,
    RoomPolicyService,
    admission,
    parse_policy,
)
from tests.factories.people import make_user

ENTER, LOBBY = Admission(Entry.ENTER), Admission(Entry.LOBBY, WAIT_FOR_HOST)

# (policy, arriving as) -> what happens, with the room unlocked and nobody banned
RULES = {
    (GuestPolicy.ADMIT, "user"): ENTER,
    (GuestPolicy.ADMIT, "guest"): ENTER,
    (GuestPolicy.ASK, "user"): LOBBY,
    (GuestPolicy.ASK, "guest"): LOBBY,
    (GuestPolicy.SIGNED_IN, "user"): ENTER,
    (GuestPolicy.SIGNED_IN, "guest"): LOBBY,
    (GuestPolicy.DENY, "user"): ENTER,
    (GuestPolicy.DENY, "guest"): Admission(Entry.REFUSE, GUESTS_DENIED),
}


@pytest.mark.parametrize(("policy", "who"), sorted(RULES))
def test_each_policy_decides_for_users_and_guests(policy: GuestPolicy, who: str) -> None:
    decided = admission(policy, is_host=False, is_guest=who == "guest", locked=False,
                        banned=False)
    assert decided == RULES[(policy, who)]


@pytest.mark.parametrize("policy", list(GuestPolicy))
def test_hosts_always_come_in_even_when_locked(policy: GuestPolicy) -> None:
    assert admission(policy, is_host=True, is_guest=False, locked=True, banned=False) == ENTER


@pytest.mark.parametrize("policy", list(GuestPolicy))
def test_a_lock_turns_away_everyone_else(policy: GuestPolicy) -> None:
    for guest in (False, True):
        decided = admission(policy, is_host=False, is_guest=guest, locked=True, banned=False)
        assert decided == Admission(Entry.REFUSE, LOCKED)


def test_a_ban_wins_over_everything() -> None:
    for host in (False, True):
        decided = admission(GuestPolicy.ADMIT, is_host=host, is_guest=False, locked=False,
                            banned=True)
        assert decided == Admission(Entry.REFUSE, REMOVED)


def test_a_policy_is_read_from_forms_and_messages_with_a_clear_error() -> None:
    assert parse_policy("ask") is GuestPolicy.ASK
    with pytest.raises(InvalidInput) as caught:
        parse_policy("everyone")
    assert "admit, ask, signed_in, deny" in caught.value.errors["guest_policy"]


async def test_policies_default_and_are_kept_per_room(services: Services) -> None:
    host = await make_user(services, Role.FACULTY)
    async with services.unit() as unit:
        service = RoomPolicyService(unit.session, unit.clock)
        assert await service.policy("meeting-1") is DEFAULT_POLICY is GuestPolicy.SIGNED_IN
        await service.set_policy("meeting-1", GuestPolicy.ASK, host.id)
        await service.set_policy("meeting-1", GuestPolicy.DENY, host.id)  # replaces
    async with services.unit() as unit:
        service = RoomPolicyService(unit.session, unit.clock)
        assert await service.policy("meeting-1") is GuestPolicy.DENY
        assert await service.policy("meeting-2") is DEFAULT_POLICY


async def test_bans_are_per_room_and_per_person(services: Services) -> None:
    host = await make_user(services, Role.FACULTY)
    learner = await make_user(services, Role.LEARNER)
    async with services.unit() as unit:
        service = RoomPolicyService(unit.session, unit.clock)
        await service.ban("activity-5", Person(user_id=learner.id), "Learner", host.id)
        await service.ban("activity-5", Person(user_id=learner.id), "Learner", host.id)
    async with services.unit() as unit:
        service = RoomPolicyService(unit.session, unit.clock)
        assert await service.is_banned("activity-5", Person(user_id=learner.id))
        assert not await service.is_banned("activity-6", Person(user_id=learner.id))
        assert not await service.is_banned("activity-5", Person(user_id=host.id))
        assert len(await service.bans("activity-5")) == 1  # the second ban changed nothing


def test_a_person_is_a_user_or_a_guest() -> None:
    with pytest.raises(ValueError):
        Person()
    with pytest.raises(ValueError):
        Person(user_id=1, guest_id=2)
