"""Offers, answers and their failures, grants, screen share, and a re-publish."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from itertools import pairwise

import pytest
from aiortc import RTCRtpCodecParameters, RTCSessionDescription
from aiortc.sdp import SessionDescription

from media.events import TrackPublished, TrackUnpublished
from media.sfu import GlareError, NegotiationError, Sfu

from .conftest import Client, EventLog, PatternTrack, eventually, info


def with_codecs(offer: str, kind: str, *codecs: RTCRtpCodecParameters) -> str:
    description = SessionDescription.parse(offer)
    for media in description.media:
        if media.kind == kind:
            media.rtp.codecs = list(codecs)
            media.fmt = [c.payloadType for c in codecs]
    return str(description)


async def flowing(client: Client) -> None:
    before = client.total()
    await eventually(lambda: client.total() > before + 10, what=f"{client.name} receiving")


@pytest.mark.parametrize(
    "garbage",
    ["", "hello", "v=0\r\nm=audio nonsense\r\n", "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\n"],
)
async def test_garbage_offers_raise_and_disturb_nothing(
    sfu: Sfu, clients: Callable[..., Client], garbage: str
) -> None:
    room = sfu.room("r1")
    alice, bob = clients("alice", audio=True), clients("bob", decode=False)
    await alice.join(room.join("alice", info("alice")))
    await bob.join(room.join("bob", info("bob")))
    mallory = room.join("mallory", info("mallory"))
    with pytest.raises(NegotiationError) as raised:
        await mallory.handle_offer(garbage)
    assert str(raised.value)
    with pytest.raises(NegotiationError):
        await alice.participant.handle_offer(garbage)  # type: ignore[union-attr]
    await flowing(bob)
    # mallory can still make a proper offer afterwards
    late = clients("mallory", decode=False)
    await late.join(mallory)
    await flowing(late)


async def test_offers_without_a_usable_codec_are_refused(
    sfu: Sfu, clients: Callable[..., Client]
) -> None:
    room = sfu.room("r1")
    client = clients("alice", audio=True, video=True)
    offer = await client.offer()
    pcmu = RTCRtpCodecParameters(mimeType="audio/PCMU", clockRate=8000, channels=1, payloadType=0)
    h263 = RTCRtpCodecParameters(mimeType="video/H263", clockRate=90000, payloadType=34)
    alice = room.join("alice", info("alice"))
    for bad, kind in ((with_codecs(offer, "audio", pcmu), "audio"),
                      (with_codecs(offer, "video", h263), "video")):
        with pytest.raises(NegotiationError, match=f"no usable codec in the {kind}"):
            await alice.handle_offer(bad)
    assert alice.state == "new"
    answer = await alice.handle_offer(offer)  # the session was left untouched
    assert "opus" in answer and "VP8" in answer and "PCMU" not in answer


async def test_a_client_offer_during_a_server_offer_is_glare(
    sfu: Sfu, clients: Callable[..., Client]
) -> None:
    room = sfu.room("r1")
    alice = clients("alice", audio=True)
    await alice.join(room.join("alice", info("alice")))
    bob = clients("bob", decode=False)
    participant = room.join("bob", info("bob"))
    answer = await participant.handle_offer(await bob.offer())
    await bob.pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))
    server_offer = await asyncio.wait_for(anext(aiter(participant.offers())), 5)
    assert "a=sendonly" in server_offer
    with pytest.raises(GlareError):
        await participant.handle_offer(str((await bob.pc.createOffer()).sdp))
    with pytest.raises(NegotiationError):
        await participant.add_ice_candidate("candidate:garbage")


async def test_an_ice_restart_is_refused_and_media_goes_on(
    sfu: Sfu, clients: Callable[..., Client]
) -> None:
    room = sfu.room("r1")
    alice, bob = clients("alice", audio=True), clients("bob", decode=False)
    await alice.join(room.join("alice", info("alice")))
    await bob.join(room.join("bob", info("bob")))
    offer = str((await alice.pc.createOffer()).sdp)
    ice = SessionDescription.parse(offer).media[0].ice
    assert ice is not None
    ufrag = ice.usernameFragment
    restart = offer.replace(f"a=ice-ufrag:{ufrag}", "a=ice-ufrag:zzzz")
    with pytest.raises(NegotiationError, match="ICE restarts"):
        await alice.participant.handle_offer(restart)  # type: ignore[union-attr]
    await flowing(bob)


async def test_grants_decide_what_may_be_published(
    sfu: Sfu, events: EventLog, clients: Callable[..., Client]
) -> None:
    room = sfu.room("r1")
    viewer = clients("viewer", audio=True, video=True)
    answer_sdp = ""
    participant = room.join("viewer", info("viewer", can_publish=False))
    answer_sdp = await participant.handle_offer(await viewer.offer())
    answer = SessionDescription.parse(answer_sdp)
    assert {m.direction for m in answer.media} == {"inactive"}
    assert events.of(TrackPublished) == [] and room.tracks() == []


async def test_screen_share_is_a_second_video_track(
    sfu: Sfu, events: EventLog, clients: Callable[..., Client]
) -> None:
    room = sfu.room("r1")
    alice = clients("alice", video=True)
    screen = PatternTrack(width=640, height=360, fps=5)
    alice.pc.addTransceiver(screen, direction="sendonly")
    participant = room.join("alice", info("alice", can_share_screen=True))
    answer = await participant.handle_offer(await alice.offer(), {screen.id: "screen"})
    await alice.pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))
    bob = clients("bob")
    await bob.join(room.join("bob", info("bob")))
    assert {(t.source, t.kind) for t in room.tracks()} == {("camera", "video"), ("screen", "video")}
    await eventually(lambda: len(bob.remote_tracks) == 2, what="two video tracks")
    sizes = set()
    for track in bob.remote_tracks:
        frame = await asyncio.wait_for(track.recv(), 8)
        sizes.add((frame.width, frame.height))
    assert sizes == {(320, 240), (640, 360)}
    owners = room.stream_owners()
    assert set(owners.values()) == {"alice"}
    screen_stream = next(t.stream_id for t in room.tracks() if t.source == "screen")
    assert screen_stream in bob.pc.remoteDescription.sdp


async def test_a_republished_camera_continues_on_the_same_subscription(
    sfu: Sfu, events: EventLog, clients: Callable[..., Client]
) -> None:
    room = sfu.room("r1")
    alice = clients("alice", video=True)
    bob = clients("bob", decode=False)
    await alice.join(room.join("alice", info("alice")))
    bob_participant = room.join("bob", info("bob"))
    await bob.join(bob_participant)
    video, = bob.receiving_ssrcs("video")
    await eventually(lambda: bob.packets[video] > 20, what="first camera")
    offers_to_bob = len(bob.pc.getTransceivers())

    # a new camera track on a new m-line, the old m-line stopped
    old = next(t for t in alice.pc.getTransceivers() if t.kind == "video")
    old.direction = "inactive"
    alice.pc.addTransceiver(PatternTrack(), direction="sendonly")
    await alice.pc.setLocalDescription(await alice.pc.createOffer())
    answer = await alice.participant.handle_offer(alice.pc.localDescription.sdp)  # type: ignore[union-attr]
    await alice.pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))
    await events.wait_for(TrackUnpublished)
    assert len(events.of(TrackPublished)) == 2
    before = bob.packets[video]
    await eventually(lambda: bob.packets[video] > before + 20, what="second camera")

    assert len(bob.pc.getTransceivers()) == offers_to_bob  # no new m-line for bob
    seqs = [p.seq for p in bob.received if p.ssrc == video]
    assert all((b - a) & 0xFFFF == 1 for a, b in pairwise(seqs))
    stamps = [p.ts for p in bob.received if p.ssrc == video]
    assert all(0 <= (b - a) & 0xFFFF_FFFF < 90000 for a, b in pairwise(stamps))
