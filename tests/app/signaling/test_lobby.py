"""The lobby over the real signaling socket: guest policies, letting people in or turning
them away one by one or all at once, the room lock, and the policy kept in the database."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlmodel import select
from structlog.testing import capture_logs

from app.wiring import Services
from courses.models import GuestPolicy, Role, RoomSetting
from courses.rooms import GUESTS_DENIED, LOCKED
from tests.app.signaling.conftest import ROOM, Connect, Peer, Server
from tests.factories.people import make_user

HOST = {"user_id": 1, "name": "Dr. Host", "host": True}


@pytest.fixture(autouse=True)
async def host_account(services: Services) -> None:
    """User 1, the host: the policy they set is kept with their id."""
    user = await make_user(services, Role.FACULTY, name="Dr. Host")
    assert user.id == 1


async def _close_code(peer: Peer) -> int:
    await asyncio.wait_for(peer.ws.wait_closed(), 10)
    code = peer.ws.close_code
    assert code is not None
    return code


async def _welcomed(connect_peer: Connect, **grant: Any) -> Peer:
    peer = await connect_peer(**grant)
    welcome = await peer.wait_for("welcome")
    peer.participant_id = welcome["participant_id"]
    return peer


async def _policy(host: Peer, policy: str) -> None:
    await host.send({"type": "guest_policy", "policy": policy})
    await host.wait_for("room_state", lambda m: m["guest_policy"] == policy)


async def test_with_ask_everyone_waits_and_a_host_lets_one_in_and_turns_one_away(
    server: Server, connect_peer: Connect
) -> None:
    host = await _welcomed(connect_peer, **HOST)
    assert host.of("welcome")[0]["room_state"] == {"locked": False, "guest_policy": "signed_in"}
    assert host.of("welcome")[0]["lobby"] == []
    await _policy(host, "ask")

    ann = await connect_peer(user_id=2, name="Ann")
    assert (await ann.wait_for("lobby"))["message"]
    bob = await connect_peer(user_id=3, name="Bob")
    await bob.wait_for("lobby")
    queue = await host.wait_for("lobby_queue", lambda m: len(m["waiting"]) == 2)
    assert [w["name"] for w in queue["waiting"]] == ["Ann", "Bob"]  # in order of arrival
    assert not ann.of("welcome") and not bob.of("welcome")

    # nobody in the lobby sees the room: no participants, no chat
    await host.send({"type": "chat", "text": "Only for those inside"})
    await host.wait_for("chat")

    ann_id, bob_id = (w["participant_id"] for w in queue["waiting"])
    await host.send({"type": "admit", "participant_id": ann_id})
    welcome = await ann.wait_for("welcome")
    assert [p["display_name"] for p in welcome["participants"]] == ["Dr. Host", "Ann"]
    assert "lobby" not in welcome  # only hosts see the queue
    await host.wait_for("participant_joined")

    await host.send({"type": "deny", "participant_id": bob_id})
    error = await bob.wait_for("error")
    assert error["code"] == "denied" and "did not let you in" in error["message"]
    assert await _close_code(bob) == 4423
    await host.wait_for("lobby_queue", lambda m: m["waiting"] == [])
    assert not ann.of("chat") and not bob.of("chat")


async def test_a_host_lets_everyone_in_at_once(server: Server, connect_peer: Connect) -> None:
    host = await _welcomed(connect_peer, **HOST)
    await _policy(host, "ask")
    waiting = [await connect_peer(user_id=10 + n, name=f"P{n}") for n in range(3)]
    await host.wait_for("lobby_queue", lambda m: len(m["waiting"]) == 3)
    await host.send({"type": "admit", "all": True})
    for peer in waiting:
        await peer.wait_for("welcome")
    await host.wait_for("lobby_queue", lambda m: m["waiting"] == [])


async def test_people_waiting_before_the_host_arrives_are_shown_to_the_host(
    server: Server, connect_peer: Connect, services: Services
) -> None:
    async with services.unit() as unit:
        unit.session.add(RoomSetting(room_id=ROOM, guest_policy="ask",
                                     updated_at=unit.clock.now()))
    ann = await connect_peer(user_id=2, name="Ann")
    await ann.wait_for("lobby")
    host = await _welcomed(connect_peer, **HOST)
    assert [w["name"] for w in host.of("welcome")[0]["lobby"]] == ["Ann"]
    assert host.of("welcome")[0]["room_state"]["guest_policy"] == "ask"  # read from the DB


async def test_signed_in_policy_lets_users_in_and_holds_guests(
    server: Server, connect_peer: Connect
) -> None:
    host = await _welcomed(connect_peer, **HOST)
    await _welcomed(connect_peer, user_id=2, name="Ann")  # signed in: straight in
    guest = await connect_peer(guest_id=7, name="Visiting Guest")
    await guest.wait_for("lobby")
    queue = await host.wait_for("lobby_queue", lambda m: len(m["waiting"]) == 1)
    assert queue["waiting"][0]["guest"] is True and queue["waiting"][0]["role"] == "guest"


async def test_deny_policy_turns_guests_away_with_a_reason(
    server: Server, connect_peer: Connect
) -> None:
    host = await _welcomed(connect_peer, **HOST)
    await _policy(host, "deny")
    guest = await connect_peer(guest_id=7, name="Visiting Guest")
    error = await guest.wait_for("error")
    assert error == {"type": "error", "code": "not_admitted", "message": GUESTS_DENIED}
    assert await _close_code(guest) == 4423
    await _welcomed(connect_peer, user_id=2, name="Ann")  # people signed in still come in


async def test_admit_policy_lets_guests_straight_in_and_frees_the_lobby(
    server: Server, connect_peer: Connect, services: Services
) -> None:
    host = await _welcomed(connect_peer, **HOST)
    guest = await connect_peer(guest_id=7, name="Visiting Guest")
    await guest.wait_for("lobby")
    await _policy(host, "admit")  # whoever now gets in outright is let in
    await guest.wait_for("welcome")
    await _welcomed(connect_peer, guest_id=8, name="Second Guest")
    async with services.unit() as unit:
        row = (await unit.session.exec(select(RoomSetting))).one()
    assert (row.room_id, row.guest_policy, row.updated_by) == (ROOM, GuestPolicy.ADMIT, 1)


async def test_a_locked_room_turns_newcomers_away_but_not_hosts(
    server: Server, connect_peer: Connect
) -> None:
    host = await _welcomed(connect_peer, **HOST)
    ann = await _welcomed(connect_peer, user_id=2, name="Ann")
    await host.send({"type": "lock", "locked": True})
    assert (await ann.wait_for("room_state"))["locked"] is True  # everyone is told
    late = await connect_peer(user_id=3, name="Late")
    assert (await late.wait_for("error"))["message"] == LOCKED
    assert await _close_code(late) == 4423
    await _welcomed(connect_peer, user_id=4, name="Co-teacher", host=True)
    await host.send({"type": "lock", "locked": False})
    await host.wait_for("room_state", lambda m: m["locked"] is False)
    await _welcomed(connect_peer, user_id=3, name="Late")


async def test_lobby_commands_from_a_non_host_are_refused_and_logged(
    server: Server, connect_peer: Connect
) -> None:
    await _welcomed(connect_peer, **HOST)
    ann = await _welcomed(connect_peer, user_id=2, name="Ann")
    with capture_logs() as logs:
        for command in ({"type": "admit", "all": True}, {"type": "lock", "locked": True},
                        {"type": "guest_policy", "policy": "admit"}):
            await ann.send(command)
        await ann.wait_for("error", lambda m: len(ann.of("error")) >= 3)
    assert [e["code"] for e in ann.of("error")] == ["forbidden"] * 3
    refused = [e for e in logs if e["event"] == "signaling.host_command_refused"]
    assert [e["command"] for e in refused] == ["admit", "lock", "guest_policy"]


async def test_bad_lobby_commands_get_a_reason(server: Server, connect_peer: Connect) -> None:
    host = await _welcomed(connect_peer, **HOST)
    await host.send({"type": "admit"})
    assert "participant_id or all" in (await host.wait_for("error"))["message"]
    await host.send({"type": "guest_policy", "policy": "everyone"})
    await host.wait_for("error", lambda m: "policy" in m["message"])
    await host.send({"type": "admit", "participant_id": "p-nobody"})
    await host.wait_for("error", lambda m: m["code"] == "not_found")


async def test_leaving_the_lobby_takes_one_off_the_queue(
    server: Server, connect_peer: Connect
) -> None:
    host = await _welcomed(connect_peer, **HOST)
    await _policy(host, "ask")
    ann = await connect_peer(user_id=2, name="Ann")
    await host.wait_for("lobby_queue", lambda m: len(m["waiting"]) == 1)
    await ann.send({"type": "ping"})
    await ann.wait_for("pong")  # still answered while waiting
    await ann.close()
    await host.wait_for("lobby_queue", lambda m: m["waiting"] == [] and len(
        host.of("lobby_queue")) >= 2)


async def test_ending_the_room_tells_those_waiting(server: Server, connect_peer: Connect) -> None:
    host = await _welcomed(connect_peer, **HOST)
    await _policy(host, "ask")
    ann = await connect_peer(user_id=2, name="Ann")
    await ann.wait_for("lobby")
    await host.send({"type": "close_room"})
    await ann.wait_for("room_closed")
    assert await _close_code(ann) == 4410
