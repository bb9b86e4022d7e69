"""In-room chat and raised hands over the real signaling socket (app.signaling.chat), and the
transcript kept with the session (courses.chat): delivery, privacy, limits, the hand queue."""

from __future__ import annotations

import asyncio
import csv
import io
from typing import Any

import pytest
from sqlmodel import col, select
from structlog.testing import capture_logs

from app.signaling import chat as chat_module
from app.wiring import Services
from courses.chat import MAX_TEXT, ChatService, chat_csv
from courses.errors import PermissionDenied
from courses.models import ChatMessage, Role
from tests.app.signaling.conftest import Connect, Peer, Server
from tests.factories.catalog import make_course, make_live
from tests.factories.people import make_user


async def _room(connect_peer: Connect, **people: dict[str, Any]) -> dict[str, Peer]:
    """Everyone in ``people`` joined (in order) and welcomed."""
    joined: dict[str, Peer] = {}
    for key, grant in people.items():
        peer = await connect_peer(**grant)
        welcome = await peer.wait_for("welcome")
        peer.participant_id = welcome["participant_id"]
        joined[key] = peer
    return joined


def _chats(peer: Peer) -> list[str]:
    return [m["text"] for m in peer.of("chat")]


async def _kept(services: Services) -> list[ChatMessage]:
    async with services.unit() as unit:
        rows = await unit.session.exec(select(ChatMessage).order_by(col(ChatMessage.id)))
        return list(rows.all())


HOST = {"user_id": 1, "name": "Dr. Host", "host": True}
ANN = {"user_id": 2, "name": "Ann"}
BOB = {"user_id": 3, "name": "Bob"}


async def test_a_message_to_everyone_reaches_everyone(
    server: Server, connect_peer: Connect
) -> None:
    room = await _room(connect_peer, host=HOST, ann=ANN, bob=BOB)
    await room["ann"].send({"type": "chat", "text": "  Good morning!  ", "to": "everyone"})
    for peer in room.values():
        message = await peer.wait_for("chat")
        assert message["text"] == "Good morning!"  # stripped
        assert message["to"] == "everyone"
        assert message["from"] == {
            "participant_id": room["ann"].participant_id,
            "name": "Ann",
            "role": "learner",
        }
        assert isinstance(message["id"], int) and message["at"].startswith("2026-12-01T12:00")


async def test_a_message_to_the_hosts_reaches_the_hosts_and_the_sender_only(
    server: Server, connect_peer: Connect
) -> None:
    room = await _room(connect_peer, host=HOST, ann=ANN, bob=BOB)
    await room["ann"].send({"type": "chat", "text": "I have a private question", "to": "hosts"})
    await room["ann"].send({"type": "chat", "text": "Hello all"})  # "to" defaults to everyone
    private = await room["host"].wait_for("chat", lambda m: m["to"] == "hosts")
    assert private["text"] == "I have a private question"
    await room["ann"].wait_for("chat", lambda m: m["to"] == "hosts")
    # Bob gets the later message to everyone, and never the private one before it.
    await room["bob"].wait_for("chat", lambda m: m["text"] == "Hello all")
    await room["host"].wait_for("chat", lambda m: m["text"] == "Hello all")
    assert _chats(room["bob"]) == ["Hello all"]


async def test_too_long_empty_or_misaddressed_messages_are_refused_with_a_reason(
    server: Server, connect_peer: Connect
) -> None:
    room = await _room(connect_peer, host=HOST, ann=ANN)
    ann, host = room["ann"], room["host"]
    await ann.send({"type": "chat", "text": "x" * (MAX_TEXT + 1)})
    too_long = await ann.wait_for("error", lambda m: m["code"] == "chat_invalid")
    assert f"limited to {MAX_TEXT} characters" in too_long["message"]
    assert f"yours has {MAX_TEXT + 1}" in too_long["message"]
    await ann.send({"type": "chat", "text": "   \n "})
    await ann.wait_for("error", lambda m: "Type a message" in m["message"])
    await ann.send({"type": "chat", "text": "hi", "to": "the back row"})
    bad = await ann.wait_for("error", lambda m: m["code"] == "bad_message")
    assert "chat: to" in bad["message"]
    await ann.send({"type": "chat", "text": 42})
    await ann.wait_for("error", lambda m: m["code"] == "bad_message" and "text" in m["message"])
    # exactly the limit is fine, and the room goes on
    await ann.send({"type": "chat", "text": "y" * MAX_TEXT})
    accepted = await host.wait_for("chat")
    assert len(accepted["text"]) == MAX_TEXT
    assert _chats(host) == ["y" * MAX_TEXT] and _chats(ann) == ["y" * MAX_TEXT]
    await ann.send({"type": "ping"})
    await ann.wait_for("pong")


async def test_a_chat_flood_is_refused_politely_and_the_socket_stays_open(
    server: Server, connect_peer: Connect
) -> None:
    room = await _room(connect_peer, host=HOST, ann=ANN)
    ann, host = room["ann"], room["host"]
    for n in range(chat_module.CHAT_BURST + 3):
        await ann.send({"type": "chat", "text": f"spam {n}"})
    await ann.wait_for("chat", lambda m: m["text"] == f"spam {chat_module.CHAT_BURST - 1}")
    for _ in range(100):
        if len(ann.of("error")) >= 3:
            break
        await asyncio.sleep(0.02)
    errors = ann.of("error")
    assert [e["code"] for e in errors] == ["chat_rate_limited"] * 3
    assert errors[0]["message"] == "You are sending messages too fast; wait a moment."
    await host.wait_for("chat", lambda m: m["text"] == f"spam {chat_module.CHAT_BURST - 1}")
    assert _chats(host) == [f"spam {n}" for n in range(chat_module.CHAT_BURST)]
    # a moment later, messages go through again on the same socket
    await asyncio.sleep(1.1 / chat_module.CHAT_RATE)
    await ann.send({"type": "chat", "text": "sorry about that"})
    await host.wait_for("chat", lambda m: m["text"] == "sorry about that")
    assert ann.ws.close_code is None


async def test_html_travels_verbatim_and_is_kept_verbatim(
    server: Server, connect_peer: Connect, services: Services
) -> None:
    room = await _room(connect_peer, host=HOST, ann=ANN)
    markup = '<script>alert(1)</script><img src=x onerror="alert(2)"> & &amp;'
    await room["ann"].send({"type": "chat", "text": markup})
    received = await room["host"].wait_for("chat")
    assert received["text"] == markup
    kept = await _kept(services)
    assert [m.text for m in kept] == [markup] and kept[0].id == received["id"]
    # activity-1 has no session row, and the test users no accounts: kept without the links
    assert kept[0].room_id == "activity-1" and kept[0].activity_id is None
    assert kept[0].user_id is None and kept[0].sender_name == "Ann"


async def test_hands_queue_in_the_order_raised_and_newcomers_see_it(
    server: Server, connect_peer: Connect
) -> None:
    room = await _room(connect_peer, host=HOST, ann=ANN, bob=BOB)
    host, ann, bob = room["host"], room["ann"], room["bob"]
    assert (await host.wait_for("welcome"))["hands"] == []
    await bob.send({"type": "hand", "raised": True})
    await host.wait_for("hands", lambda m: len(m["queue"]) == 1)
    await ann.send({"type": "hand", "raised": True})
    queue = (await host.wait_for("hands", lambda m: len(m["queue"]) == 2))["queue"]
    assert [h["name"] for h in queue] == ["Bob", "Ann"]
    assert [h["participant_id"] for h in queue] == [bob.participant_id, ann.participant_id]
    assert all(h["raised_at"] for h in queue)
    await bob.wait_for("hands", lambda m: len(m["queue"]) == 2)  # everyone gets the queue

    carol = await connect_peer(user_id=4, name="Carol")
    welcome = await carol.wait_for("welcome")
    assert [h["name"] for h in welcome["hands"]] == ["Bob", "Ann"]

    # Bob raising again keeps his place; lowering his own takes him out
    await bob.send({"type": "hand", "raised": True})
    await bob.send({"type": "hand", "raised": False})
    after = await carol.wait_for("hands", lambda m: [h["name"] for h in m["queue"]] == ["Ann"])
    assert after["queue"][0]["participant_id"] == ann.participant_id


async def test_only_a_host_lowers_someone_elses_hand_and_a_refusal_is_logged(
    server: Server, connect_peer: Connect
) -> None:
    room = await _room(connect_peer, host=HOST, ann=ANN, bob=BOB)
    host, ann, bob = room["host"], room["ann"], room["bob"]
    await ann.send({"type": "hand", "raised": True})
    await host.wait_for("hands", lambda m: len(m["queue"]) == 1)
    with capture_logs() as logs:
        await bob.send({"type": "hand", "raised": False, "participant_id": ann.participant_id})
        refused = await bob.wait_for("error", lambda m: m["code"] == "forbidden")
    assert "Only a host" in refused["message"]
    entry = next(e for e in logs if e["event"] == "signaling.host_command_refused")
    assert entry["command"] == "lower_hand" and entry["room_id"] == "activity-1"
    assert entry["user_id"] == 3 and entry["target"] == ann.participant_id
    # nobody raises a hand for someone else, host or not
    await host.send({"type": "hand", "raised": True, "participant_id": bob.participant_id})
    await host.wait_for("error", lambda m: m["code"] == "forbidden")
    await host.send({"type": "hand", "raised": False, "participant_id": ann.participant_id})
    await ann.wait_for("hands", lambda m: m["queue"] == [])
    assert [len(m["queue"]) for m in bob.of("hands")] == [1, 0]


async def test_leaving_takes_the_hand_down(server: Server, connect_peer: Connect) -> None:
    room = await _room(connect_peer, host=HOST, ann=ANN, bob=BOB)
    host, ann, bob = room["host"], room["ann"], room["bob"]
    await ann.send({"type": "hand", "raised": True})
    await bob.send({"type": "hand", "raised": True})
    await host.wait_for("hands", lambda m: len(m["queue"]) == 2)
    await ann.send({"type": "leave"})
    only_bob = [bob.participant_id]
    await host.wait_for("hands", lambda m: [h["participant_id"] for h in m["queue"]] == only_bob)
    await bob.close()  # a socket that just goes away
    await host.wait_for("hands", lambda m: m["queue"] == [])


async def test_the_chat_is_kept_with_the_session_and_exported_for_its_faculty(
    server: Server, connect_peer: Connect, services: Services
) -> None:
    admin = await make_user(services, Role.ADMIN)
    faculty = await make_user(services, Role.FACULTY, name="Dr. Host")
    other_faculty = await make_user(services, Role.FACULTY)
    learner = await make_user(services, Role.LEARNER, name="Ann Learner")
    course = await make_course(services, admin, faculty_ids=[faculty.id])
    live = await make_live(
        services, admin, course, starts_at=services.clock.now(), timezone="America/New_York"
    )
    room_id = f"activity-{live.id}"
    host = await connect_peer(room_id=room_id, user_id=faculty.id, name="Dr. Host", host=True)
    ann = await connect_peer(room_id=room_id, user_id=learner.id, name="Ann Learner")
    await host.wait_for("welcome")
    await ann.wait_for("welcome")
    await ann.send({"type": "chat", "text": '=HYPERLINK("http://x")', "to": "hosts"})
    await host.wait_for("chat")
    await host.send({"type": "chat", "text": "Welcome, everyone"})
    await ann.wait_for("chat", lambda m: m["text"] == "Welcome, everyone")

    kept = await _kept(services)
    assert [(m.activity_id, m.user_id, m.audience) for m in kept] == [
        (live.id, learner.id, "hosts"),
        (live.id, faculty.id, "everyone"),
    ]
    for actor in (faculty, admin):
        async with services.unit() as unit:
            transcript = await ChatService(unit.session, unit.clock).transcript(live.id or 0, actor)
        rows = list(csv.reader(io.StringIO(chat_csv(transcript))))
        assert rows == [
            ["sent_at", "sender", "audience", "text"],
            # 12:00 UTC on 1 December is 07:00 in New York
            ["2026-12-01 07:00:00 EST", "Ann Learner", "hosts", '\'=HYPERLINK("http://x")'],
            ["2026-12-01 07:00:00 EST", "Dr. Host", "everyone", "Welcome, everyone"],
        ]
    for outsider in (learner, other_faculty):
        async with services.unit() as unit:
            with pytest.raises(PermissionDenied):
                await ChatService(unit.session, unit.clock).transcript(live.id or 0, outsider)
