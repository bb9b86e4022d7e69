"""End to end over loopback: aiortc publishers, the SFU, aiortc subscribers."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from itertools import pairwise
from typing import Any

import pytest
from aiortc import jitterbuffer, rtcrtpreceiver, rtcrtpsender

from media.events import ParticipantJoined, TrackPublished
from media.sfu import Sfu

from .conftest import Client, EventLog, eventually, info


def renumber(offer: str) -> str:
    for old, new in (("97", "120"), ("98", "121"), ("96", "109")):
        offer = (offer.replace(f"a=rtpmap:{old} ", f"a=rtpmap:{new} ")
                 .replace(f"a=rtcp-fb:{old} ", f"a=rtcp-fb:{new} ")
                 .replace(f"a=fmtp:{old} ", f"a=fmtp:{new} ")
                 .replace(f"apt={old}", f"apt={new}"))
    return offer.replace("RTP/SAVPF 97 98", "RTP/SAVPF 120 121").replace(
        "RTP/SAVPF 96 ", "RTP/SAVPF 109 ")


def _seq_gaps(seqs: list[int]) -> int:
    return sum(1 for a, b in pairwise(seqs) if (b - a) & 0xFFFF != 1)


async def test_media_is_forwarded_rewritten_without_decoding(
    sfu: Sfu,
    events: EventLog,
    clients: Callable[..., Client],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ran: list[str] = []

    def spy(owner: Any, name: str) -> None:
        original = getattr(owner, name)

        def record(*args: Any, **kwargs: Any) -> Any:
            ran.append(f"{owner.__name__}.{name}")
            return original(*args, **kwargs)

        monkeypatch.setattr(owner, name, record)

    spy(jitterbuffer.JitterBuffer, "add")
    spy(rtcrtpreceiver.RTCRtpReceiver, "receive")
    spy(rtcrtpreceiver.RTCRtpReceiver, "_handle_rtp_packet")
    spy(rtcrtpsender.RTCRtpSender, "_run_rtp")
    room = sfu.room("r1")
    alice = clients("alice", audio=True, video=True)
    bob = clients("bob", decode=False)  # counts clear headers, like a load generator
    # alice numbers VP8 (and its RTX) and Opus differently from aiortc's defaults, which bob
    # uses: the SFU maps the payload types
    await alice.join(room.join("alice", info("alice")), munge=renumber)
    ran.clear()  # alice's own aiortc sender runs; from here on only the SFU and bob count
    await bob.join(room.join("bob", info("bob")))
    await events.wait_for(ParticipantJoined, lambda e: e.participant_id == "bob")

    video_ssrc, = bob.receiving_ssrcs("video")
    audio_ssrc, = bob.receiving_ssrcs("audio")
    await eventually(lambda: bob.packets[video_ssrc] > 40 and bob.packets[audio_ssrc] > 20,
                     what="forwarded audio and video")

    # rewritten to what bob negotiated with the SFU, not what alice sent
    assert alice.sender_ssrc("video") not in bob.packets
    negotiated = {
        t.kind: t for t in bob.pc.getTransceivers() if t.currentDirection == "recvonly"
    }
    video_pt = negotiated["video"]._codecs[0].payloadType
    audio_pt = negotiated["audio"]._codecs[0].payloadType
    video = [p for p in bob.received if p.ssrc == video_ssrc]
    audio = [p for p in bob.received if p.ssrc == audio_ssrc]
    assert {p.pt for p in video} == {video_pt} == {97}
    assert {p.pt for p in audio} == {audio_pt} == {96}
    sending = {t.kind: t.sender for t in alice.pc.getTransceivers()}
    assert {(t.kind, t._codecs[0].payloadType) for t in alice.pc.getTransceivers()} == {
        ("video", 120), ("audio", 109)}
    assert sending
    assert _seq_gaps([p.seq for p in video]) == 0
    assert _seq_gaps([p.seq for p in audio]) == 0
    assert video[0].seq < 0x8000  # starts in the lower half, as browsers expect

    published = events.of(TrackPublished)
    assert {(e.participant_id, e.source) for e in published} == {
        ("alice", "microphone"), ("alice", "camera")
    }
    assert room.stream_owners() == {published[0].stream_id: "alice"}

    # nothing of aiortc's media path ran for the SFU or bob: no decoder, no jitter buffer
    assert ran == []
    decoders = [
        t for t in threading.enumerate()
        if "decoder" in t.name or "decoder" in getattr(getattr(t, "_target", None), "__name__", "")
    ]
    assert decoders == []


async def test_a_stock_aiortc_subscriber_decodes_forwarded_video(
    sfu: Sfu, clients: Callable[..., Client]
) -> None:
    room = sfu.room("r1")
    alice = clients("alice", video=True)
    bob = clients("bob")
    await alice.join(room.join("alice", info("alice")))
    await bob.join(room.join("bob", info("bob")))
    await eventually(lambda: bool(bob.remote_tracks), what="a remote track")
    track = bob.remote_tracks[0]
    frames = [await asyncio.wait_for(track.recv(), 8) for _ in range(5)]
    assert {(f.width, f.height) for f in frames} == {(320, 240)}


async def test_h264_is_forwarded_when_both_ends_negotiate_it(
    sfu: Sfu, clients: Callable[..., Client]
) -> None:
    room = sfu.room("r1")
    alice = clients("alice", video=True, video_codec="H264")
    bob = clients("bob")
    await alice.join(room.join("alice", info("alice")))
    await bob.join(room.join("bob", info("bob")))
    await eventually(lambda: bool(bob.remote_tracks), what="a remote track")
    receiving = next(t for t in bob.pc.getTransceivers() if t.currentDirection == "recvonly")
    assert receiving._codecs[0].mimeType == "video/H264"
    frame = await asyncio.wait_for(bob.remote_tracks[0].recv(), 8)
    assert (frame.width, frame.height) == (320, 240)


async def test_two_participants_publish_and_receive_on_one_connection_each(
    sfu: Sfu, clients: Callable[..., Client]
) -> None:
    """The usual meeting: each publishes and receives the other; the one who came first gets
    the newcomer's tracks through a server offer on a connection already up."""
    room = sfu.room("r1")
    alice = clients("alice", audio=True, video=True)
    bob = clients("bob", audio=True, video=True)
    await alice.join(room.join("alice", info("alice")))
    await bob.join(room.join("bob", info("bob")))
    await eventually(lambda: len(alice.remote_tracks) == 2 and len(bob.remote_tracks) == 2,
                     what="each receives the other's two tracks")
    for client in (alice, bob):
        video = next(t for t in client.remote_tracks if t.kind == "video")
        frame = await asyncio.wait_for(video.recv(), 8)
        assert (frame.width, frame.height) == (320, 240)
        audio, = client.receiving_ssrcs("audio")
        await eventually(lambda c=client, s=audio: c.packets[s] > 10, what="audio")  # type: ignore[misc]
