"""Participants come and go, mute, speak; rooms stay independent of each other."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from itertools import pairwise

from media.events import (
    ActiveSpeakerChanged,
    MuteChanged,
    ParticipantJoined,
    ParticipantLeft,
    TrackPublished,
    TrackUnpublished,
)
from media.sfu import Sfu

from .conftest import Client, EventLog, eventually, info, sfu_config


async def test_leave_and_kick_are_reported_and_unpublish(
    sfu: Sfu, events: EventLog, clients: Callable[..., Client]
) -> None:
    room = sfu.room("r1")
    alice = clients("alice", audio=True)
    bob = clients("bob", decode=False)
    carol = clients("carol", decode=False)
    await alice.join(room.join("alice", info("alice")))
    await bob.join(room.join("bob", info("bob")))
    await carol.join(room.join("carol", info("carol")))
    joined = await events.wait_for(ParticipantJoined, lambda e: e.participant_id == "carol")
    assert (joined.room_id, joined.user_id, joined.role) == ("r1", "carol", "attendee")

    await room.leave("carol", "kicked")
    left = await events.wait_for(ParticipantLeft, lambda e: e.participant_id == "carol")
    assert left.reason == "kicked"
    await room.leave("alice")
    left = await events.wait_for(ParticipantLeft, lambda e: e.participant_id == "alice")
    assert left.reason == "left"
    unpublished = await events.wait_for(TrackUnpublished)
    assert (unpublished.participant_id, unpublished.source) == ("alice", "microphone")
    assert room.tracks() == [] and set(room.participants) == {"bob"}


async def test_a_peer_that_vanishes_is_dropped_and_the_room_keeps_flowing(
    events: EventLog, clients: Callable[..., Client]
) -> None:
    sfu = Sfu(sfu_config(peer_timeout=1.5), events)
    try:
        room = sfu.room("r1")
        alice = clients("alice", audio=True)
        bob = clients("bob")  # decoding aiortc peers send receiver reports: never silent
        carol = clients("carol")
        await alice.join(room.join("alice", info("alice")))
        await bob.join(room.join("bob", info("bob")))
        await carol.join(room.join("carol", info("carol")))
        await eventually(lambda: bob.total() > 10 and carol.total() > 10, what="media")

        carol.vanish()
        left = await events.wait_for(ParticipantLeft, lambda e: e.participant_id == "carol")
        assert left.reason == "dropped"
        before = bob.total()
        await eventually(lambda: bob.total() > before + 20, what="bob still receiving")
        assert set(room.participants) == {"alice", "bob"}
    finally:
        await sfu.close()


async def test_mute_stops_forwarding_and_unmute_resumes(
    sfu: Sfu, events: EventLog, clients: Callable[..., Client]
) -> None:
    room = sfu.room("r1")
    alice = clients("alice", audio=True, video=True)
    bob = clients("bob", decode=False)
    alice_participant = room.join("alice", info("alice"))
    await alice.join(alice_participant)
    await bob.join(room.join("bob", info("bob")))
    audio, = bob.receiving_ssrcs("audio")
    video, = bob.receiving_ssrcs("video")
    await eventually(lambda: bob.packets[audio] > 10 and bob.packets[video] > 10, what="media")

    assert alice_participant.set_muted("audio", True)
    muted = await events.wait_for(MuteChanged)
    assert (muted.participant_id, muted.kind, muted.muted) == ("alice", "audio", True)
    assert [t.muted for t in room.tracks() if t.kind == "audio"] == [True]
    await asyncio.sleep(0.1)
    audio_before, video_before = bob.packets[audio], bob.packets[video]
    await asyncio.sleep(0.5)
    assert bob.packets[audio] == audio_before
    assert bob.packets[video] > video_before

    assert alice_participant.set_muted("audio", False)
    await eventually(lambda: bob.packets[audio] > audio_before + 10, what="audio again")
    seqs = [p.seq for p in bob.received if p.ssrc == audio]
    assert all((b - a) & 0xFFFF == 1 for a, b in pairwise(seqs))


async def test_active_speaker_follows_the_audio_levels(
    sfu: Sfu, events: EventLog, clients: Callable[..., Client]
) -> None:
    room = sfu.room("r1")
    alice = clients("alice", audio=True, loud=True)
    bob = clients("bob", audio=True, loud=False)
    await alice.join(room.join("alice", info("alice")))
    await bob.join(room.join("bob", info("bob")))
    first = await events.wait_for(ActiveSpeakerChanged)
    assert first.participant_id == "alice" and room.active_speaker == "alice"

    assert alice.audio_track is not None and bob.audio_track is not None
    alice.audio_track.loud, bob.audio_track.loud = False, True
    await events.wait_for(ActiveSpeakerChanged, lambda e: e.participant_id == "bob")
    assert [e.participant_id for e in events.of(ActiveSpeakerChanged)] == ["alice", "bob"]


async def test_rooms_are_independent(
    sfu: Sfu, events: EventLog, clients: Callable[..., Client]
) -> None:
    one, two = sfu.room("one"), sfu.room("two")
    alice, bob = clients("alice", audio=True), clients("bob", decode=False)
    carol, dave = clients("carol", audio=True), clients("dave", decode=False)
    await alice.join(one.join("alice", info("alice")))
    await bob.join(one.join("bob", info("bob")))
    await carol.join(two.join("carol", info("carol")))
    await dave.join(two.join("dave", info("dave")))
    await eventually(lambda: bob.total() > 10 and dave.total() > 10, what="media in both")
    assert set(bob.packets) == set(bob.receiving_ssrcs("audio"))
    assert set(dave.packets) == set(dave.receiving_ssrcs("audio"))
    assert {e.participant_id for e in events.of(TrackPublished) if e.room_id == "one"} == {"alice"}

    await sfu.close_room("one")
    assert "one" not in sfu.rooms
    before = dave.total()
    await eventually(lambda: dave.total() > before + 20, what="room two still flowing")
    left = {e.participant_id for e in events.of(ParticipantLeft)}
    assert left == {"alice", "bob"}
