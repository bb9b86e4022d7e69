"""Signaling over a real WebSocket to a real server with live rooms; aiortc plays browsers."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from websockets.exceptions import ConnectionClosed

from app.routing import keys
from app.signaling import session as session_module
from tests.app.signaling.conftest import ROOM, Connect, Peer, Server


async def _close_code(peer: Peer) -> int:
    await asyncio.wait_for(peer.ws.wait_closed(), 10)
    code = peer.ws.close_code
    assert code is not None
    return code


async def test_join_gets_welcome_and_media_flows_between_two_people(
    server: Server, connect_peer: Connect
) -> None:
    alice = await connect_peer(user_id=1, name="Dr. Alice", host=True)
    welcome = await alice.wait_for("welcome")
    assert welcome["v"] == 1 and welcome["participant_id"].startswith("p-")
    assert welcome["you"]["is_host"] is True and welcome["room"]["id"] == ROOM
    await alice.publish()
    await alice.wait_for("answer")

    bob = await connect_peer(user_id=2, name="Bob RN")
    bob_welcome = await bob.wait_for("welcome")
    names = {p["display_name"] for p in bob_welcome["participants"]}
    assert names == {"Dr. Alice", "Bob RN"}
    joined = await alice.wait_for("participant_joined")
    assert joined["participant"]["display_name"] == "Bob RN"
    await bob.publish()
    # Each receives the other's stream, labelled with the owner's participant id.
    await alice.wait_for("streams", lambda m: bob_welcome["participant_id"]
                         in m["streams"].values())
    for _ in range(200):
        if bob.frames.get("video", 0) > 5 and alice.frames.get("video", 0) > 5:
            break
        await asyncio.sleep(0.05)
    assert bob.frames.get("video", 0) > 5, bob.frames
    assert alice.frames.get("audio", 0) > 5, alice.frames


async def test_media_events_go_on_the_bus(server: Server, connect_peer: Connect) -> None:
    bus = server.app.state.services.bus
    seen: list[dict[str, object]] = []

    async def listen() -> None:
        async for message in bus.subscribe(keys.MEDIA_EVENTS):
            seen.append(message)

    listener = asyncio.create_task(listen())
    await asyncio.sleep(0)
    peer = await connect_peer(user_id=42, name="Dr. Bus")
    await peer.wait_for("welcome")
    await peer.publish()
    for _ in range(200):
        if any(m["type"] == "ParticipantJoined" for m in seen):
            break
        await asyncio.sleep(0.05)
    await peer.send({"type": "leave"})
    for _ in range(200):
        if any(m["type"] == "ParticipantLeft" for m in seen):
            break
        await asyncio.sleep(0.05)
    listener.cancel()
    joined = next(m for m in seen if m["type"] == "ParticipantJoined")
    left = next(m for m in seen if m["type"] == "ParticipantLeft")
    assert joined["user_id"] == 42 and joined["room_id"] == ROOM
    assert left["reason"] == "left"


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("{not json", "bad_json"),
        ("[1, 2]", "bad_message"),
        ('{"type": "dance"}', "unknown_type"),
        ('{"type": "mute", "kind": "smell", "muted": true}', "bad_message"),
        ('{"type": "offer", "sdp": ""}', "bad_message"),
        ('{"type": "offer", "sdp": "v=0 garbage"}', "negotiation_failed"),
        ('{"type": "join", "token": "again"}', "already_joined"),
    ],
)
async def test_bad_messages_get_error_frames_and_the_session_goes_on(
    server: Server, connect_peer: Connect, frame: str, code: str
) -> None:
    peer = await connect_peer()
    await peer.wait_for("welcome")
    await peer.ws.send(frame)
    error = await peer.wait_for("error")
    assert error["code"] == code and error["message"]
    await peer.send({"type": "ping"})
    await peer.wait_for("pong")


async def test_offer_without_a_usable_codec_is_refused_clearly(
    server: Server, connect_peer: Connect
) -> None:
    peer = await connect_peer()
    await peer.wait_for("welcome")
    sdp = "\r\n".join([
        "v=0", "o=- 1 1 IN IP4 127.0.0.1", "s=-", "t=0 0", "a=group:BUNDLE 0",
        "m=audio 9 UDP/TLS/RTP/SAVPF 9", "c=IN IP4 0.0.0.0", "a=mid:0", "a=sendrecv",
        "a=rtcp-mux", "a=rtpmap:9 G722/8000", "a=ice-ufrag:abcd", "a=ice-pwd:" + "x" * 24,
        "a=fingerprint:sha-256 " + ":".join(["AA"] * 32), "a=setup:actpass", "",
    ])
    await peer.send({"type": "offer", "sdp": sdp})
    error = await peer.wait_for("error")
    assert error["code"] == "negotiation_failed"
    assert "codec" in error["message"].lower()


async def test_oversized_frames_are_refused(server: Server, connect_peer: Connect) -> None:
    peer = await connect_peer()
    await peer.wait_for("welcome")
    await peer.send({"type": "offer", "sdp": "x" * 150_000})
    error = await peer.wait_for("error")
    assert error["code"] == "too_large"
    await peer.ws.send(json.dumps({"type": "ping", "pad": "y" * 400_000}))
    assert await _close_code(peer) == 1009


async def test_flooding_is_rate_limited_then_disconnected(
    server: Server, connect_peer: Connect
) -> None:
    peer = await connect_peer()
    await peer.wait_for("welcome")
    try:
        for _ in range(400):
            await peer.ws.send('{"type": "ping"}')
    except ConnectionClosed:
        pass
    assert await _close_code(peer) == 4408
    await peer.wait_for("error", lambda m: m["code"] == "rate_limited")


@pytest.mark.parametrize("token", ["forged.token.value", ""])
async def test_forged_token_is_refused(server: Server, connect_peer: Connect,
                                       token: str) -> None:
    peer = await connect_peer(join=False)
    await peer.send({"type": "join", "token": token or "x"})
    assert await _close_code(peer) == 4401
    assert peer.of("error")[0]["code"] == "bad_token"


async def test_expired_token_is_refused(server: Server, connect_peer: Connect,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    token = server.token()
    monkeypatch.setattr(server.app.state.join_tokens, "ttl_seconds", -1)
    peer = await connect_peer(token)
    assert await _close_code(peer) == 4401
    assert "expired" in peer.of("error")[0]["message"]


async def test_token_for_another_room_is_refused(server: Server, connect_peer: Connect) -> None:
    peer = await connect_peer(server.token(room_id="activity-2"))
    assert await _close_code(peer) == 4403


async def test_unknown_room_address_is_refused(server: Server, connect_peer: Connect) -> None:
    peer = await connect_peer(room_id="lecture-hall", join=False)
    assert await _close_code(peer) == 4404


async def test_silence_after_connecting_is_closed(
    server: Server, connect_peer: Connect, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(session_module, "JOIN_TIMEOUT", 0.3)
    peer = await connect_peer(join=False)
    assert await _close_code(peer) == 4401


async def test_learners_wait_until_the_host_opens_the_room(
    server: Server, connect_peer: Connect
) -> None:
    learner = await connect_peer(user_id=2, starts_in=timedelta(minutes=10))
    waiting = await learner.wait_for("waiting")
    assert waiting["opens_at"]
    await learner.send({"type": "ping"})
    await learner.wait_for("pong")
    assert learner.of("welcome") == []
    host = await connect_peer(user_id=1, host=True, starts_in=timedelta(minutes=10))
    await host.wait_for("welcome")
    await learner.wait_for("welcome")


async def test_only_a_host_may_end_the_session(server: Server, connect_peer: Connect) -> None:
    host = await connect_peer(user_id=1, host=True)
    learner = await connect_peer(user_id=2)
    await host.wait_for("welcome")
    await learner.wait_for("welcome")
    await learner.send({"type": "close_room"})
    refused = await learner.wait_for("error")
    assert refused["code"] == "forbidden"
    await host.send({"type": "close_room"})
    closed = await learner.wait_for("room_closed")
    assert "host" in closed["reason"]
    assert await _close_code(learner) == 4410
    assert await _close_code(host) == 4410


async def test_a_vanished_peer_is_dropped_and_the_room_keeps_flowing(
    server: Server, connect_peer: Connect
) -> None:
    alice = await connect_peer(user_id=1, name="Alice", host=True)
    bob = await connect_peer(user_id=2, name="Bob")
    carol = await connect_peer(user_id=3, name="Carol")
    for peer in (alice, bob, carol):
        await peer.wait_for("welcome")
        await peer.publish(video=False)
    for _ in range(200):
        if all(p.frames.get("audio", 0) > 20 for p in (alice, bob)):
            break
        await asyncio.sleep(0.05)
    carol_id = carol.of("welcome")[0]["participant_id"]
    # Carol's socket dies without a word.
    assert carol._reader is not None
    carol._reader.cancel()
    carol.ws.transport.abort()  # type: ignore[attr-defined]
    left = await alice.wait_for("participant_left", lambda m: m["participant_id"] == carol_id)
    assert left["reason"] == "dropped"
    before = (alice.frames["audio"], bob.frames["audio"])
    await asyncio.sleep(1.0)
    assert alice.frames["audio"] > before[0] + 10
    assert bob.frames["audio"] > before[1] + 10


async def test_rooms_are_independent(server: Server, connect_peer: Connect) -> None:
    one = await connect_peer(room_id="activity-7", user_id=1)
    two = await connect_peer(room_id="activity-8", user_id=2)
    await one.wait_for("welcome")
    welcome_two = await two.wait_for("welcome")
    assert [p["user_id"] for p in welcome_two["participants"]] == [2]
    await one.send({"type": "dance"})
    await one.wait_for("error")
    assert two.of("error") == [] and two.of("participant_joined") == []
