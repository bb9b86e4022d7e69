"""Polls over the real signaling socket (app.signaling.interaction): hosts open, close and show
them; everyone votes; hosts see results as votes arrive, others only when shown; refusals come
with a reason, host commands from others are refused and logged; a newcomer gets the polls."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlmodel import select
from structlog.testing import capture_logs

from app.signaling import interaction as interaction_module
from app.signaling.interaction_store import RESULTS_INTERVAL
from app.wiring import Services
from courses.models import Poll, PollVote, Role
from courses.polls import MAX_OPTIONS
from tests.app.signaling.conftest import Connect, Peer, Server
from tests.app.signaling.test_chat import _room
from tests.factories.catalog import make_course, make_live
from tests.factories.people import make_user

HOST = {"user_id": 1, "name": "Dr. Host", "host": True}
ANN = {"user_id": 2, "name": "Ann"}
BOB = {"user_id": 3, "name": "Bob"}
POLL = {"type": "poll_open", "question": "  First line therapy?  ", "kind": "single",
        "options": ["Metformin", "SGLT2i", "GLP-1 RA"]}


async def _open(host: Peer, **fields: Any) -> int:
    """Open a poll as ``host``; its id once the host is told."""
    before = len(host.of("poll"))
    await host.send({**POLL, **fields})
    for _ in range(500):
        if len(host.of("poll")) > before:
            poll_id: int = host.of("poll")[-1]["poll"]["id"]
            return poll_id
        await asyncio.sleep(0.02)
    raise AssertionError(f"no poll opened; got {host.received}")


def _results(peer: Peer, poll_id: int) -> list[dict[str, Any]]:
    return [m for m in peer.of("poll_results") if m["poll_id"] == poll_id]


async def test_a_host_opens_a_poll_everyone_votes_and_only_hosts_see_live_results(
    server: Server, connect_peer: Connect
) -> None:
    room = await _room(connect_peer, host=HOST, ann=ANN, bob=BOB)
    host, ann, bob = room["host"], room["ann"], room["bob"]
    poll_id = await _open(host)
    for peer in (ann, bob):
        shown = (await peer.wait_for("poll"))["poll"]
        assert shown["question"] == "First line therapy?"  # stripped
        assert shown["options"] == ["Metformin", "SGLT2i", "GLP-1 RA"]
        assert shown["kind"] == "single" and shown["closed"] is False
        assert shown["by"] == "Dr. Host" and shown["results_shown"] is False
        assert "results" not in shown  # learners do not see results while hidden
    assert host.of("poll")[0]["poll"]["results"] == {"counts": [0, 0, 0], "voters": 0}

    await ann.send({"type": "poll_vote", "poll_id": poll_id, "choices": [1]})
    voted = await ann.wait_for("poll_voted")
    assert voted == {"type": "poll_voted", "poll_id": poll_id, "choices": [1]}
    await host.wait_for("poll_results", lambda m: m["counts"] == [0, 1, 0])
    await bob.send({"type": "poll_vote", "poll_id": poll_id, "choices": [2]})
    await ann.send({"type": "poll_vote", "poll_id": poll_id, "choices": [2]})  # changes her mind
    final = await host.wait_for("poll_results", lambda m: m["counts"] == [0, 0, 2])
    assert final["voters"] == 2
    await bob.wait_for("poll_voted")
    await asyncio.sleep(2 * RESULTS_INTERVAL)
    assert _results(ann, poll_id) == [] and _results(bob, poll_id) == []
    assert [m["choices"] for m in ann.of("poll_voted")] == [[1], [2]]
    assert [m["choices"] for m in bob.of("poll_voted")] == [[2]]


async def test_shown_results_reach_everyone_and_closing_stops_the_votes(
    server: Server, connect_peer: Connect
) -> None:
    room = await _room(connect_peer, host=HOST, ann=ANN, bob=BOB)
    host, ann, bob = room["host"], room["ann"], room["bob"]
    poll_id = await _open(host, kind="multiple", show_results=True)
    opened = (await ann.wait_for("poll"))["poll"]
    assert opened["results"] == {"counts": [0, 0, 0], "voters": 0}
    await ann.send({"type": "poll_vote", "poll_id": poll_id, "choices": [2, 0]})
    assert (await ann.wait_for("poll_voted"))["choices"] == [0, 2]
    await bob.wait_for("poll_results", lambda m: m["counts"] == [1, 0, 1] and m["voters"] == 1)

    # hidden again: learners get the poll without results, the host keeps them
    await host.send({"type": "poll_show", "poll_id": poll_id, "shown": False})
    hidden = await bob.wait_for("poll", lambda m: m["poll"]["results_shown"] is False)
    assert "results" not in hidden["poll"]
    host_view = await host.wait_for("poll", lambda m: m["poll"]["results_shown"] is False)
    assert host_view["poll"]["results"]["counts"] == [1, 0, 1]

    await host.send({"type": "poll_close", "poll_id": poll_id})
    closed = await bob.wait_for("poll", lambda m: m["poll"]["closed"])
    assert closed["poll"]["closed_at"] and "results" not in closed["poll"]
    await bob.send({"type": "poll_vote", "poll_id": poll_id, "choices": [1]})
    refused = await bob.wait_for("error", lambda m: m["code"] == "poll_closed")
    assert "no longer takes votes" in refused["message"]

    # shown after closing: everyone sees the final results
    await host.send({"type": "poll_show", "poll_id": poll_id, "shown": True})
    final = await bob.wait_for("poll", lambda m: m["poll"]["closed"] and "results" in m["poll"])
    assert final["poll"]["results"] == {"counts": [1, 0, 1], "voters": 1}


async def test_bad_polls_and_votes_are_refused_with_a_reason(
    server: Server, connect_peer: Connect
) -> None:
    room = await _room(connect_peer, host=HOST, ann=ANN)
    host, ann = room["host"], room["ann"]
    too_many = [f"Option {n}" for n in range(MAX_OPTIONS + 1)]
    await host.send({**POLL, "options": too_many})
    error = await host.wait_for("error", lambda m: m["code"] == "poll_invalid")
    assert f"at most {MAX_OPTIONS} options; this one has {MAX_OPTIONS + 1}" in error["message"]
    await host.send({**POLL, "options": ["Yes", "yes"]})
    await host.wait_for("error", lambda m: "repeats option 1" in m["message"])
    await host.send({**POLL, "kind": "ranked"})
    await host.wait_for("error", lambda m: m["code"] == "bad_message" and "kind" in m["message"])
    await host.send({**POLL, "colour": "red"})
    await host.wait_for("error", lambda m: m["code"] == "bad_message" and "colour" in m["message"])

    poll_id = await _open(host)
    for choices, says in [([0, 1], "exactly one choice; you chose 2"),
                          ([7], "Choice 7 is not one of this poll's 3 options"),
                          ([], "Choose an option")]:
        await ann.send({"type": "poll_vote", "poll_id": poll_id, "choices": choices})
        await ann.wait_for("error", lambda m, says=says: says in m["message"])
    await ann.send({"type": "poll_vote", "poll_id": poll_id, "choices": ["1"]})
    await ann.wait_for("error", lambda m: m["code"] == "bad_message" and "choices" in m["message"])
    await ann.send({"type": "poll_vote", "poll_id": poll_id + 1000, "choices": [0]})
    missing = await ann.wait_for("error", lambda m: m["code"] == "poll_not_found")
    assert f"no poll {poll_id + 1000} in this room" in missing["message"]
    assert ann.of("poll_voted") == []
    await ann.send({"type": "ping"})
    await ann.wait_for("pong")  # the socket stays open


async def test_only_hosts_open_close_or_show_polls_and_refusals_are_logged(
    server: Server, connect_peer: Connect
) -> None:
    room = await _room(connect_peer, host=HOST, ann=ANN)
    host, ann = room["host"], room["ann"]
    poll_id = await _open(host)
    with capture_logs() as logs:
        await ann.send(POLL)
        await ann.send({"type": "poll_close", "poll_id": poll_id})
        await ann.send({"type": "poll_show", "poll_id": poll_id, "shown": True})
        for _ in range(200):
            if len(ann.of("error")) >= 3:
                break
            await asyncio.sleep(0.02)
    errors = ann.of("error")
    assert [e["code"] for e in errors] == ["forbidden"] * 3
    assert "Only a host may open a poll" in errors[0]["message"]
    refused = [e for e in logs if e["event"] == "signaling.host_command_refused"]
    assert [e["command"] for e in refused] == ["poll_open", "poll_close", "poll_show"]
    assert all(e["user_id"] == 2 and e["room_id"] == "activity-1" for e in refused)
    assert refused[1]["poll_id"] == poll_id
    assert len(host.of("poll")) == 1  # nothing happened


async def test_host_powers_are_checked_when_the_command_arrives(
    server: Server, connect_peer: Connect
) -> None:
    room = await _room(connect_peer, host=HOST, ann=ANN)
    host, ann = room["host"], room["ann"]
    hidden = await _open(host, question="Hidden results?")
    await host.send({"type": "poll_vote", "poll_id": hidden, "choices": [1]})
    await ann.send(POLL)
    await ann.wait_for("error", lambda m: m["code"] == "forbidden")

    # made a co-host, Ann runs polls, and asks for the results she may now see
    await host.send({"type": "set_role", "participant_id": ann.participant_id, "role": "cohost"})
    await ann.wait_for("you", lambda m: m["is_host"] is True)
    await ann.send({"type": "interaction_sync"})
    synced = await ann.wait_for("interaction", lambda m: len(m["polls"]) == 1)
    assert synced["polls"][0]["results"] == {"counts": [0, 1, 0], "voters": 1}
    poll_id = await _open(ann, question="From the co-host?")
    assert (await host.wait_for("poll", lambda m: m["poll"]["id"] == poll_id))["poll"]["by"] == (
        "Ann"
    )

    # a participant again, she may not close it
    await host.send({"type": "set_role", "participant_id": ann.participant_id,
                     "role": "participant"})
    await ann.wait_for("you", lambda m: m["is_host"] is False)
    await ann.send({"type": "poll_close", "poll_id": poll_id})
    await ann.wait_for("error", lambda m: m["code"] == "forbidden" and "close" in m["message"])
    assert not any(m["poll"]["closed"] for m in host.of("poll"))


async def test_a_newcomer_and_a_reconnecting_voter_get_the_polls(
    server: Server, connect_peer: Connect
) -> None:
    room = await _room(connect_peer, host=HOST, ann=ANN)
    host, ann = room["host"], room["ann"]
    first = await _open(host, question="Closed one?")
    await ann.send({"type": "poll_vote", "poll_id": first, "choices": [0]})
    await ann.wait_for("poll_voted")
    await host.send({"type": "poll_close", "poll_id": first})
    await ann.wait_for("poll", lambda m: m["poll"]["closed"])
    second = await _open(host, question="Open one?", show_results=True)
    await ann.send({"type": "poll_vote", "poll_id": second, "choices": [2]})
    await ann.wait_for("poll_voted", lambda m: m["poll_id"] == second)
    assert (await ann.wait_for("interaction"))["polls"] == []  # the room had none on entering

    # Ann again, from another tab: her choices come with the polls
    again = await connect_peer(**ANN)
    snapshot = await again.wait_for("interaction")
    welcome_at = next(i for i, m in enumerate(again.received) if m["type"] == "welcome")
    assert again.received.index(snapshot) > welcome_at
    polls = {p["question"]: p for p in snapshot["polls"]}
    assert list(polls) == ["Closed one?", "Open one?"]
    assert polls["Closed one?"]["mine"] == [0] and polls["Closed one?"]["closed"] is True
    assert "results" not in polls["Closed one?"]  # never shown
    assert polls["Open one?"]["mine"] == [2]
    assert polls["Open one?"]["results"] == {"counts": [0, 0, 1], "voters": 1}
    # voting from one tab tells the other
    await again.send({"type": "poll_vote", "poll_id": second, "choices": [1]})
    await ann.wait_for("poll_voted", lambda m: m["choices"] == [1])

    host_again = await connect_peer(**HOST)
    seen = {p["question"]: p for p in (await host_again.wait_for("interaction"))["polls"]}
    assert seen["Closed one?"]["results"] == {"counts": [1, 0, 0], "voters": 1}
    assert seen["Closed one?"]["mine"] is None


async def test_a_vote_flood_is_refused_politely(server: Server, connect_peer: Connect) -> None:
    room = await _room(connect_peer, host=HOST, ann=ANN)
    host, ann = room["host"], room["ann"]
    poll_id = await _open(host)
    for n in range(interaction_module.POLL_BURST + 3):
        await ann.send({"type": "poll_vote", "poll_id": poll_id, "choices": [n % 3]})
    for _ in range(200):
        if ann.of("error"):
            break
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.2)
    codes = [e["code"] for e in ann.of("error")]
    assert codes and set(codes) == {"poll_rate_limited"}
    assert ann.of("error")[0]["message"] == interaction_module.TOO_FAST
    assert len(ann.of("poll_voted")) + len(codes) == interaction_module.POLL_BURST + 3
    assert ann.ws.close_code is None


async def test_polls_are_kept_with_the_session(
    server: Server, connect_peer: Connect, services: Services
) -> None:
    admin = await make_user(services, Role.ADMIN)
    faculty = await make_user(services, Role.FACULTY, name="Dr. Host")
    learner = await make_user(services, Role.LEARNER, name="Ann Learner")
    course = await make_course(services, admin, faculty_ids=[faculty.id])
    live = await make_live(services, admin, course, starts_at=services.clock.now())
    room_id = f"activity-{live.id}"
    host = await connect_peer(room_id=room_id, user_id=faculty.id, name="Dr. Host", host=True)
    ann = await connect_peer(room_id=room_id, user_id=learner.id, name="Ann Learner")
    await host.wait_for("interaction")
    await ann.wait_for("interaction")
    poll_id = await _open(host)
    await ann.send({"type": "poll_vote", "poll_id": poll_id, "choices": [0]})
    await ann.wait_for("poll_voted")
    async with services.unit() as unit:
        poll = (await unit.session.exec(select(Poll))).one()
        vote = (await unit.session.exec(select(PollVote))).one()
    assert (poll.room_id, poll.activity_id, poll.created_by) == (room_id, live.id, faculty.id)
    assert (vote.user_id, vote.voter_key, vote.choices) == (learner.id, f"u:{learner.id}", [0])
