"""Host controls over the real signaling socket: mute one or all (never unmute), stop a
screen share, remove with or without a way back, co-hosts and presenters, and the meeting
started / ended webhooks."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlmodel import select
from structlog.testing import capture_logs

from app.webhooks.events import MEETING_ENDED, MEETING_STARTED
from app.wiring import Services
from courses.models import Role, RoomBan
from tests.app.signaling.conftest import ROOM, Connect, Peer, Server
from tests.app.test_webhook_events import sent, subscribe
from tests.factories.meetings import make_meeting
from tests.factories.people import make_user

HOST = {"user_id": 1, "name": "Dr. Host", "host": True}
ANN = {"user_id": 2, "name": "Ann"}
BOB = {"user_id": 3, "name": "Bob"}


@pytest.fixture(autouse=True)
async def accounts(services: Services) -> None:
    """Users 1 (the host), 2 and 3: bans are kept with real accounts."""
    for role, name in ((Role.FACULTY, "Dr. Host"), (Role.LEARNER, "Ann"), (Role.LEARNER, "Bob")):
        await make_user(services, role, name=name)


async def _close_code(peer: Peer) -> int:
    await asyncio.wait_for(peer.ws.wait_closed(), 10)
    code = peer.ws.close_code
    assert code is not None
    return code


async def _room(connect_peer: Connect, **people: dict[str, Any]) -> dict[str, Peer]:
    joined: dict[str, Peer] = {}
    for key, grant in people.items():
        peer = await connect_peer(**grant)
        welcome = await peer.wait_for("welcome")
        peer.participant_id = welcome["participant_id"]
        joined[key] = peer
    return joined


async def test_a_host_mutes_one_person_who_is_told_and_unmutes_themselves(
    server: Server, connect_peer: Connect
) -> None:
    room = await _room(connect_peer, host=HOST, ann=ANN, bob=BOB)
    ann_id = room["ann"].participant_id
    await room["host"].send({"type": "mute_participant", "participant_id": ann_id})
    told = await room["ann"].wait_for("muted_by_host")
    assert told == {"type": "muted_by_host", "kind": "audio", "by": "Dr. Host"}
    for peer in room.values():  # everyone's tile shows it
        await peer.wait_for("mute", lambda m: m["participant_id"] == ann_id and m["muted"])
    assert not room["bob"].of("muted_by_host")
    await room["ann"].send({"type": "mute", "kind": "audio", "muted": False})  # only she can
    await room["bob"].wait_for("mute", lambda m: m["participant_id"] == ann_id and not m["muted"])


async def test_mute_all_reaches_everyone_but_the_hosts(
    server: Server, connect_peer: Connect
) -> None:
    room = await _room(connect_peer, host=HOST, cohost={"user_id": 4, "name": "Co", "host": True},
                       ann=ANN, bob=BOB)
    await room["host"].send({"type": "mute_all"})
    for key in ("ann", "bob"):
        assert (await room[key].wait_for("muted_by_host"))["kind"] == "audio"
    await room["host"].wait_for("mute", lambda m: m["participant_id"] == room["bob"].participant_id)
    await asyncio.sleep(0.2)
    assert not room["host"].of("muted_by_host") and not room["cohost"].of("muted_by_host")


async def test_there_is_no_way_to_unmute_someone_else(
    server: Server, connect_peer: Connect
) -> None:
    room = await _room(connect_peer, host=HOST, ann=ANN)
    await room["host"].send({"type": "mute_participant",
                             "participant_id": room["ann"].participant_id, "muted": False})
    error = await room["host"].wait_for("error")
    assert error["code"] == "bad_message" and "muted" in error["message"]


async def test_a_host_stops_a_screen_share(server: Server, connect_peer: Connect) -> None:
    room = await _room(connect_peer, host=HOST, ann=ANN)
    await room["host"].send({"type": "stop_screen", "participant_id": room["ann"].participant_id})
    assert (await room["ann"].wait_for("stop_screen"))["by"] == "Dr. Host"


async def test_removed_with_a_way_back_may_rejoin(server: Server, connect_peer: Connect) -> None:
    room = await _room(connect_peer, host=HOST, ann=ANN)
    ann_id = room["ann"].participant_id
    await room["host"].send({"type": "remove", "participant_id": ann_id, "allow_rejoin": True})
    removed = await room["ann"].wait_for("removed")
    assert removed["can_rejoin"] is True
    assert await _close_code(room["ann"]) == 4424
    left = await room["host"].wait_for("participant_left")
    assert left == {"type": "participant_left", "participant_id": ann_id, "reason": "kicked"}
    await _room(connect_peer, again=ANN)


async def test_removed_for_good_cannot_rejoin_from_any_device(
    server: Server, connect_peer: Connect, services: Services
) -> None:
    room = await _room(connect_peer, host=HOST, ann=ANN, ann_phone=ANN, bob=BOB)
    await room["host"].send({"type": "remove", "participant_id": room["ann"].participant_id})
    for key in ("ann", "ann_phone"):
        assert (await room[key].wait_for("removed"))["can_rejoin"] is False
        assert await _close_code(room[key]) == 4424
    again = await connect_peer(**ANN)
    error = await again.wait_for("error")
    assert error["code"] == "removed" and "cannot rejoin" in error["message"]
    assert await _close_code(again) == 4424
    async with services.unit() as unit:
        [ban] = (await unit.session.exec(select(RoomBan))).all()
    assert (ban.room_id, ban.user_id, ban.banned_by, ban.display_name) == (ROOM, 2, 1, "Ann")
    assert room["bob"].ws.close_code is None  # nobody else was touched


async def test_a_cohost_gets_host_powers_but_cannot_remove_the_host(
    server: Server, connect_peer: Connect
) -> None:
    room = await _room(connect_peer, host=HOST, ann=ANN, bob=BOB)
    ann_id = room["ann"].participant_id
    await room["host"].send({"type": "set_role", "participant_id": ann_id, "role": "cohost"})
    you = await room["ann"].wait_for("you")
    assert you == {"type": "you", "is_host": True, "can_share_screen": True, "role": "cohost"}
    updated = await room["bob"].wait_for("participant_updated")
    assert updated["participant"]["participant_id"] == ann_id
    assert updated["participant"]["is_host"] is True
    await room["ann"].send({"type": "mute_participant",
                            "participant_id": room["bob"].participant_id})
    await room["bob"].wait_for("muted_by_host", lambda m: m["by"] == "Ann")
    await room["ann"].send({"type": "remove", "participant_id": room["host"].participant_id})
    assert (await room["ann"].wait_for("error"))["code"] == "forbidden"
    assert room["host"].ws.close_code is None
    # hosts-only chat now reaches the co-host
    await room["bob"].send({"type": "chat", "text": "A question for the hosts", "to": "hosts"})
    await room["ann"].wait_for("chat", lambda m: m["to"] == "hosts")
    # and taking the role back takes the powers back
    await room["host"].send({"type": "set_role", "participant_id": ann_id, "role": "participant"})
    await room["ann"].wait_for("you", lambda m: m["is_host"] is False)
    await room["ann"].wait_for("stop_screen")  # she may no longer share
    await room["ann"].send({"type": "mute_all"})
    await room["ann"].wait_for("error", lambda m: m["code"] == "forbidden")


async def test_a_presenter_may_share_the_screen(server: Server, connect_peer: Connect) -> None:
    room = await _room(connect_peer, host=HOST, ann=ANN)
    await room["host"].send({"type": "set_role", "participant_id": room["ann"].participant_id,
                             "role": "presenter"})
    you = await room["ann"].wait_for("you")
    assert (you["is_host"], you["can_share_screen"]) == (False, True)
    sfu_room = server.app.state.live_rooms.sfu.get_room(ROOM)
    grants = sfu_room.participant(room["ann"].participant_id).info.grants
    assert grants.can_share_screen is True and grants.is_host is False


async def test_host_commands_from_a_participant_are_refused_and_logged(
    server: Server, connect_peer: Connect
) -> None:
    room = await _room(connect_peer, host=HOST, ann=ANN, bob=BOB)
    bob_id = room["bob"].participant_id
    commands = [
        {"type": "mute_participant", "participant_id": bob_id},
        {"type": "mute_all"},
        {"type": "stop_screen", "participant_id": bob_id},
        {"type": "remove", "participant_id": bob_id},
        {"type": "set_role", "participant_id": room["ann"].participant_id, "role": "cohost"},
        {"type": "close_room"},
    ]
    with capture_logs() as logs:
        for command in commands:
            await room["ann"].send(command)
        await room["ann"].wait_for("error", lambda m: len(room["ann"].of("error")) >= 6)
    assert {e["code"] for e in room["ann"].of("error")} == {"forbidden"}
    refused = [e["command"] for e in logs if e["event"] == "signaling.host_command_refused"]
    assert refused == ["mute_participant", "mute_all", "stop_screen", "remove", "set_role",
                       "close_room"]
    assert room["bob"].ws.close_code is None and not room["bob"].of("muted_by_host")


async def test_meeting_rooms_publish_started_and_ended(
    server: Server, connect_peer: Connect, services: Services
) -> None:
    organizer = await make_user(services, Role.FACULTY, name="Organizer")
    change = await make_meeting(services, organizer)
    endpoint_id = await subscribe(services, MEETING_STARTED, MEETING_ENDED)
    room_id = f"meeting-{change.meeting.id}"
    host = await connect_peer(room_id=room_id, user_id=organizer.id, name="Organizer", host=True)
    await host.wait_for("welcome")
    await host.send({"type": "close_room"})
    await host.wait_for("room_closed")
    for _ in range(100):
        events = await sent(services, endpoint_id)
        if len(events) == 2:
            break
        await asyncio.sleep(0.05)
    started, ended = events
    assert started["type"] == MEETING_STARTED and ended["type"] == MEETING_ENDED
    assert started["data"]["meeting_id"] == change.meeting.id
    assert started["data"]["started_by"] == organizer.id
    assert ended["data"]["ended_by"] == "host" and ended["data"]["room_id"] == room_id


async def test_stopping_a_screen_share_stops_its_forwarding_at_once(
    server: Server, connect_peer: Connect
) -> None:
    """Even a page that ignores ``stop_screen`` shares nothing more."""
    room = await _room(connect_peer, host=HOST, ann=ANN)
    ann_id = room["ann"].participant_id
    await room["host"].publish(video=False)  # the host's microphone; receives what comes
    await room["host"].wait_for("answer")
    await room["host"].send({"type": "set_role", "participant_id": ann_id, "role": "presenter"})
    await room["ann"].wait_for("you")
    await room["ann"].publish(audio=False, video_source="screen")
    await room["ann"].wait_for("answer")
    await room["host"].wait_for("streams", lambda m: bool(m["screens"]))
    for _ in range(200):
        if room["host"].frames.get("video", 0) > 5:
            break
        await asyncio.sleep(0.05)
    assert room["host"].frames.get("video", 0) > 5, room["host"].frames

    await room["host"].send({"type": "stop_screen", "participant_id": ann_id})
    await room["ann"].wait_for("stop_screen")
    await asyncio.sleep(0.5)  # what was on the wire arrives
    stopped_at = room["host"].frames["video"]
    await asyncio.sleep(1.5)
    assert room["host"].frames["video"] <= stopped_at + 1, (stopped_at, room["host"].frames)
