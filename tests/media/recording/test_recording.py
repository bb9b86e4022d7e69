"""Recording a live room through the real SFU: aiortc publishers over loopback, the files
read back as the composer reads them."""

from __future__ import annotations

import asyncio
import errno
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from media.events import ParticipantJoined, RecordingStarted, RecordingStopped
from media.recording.format import (
    read_events,
    read_manifest,
    read_track,
    track_paths,
)
from media.recording.recorder import RecordingError
from media.sfu import RoomClosed, Sfu
from tests.media.sfu.conftest import Client, EventLog, eventually, info

from .media_checks import keyframes, longest_gap


def publisher(name: str) -> Any:
    """Publishes only: nothing to decode for it, so two cores keep up."""
    return info(name, can_subscribe=False)


def by_participant(directory: Path) -> dict[tuple[str, str], Any]:
    tracks = [read_track(p) for p in track_paths(directory)]
    return {(t.header.participant_id, t.header.source): t for t in tracks}


async def test_a_meeting_is_recorded_track_by_track_with_its_events(
    sfu: Sfu, events: EventLog, clients: Callable[..., Client], tmp_path: Path
) -> None:
    room = sfu.room("r1")
    alice = clients("alice", audio=True, video=True, loud=True)
    bob = clients("bob", audio=True, video=True, loud=False)
    carol = clients("carol", audio=True, video=True, loud=False)
    await alice.join(room.join("alice", publisher("alice")))
    bob_participant = room.join("bob", publisher("bob"))
    await bob.join(bob_participant)
    await events.wait_for(ParticipantJoined, lambda e: e.participant_id == "bob")
    before = {p.participant_id: p.stats().keyframe_requests_sent
              for p in room.participants.values()}

    directory = tmp_path / "rec"
    recording = room.start_recording(directory, "rec-1", layout="grid")
    assert room.recording is recording
    started = await events.wait_for(RecordingStarted)
    assert (started.recording_id, started.directory) == ("rec-1", str(directory))
    assert read_manifest(directory) == {
        "recording_id": "rec-1", "room_id": "r1", "started_at": recording.started_at,
        "layout": "grid"}
    # a keyframe asked of every video publisher at once, past the throttle
    assert all(p.stats().keyframe_requests_sent > before[p.participant_id]
               for p in room.participants.values())

    await asyncio.sleep(1.0)
    await carol.join(room.join("carol", publisher("carol")))  # after the start: own files
    assert alice.audio_track is not None and carol.audio_track is not None
    alice.audio_track.loud, carol.audio_track.loud = False, True
    await asyncio.sleep(1.0)
    bob_participant.set_muted("audio", True)
    bob_participant.set_muted("video", True)
    await asyncio.sleep(1.0)
    bob_participant.set_muted("audio", False)
    bob_participant.set_muted("video", False)
    await asyncio.sleep(1.5)
    await room.leave("bob")
    await asyncio.sleep(0.5)

    summary = await room.stop_recording()
    assert summary is not None and room.recording is None
    assert await room.stop_recording() is None  # nothing to stop any more
    stopped = await events.wait_for(RecordingStopped)
    assert (stopped.recording_id, stopped.reason, stopped.error) == ("rec-1", "stopped", "")
    assert (summary.reason, summary.error, summary.tracks) == ("stopped", "", 6)

    manifest = read_manifest(directory)
    assert manifest["stopped_at"] == summary.stopped_at > manifest["started_at"]
    log = read_events(directory)
    times = [e["t"] for e in log]
    assert times == sorted(times)
    assert log[0] == {"t": times[0], "type": "recording_started", "recording_id": "rec-1"}
    assert log[-1] == {"t": summary.stopped_at, "type": "recording_stopped", "reason": "stopped"}

    def find(type_: str, **fields: Any) -> list[int]:
        return [i for i, e in enumerate(log)
                if e["type"] == type_ and all(e.get(k) == v for k, v in fields.items())]

    # who was there at the start, logged at the start
    (alice_in,) = find("participant_joined", participant_id="alice", display_name="Alice",
                       user_id="alice", role="attendee")
    (bob_in,) = find("participant_joined", participant_id="bob")
    assert log[alice_in]["t"] == log[bob_in]["t"] == pytest.approx(summary.started_at, abs=0.05)
    published = {(log[i]["participant_id"], log[i]["kind"], log[i]["source"])
                  for i in find("track_published")}
    assert published == {(p, k, s) for p in ("alice", "bob", "carol")
                         for k, s in (("audio", "microphone"), ("video", "camera"))}
    (carol_in,) = find("participant_joined", participant_id="carol")
    assert carol_in > max(alice_in, bob_in)
    assert min(find("track_published", participant_id="carol")) > bob_in
    mutes = [(log[i]["kind"], log[i]["muted"]) for i in find("mute_changed", participant_id="bob")]
    assert mutes == [("audio", True), ("video", True), ("audio", False), ("video", False)]
    unpublished = find("track_unpublished", participant_id="bob")
    (bob_out,) = find("participant_left", participant_id="bob", reason="left")
    assert len(unpublished) == 2 and max(unpublished) < bob_out
    assert find("active_speaker", participant_id="carol")
    assert min(find("active_speaker")) < carol_in  # the speaker at the start is logged too

    tracks = by_participant(directory)
    assert set(tracks) == {(p, s) for p in ("alice", "bob", "carol")
                           for s in ("microphone", "camera")}
    assert sum(len(t.packets) for t in tracks.values()) == summary.packets
    published_at = {log[i]["track_id"]: log[i]["t"] for i in find("track_published")}
    unpublished_at = {log[i]["track_id"]: log[i]["t"] for i in unpublished}
    mute_on = next(log[i]["t"] for i in find("mute_changed", participant_id="bob", muted=True))
    mute_off = next(log[i]["t"] for i in find("mute_changed", participant_id="bob", muted=False))
    for (participant_id, source), track in tracks.items():
        header = track.header
        assert header.display_name == participant_id.title() and header.user_id == participant_id
        assert header.kind == ("audio" if source == "microphone" else "video")
        assert header.mime_type.lower() == ("audio/opus" if header.kind == "audio" else "video/vp8")
        assert header.clock_rate == (48000 if header.kind == "audio" else 90000)
        assert header.channels == (2 if header.kind == "audio" else 1)
        packets = track.packets
        start = published_at[header.track_id]
        end = unpublished_at.get(header.track_id, summary.stopped_at)
        assert packets[0].arrival >= start - 1e-5
        assert packets[0].arrival - start < 2.5, (participant_id, source)  # connecting first
        assert packets[-1].arrival <= end + 1e-5
        assert end - packets[-1].arrival < 1.0, (participant_id, source)
        assert track.sender_reports, (participant_id, source)
        assert track.truncated_bytes == 0
        if participant_id == "bob":
            # nothing while muted; before and after, the stream flows
            assert not [p for p in packets if mute_on < p.arrival < mute_off]
            before_mute = [p for p in packets if p.arrival <= mute_on]
            after_mute = [p for p in packets if p.arrival >= mute_off]
            assert longest_gap(before_mute) < 1.0 and longest_gap(after_mute) < 1.0
        else:
            assert longest_gap(packets) < 1.0, (participant_id, source)
        if header.kind == "video":
            starts = keyframes(track)
            assert starts and starts[0].arrival - packets[0].arrival < 1.0, participant_id
            if participant_id == "bob":  # and again right after the camera came back
                assert any(0 <= k.arrival - mute_off < 1.0 for k in starts)


async def test_flushed_within_a_second_and_stopped_when_the_room_closes(
    sfu: Sfu, events: EventLog, clients: Callable[..., Client], tmp_path: Path
) -> None:
    room = sfu.room("r1")
    alice = clients("alice", audio=True, video=True)
    await alice.join(room.join("alice", publisher("alice")))
    with pytest.raises(RecordingError, match="layout"):
        room.start_recording(tmp_path / "bad", "rec-0", layout="mosaic")
    recording = room.start_recording(tmp_path / "rec", "rec-2")
    with pytest.raises(RecordingError, match="already recording"):
        room.start_recording(tmp_path / "other", "rec-3")
    other = sfu.room("r2")
    with pytest.raises(RecordingError, match="already holds a recording"):
        other.start_recording(tmp_path / "rec", "rec-4")
    await other.close()
    with pytest.raises(RoomClosed):
        other.start_recording(tmp_path / "closed", "rec-5")

    writers = recording.writers
    assert len(writers) == 2
    await eventually(lambda: all(w.packets > 10 for w in writers.values()), what="packets")
    received = {track_id: w.packets for track_id, w in writers.items()}
    await asyncio.sleep(1.0)
    # everything received a second ago is on disk, while the recording goes on
    for track_id, count in received.items():
        assert len(read_track(tmp_path / "rec" / "tracks" / f"{track_id}.rtp").packets) >= count

    await sfu.close_room("r1")
    stopped = await events.wait_for(RecordingStopped)
    assert (stopped.reason, stopped.error) == ("room_closed", "")
    assert room.recording is None and recording.summary is not None
    assert all(not t.forwarder.taps for p in room.participants.values()
               for t in p.publisher.tracks.values())
    log = read_events(tmp_path / "rec")
    assert [e["type"] for e in log if e["type"] != "active_speaker"][-4:] == [
        "track_unpublished", "track_unpublished", "participant_left", "recording_stopped"]
    assert "stopped_at" in read_manifest(tmp_path / "rec")


async def test_a_full_disk_stops_the_recording_and_the_room_keeps_forwarding(
    sfu: Sfu, events: EventLog, clients: Callable[..., Client], tmp_path: Path
) -> None:
    room = sfu.room("r1")
    alice = clients("alice", audio=True, video=True)
    viewer = clients("viewer", decode=False)
    alice_participant = room.join("alice", publisher("alice"))
    await alice.join(alice_participant)
    await viewer.join(room.join("viewer", info("viewer")))
    recording = room.start_recording(tmp_path / "rec", "rec-full")
    writers = recording.writers
    await eventually(lambda: all(w.packets > 5 for w in writers.values()), what="recording")
    video = next(w for w in writers.values() if w.header.kind == "video")
    await eventually(lambda: bool(read_track(video.path).packets), what="a first flush")
    full = os.open("/dev/full", os.O_WRONLY | os.O_APPEND)
    try:
        os.dup2(full, video.fileno())  # the disk fills up under the video track
    finally:
        os.close(full)

    stopped = await events.wait_for(RecordingStopped)
    assert stopped.reason == "failed"
    assert f"tracks/{video.path.name}" in stopped.error and "No space left" in stopped.error
    assert video.error is not None and video.error.errno == errno.ENOSPC
    assert room.recording is None and recording.summary is not None
    assert recording.summary.error == stopped.error
    assert all(not t.forwarder.taps for t in alice_participant.publisher.tracks.values())
    manifest = read_manifest(tmp_path / "rec")
    assert manifest["stop_reason"] == "failed" and manifest["error"] == stopped.error
    for path in track_paths(tmp_path / "rec"):  # what made it to disk is readable
        assert read_track(path).packets

    before = viewer.total()
    await eventually(lambda: viewer.total() > before + 30, what="forwarding goes on")
    assert room.participants.keys() == {"alice", "viewer"}
    room.start_recording(tmp_path / "again", "rec-again")  # and the room can record again
    assert await room.stop_recording() is not None
