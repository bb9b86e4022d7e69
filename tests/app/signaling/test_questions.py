"""Q&A and reactions over the real signaling socket (app.signaling.interaction): asking,
upvoting (each sees whether they upvoted), hosts marking answered and dismissing, the list a
newcomer gets, limits and refusals; reactions pass to everyone and are not kept."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

from sqlmodel import select
from structlog.testing import capture_logs

from app.signaling import interaction as interaction_module
from app.signaling.interaction_protocol import REACTIONS
from app.wiring import Services
from courses.audience_questions import MAX_TEXT
from courses.models import AudienceQuestion
from tests.app.signaling.conftest import Connect, Peer, Server
from tests.app.signaling.test_chat import _room

HOST = {"user_id": 1, "name": "Dr. Host", "host": True}
ANN = {"user_id": 2, "name": "Ann"}
BOB = {"user_id": 3, "name": "Bob"}


async def _ask(peer: Peer, text: str) -> int:
    """Ask as ``peer``; the question's id once the asker sees it."""
    await peer.send({"type": "question_ask", "text": text})
    shown = await peer.wait_for("question", lambda m: m["question"]["text"] == text.strip())
    question_id: int = shown["question"]["id"]
    return question_id


def _latest(peer: Peer, question_id: int) -> dict[str, Any]:
    return [m for m in peer.of("question") if m["question"]["id"] == question_id][-1]["question"]


async def test_questions_and_upvotes_reach_everyone_each_with_their_own_view(
    server: Server, connect_peer: Connect, services: Services
) -> None:
    room = await _room(connect_peer, host=HOST, ann=ANN, bob=BOB)
    host, ann, bob = room["host"], room["ann"], room["bob"]
    markup = "  <img src=x onerror=alert(1)> dose in CKD?  "
    question_id = await _ask(ann, markup)
    mine = _latest(ann, question_id)
    assert mine["text"] == markup.strip()  # verbatim, stripped
    assert mine["asker"] == "Ann" and mine["mine"] is True
    assert (mine["upvotes"], mine["upvoted"], mine["answered"]) == (0, False, False)
    theirs = (await bob.wait_for("question"))["question"]
    assert theirs["mine"] is False and theirs["id"] == question_id

    await bob.send({"type": "question_upvote", "question_id": question_id})
    await host.wait_for("question", lambda m: m["question"]["upvotes"] == 1)
    await bob.wait_for("question", lambda m: m["question"]["upvoted"] is True)
    assert _latest(host, question_id)["upvoted"] is False  # the host did not upvote
    await ann.wait_for("question", lambda m: m["question"]["upvotes"] == 1)
    assert _latest(ann, question_id)["upvoted"] is False

    # one's own question cannot be upvoted; taking an upvote back works
    await ann.send({"type": "question_upvote", "question_id": question_id})
    refused = await ann.wait_for("error", lambda m: m["code"] == "upvote_refused")
    assert refused["message"] == "You cannot upvote your own question."
    await bob.send({"type": "question_upvote", "question_id": question_id, "on": False})
    await host.wait_for("question", lambda m: m["question"]["upvotes"] == 0)

    async with services.unit() as unit:
        kept = (await unit.session.exec(select(AudienceQuestion))).one()
    assert (kept.text, kept.asker_key, kept.room_id) == (markup.strip(), "u:2", "activity-1")


async def test_hosts_mark_answered_and_dismiss_and_others_may_not(
    server: Server, connect_peer: Connect
) -> None:
    room = await _room(connect_peer, host=HOST, ann=ANN, bob=BOB)
    host, ann, bob = room["host"], room["ann"], room["bob"]
    first = await _ask(ann, "What about CKD?")
    second = await _ask(bob, "Off topic: parking?")
    with capture_logs() as logs:
        await bob.send({"type": "question_answer", "question_id": first, "answered": True})
        await bob.send({"type": "question_dismiss", "question_id": second})
        for _ in range(200):
            if len(bob.of("error")) >= 2:
                break
            await asyncio.sleep(0.02)
    assert [e["code"] for e in bob.of("error")] == ["forbidden", "forbidden"]
    refused = [e for e in logs if e["event"] == "signaling.host_command_refused"]
    assert [(e["command"], e["question_id"]) for e in refused] == [
        ("question_answer", first), ("question_dismiss", second),
    ]

    await host.send({"type": "question_answer", "question_id": first, "answered": True})
    answered = await ann.wait_for("question", lambda m: m["question"]["answered"])
    assert answered["question"]["answered_at"] and answered["question"]["id"] == first
    await host.send({"type": "question_answer", "question_id": first, "answered": False})
    await ann.wait_for("question", lambda m: m["question"]["id"] == first
                       and not m["question"]["answered"] and len(ann.of("question")) >= 4)
    await host.send({"type": "question_dismiss", "question_id": second})
    for peer in (host, ann, bob):
        removed = await peer.wait_for("question_removed")
        assert removed["question_id"] == second
    await ann.send({"type": "question_upvote", "question_id": second})
    gone = await ann.wait_for("error", lambda m: m["code"] == "question_not_found")
    assert "may have dismissed it" in gone["message"]

    # a newcomer gets the list without the dismissed question
    carol = await connect_peer(user_id=4, name="Carol")
    listed = (await carol.wait_for("interaction"))["questions"]
    assert [(q["id"], q["text"], q["mine"]) for q in listed] == [
        (first, "What about CKD?", False),
    ]


async def test_the_list_a_newcomer_gets_is_in_the_rooms_order(
    server: Server, connect_peer: Connect
) -> None:
    room = await _room(connect_peer, host=HOST, ann=ANN, bob=BOB)
    host, ann, bob = room["host"], room["ann"], room["bob"]
    old = await _ask(ann, "Oldest")
    popular = await _ask(ann, "Popular")
    answered = await _ask(bob, "Answered")
    await bob.send({"type": "question_upvote", "question_id": popular})
    await host.send({"type": "question_upvote", "question_id": popular})
    await host.send({"type": "question_upvote", "question_id": answered})
    await host.send({"type": "question_answer", "question_id": answered})
    await ann.wait_for("question", lambda m: m["question"]["answered"])
    await ann.wait_for("question", lambda m: m["question"]["upvotes"] == 2)

    again = await connect_peer(**BOB)  # Bob from a second device
    listed = (await again.wait_for("interaction"))["questions"]
    assert [q["id"] for q in listed] == [popular, old, answered]
    assert [(q["upvotes"], q["upvoted"], q["mine"]) for q in listed] == [
        (2, True, False), (0, False, False), (1, False, True),
    ]


async def test_bad_questions_are_refused_with_a_reason_and_asking_is_rate_limited(
    server: Server, connect_peer: Connect
) -> None:
    room = await _room(connect_peer, host=HOST, ann=ANN)
    host, ann = room["host"], room["ann"]
    await ann.send({"type": "question_ask", "text": "q" * (MAX_TEXT + 1)})
    too_long = await ann.wait_for("error", lambda m: m["code"] == "question_invalid")
    assert f"limited to {MAX_TEXT} characters; yours has {MAX_TEXT + 1}" in too_long["message"]
    await ann.send({"type": "question_ask", "text": " "})
    await ann.wait_for("error", lambda m: "Type your question" in m["message"])
    await ann.send({"type": "question_upvote", "question_id": "7"})
    await ann.wait_for("error", lambda m: m["code"] == "bad_message"
                       and "question_id" in m["message"])
    await ann.send({"type": "question_upvote", "question_id": 987654})
    await ann.wait_for("error", lambda m: m["code"] == "question_not_found")

    # mistakes cost nothing; a burst of questions is cut at the limit
    for n in range(interaction_module.ASK_BURST + 2):
        await ann.send({"type": "question_ask", "text": f"Question {n}"})
    limited = await ann.wait_for("error", lambda m: m["code"] == "question_rate_limited")
    assert limited["message"] == interaction_module.TOO_FAST
    await asyncio.sleep(0.3)
    asked = [m["question"]["text"] for m in host.of("question")]
    assert asked == [f"Question {n}" for n in range(interaction_module.ASK_BURST)]
    assert [e["code"] for e in ann.of("error")].count("question_rate_limited") == 2
    assert ann.ws.close_code is None


async def test_reactions_pass_to_everyone_and_a_burst_is_limited(
    server: Server, connect_peer: Connect, services: Services
) -> None:
    room = await _room(connect_peer, host=HOST, ann=ANN, bob=BOB)
    host, ann, bob = room["host"], room["ann"], room["bob"]
    await ann.send({"type": "reaction", "emoji": REACTIONS[0]})
    for peer in (host, ann, bob):
        reaction = await peer.wait_for("reaction")
        assert reaction["emoji"] == REACTIONS[0]
        assert (reaction["participant_id"], reaction["name"]) == (ann.participant_id, "Ann")
    await bob.send({"type": "reaction", "emoji": "<script>"})
    await bob.wait_for("error", lambda m: m["code"] == "bad_message" and "emoji" in m["message"])

    for emoji in REACTIONS[: interaction_module.REACTION_BURST + 1]:
        await bob.send({"type": "reaction", "emoji": emoji})
    limited = await bob.wait_for("error", lambda m: m["code"] == "reaction_rate_limited")
    assert limited["message"] == interaction_module.TOO_FAST
    await asyncio.sleep(0.3)
    from_bob = [m for m in host.of("reaction") if m["name"] == "Bob"]
    assert len(from_bob) == interaction_module.REACTION_BURST
    assert bob.ws.close_code is None


def test_the_room_page_offers_exactly_the_reactions_the_room_passes_on() -> None:
    partial = Path(__file__).resolve().parents[3] / "templates" / "live" / "_interaction.html"
    offered = re.findall(r'data-emoji="([^"]+)"', partial.read_text(encoding="utf-8"))
    assert tuple(offered) == REACTIONS
