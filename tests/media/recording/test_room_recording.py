"""The room's recording without a network: publications arrive and go as the SFU reports them
(a re-publish of a source included), packets are fed as the shim hands them over."""

from __future__ import annotations

import struct
from datetime import UTC, datetime
from pathlib import Path

from media.events import MediaEvent, RecordingStarted, RecordingStopped
from media.recording.format import read_events, read_track, track_paths
from media.sfu.participant import Participant
from media.sfu.publisher import PublishedTrack
from media.sfu.room import Room
from tests.media.sfu.conftest import info, sfu_config
from tests.media.sfu.packets import PUBLISHER_EXTENSIONS, VP8, VP8_DELTA, VP8_KEY, rtp


def camera(participant: Participant, ssrc: int, client_track_id: str) -> PublishedTrack:
    return PublishedTrack(
        publisher=participant.publisher,
        track_id=f"track-{ssrc:x}",
        stream_id="s",
        kind="video",
        source="camera",
        mid="0",
        codecs_negotiated=(VP8,),
        extension_ids=dict(PUBLISHER_EXTENSIONS),
        local_ssrc=0xAAAA,
        ssrc=ssrc,
        rtx_ssrc=None,
        keyframe_interval=0.5,
        client_track_id=client_track_id,
    )


def feed(participant: Participant, packet: bytes) -> None:
    buffer = bytearray(1600)
    buffer[: len(packet)] = packet
    participant.publisher.on_rtp(memoryview(buffer), len(packet))


async def test_a_republished_source_is_a_new_track_file(tmp_path: Path) -> None:
    emitted: list[MediaEvent] = []
    room = Room("r", sfu_config(), emitted.append, lambda: datetime.now(UTC))
    alice = room.join("alice", info("alice"))
    first = camera(alice, 0x1111, "cam-1")
    alice.publisher.add(first)
    room.publications_changed(alice, [], [first])
    recording = room.start_recording(tmp_path / "rec", "rec-r")
    assert first.forwarder.taps == [recording.writers[first.track_id]]
    for i in range(3):
        feed(alice, rtp(10 + i, 3000 * i, 0x1111, payload=VP8_KEY if i == 0 else VP8_DELTA))

    second = camera(alice, 0x2222, "cam-2")  # a new camera track on the same m-line
    alice.publisher.add(second)
    alice.publisher.remove(first)
    room.publications_changed(alice, [first], [second])
    assert first.forwarder.taps == [] and list(recording.writers) == [second.track_id]
    for i in range(2):
        feed(alice, rtp(500 + i, 3000 * i, 0x2222, payload=VP8_DELTA))
    alice.set_muted("video", True)
    feed(alice, rtp(502, 6000, 0x2222, payload=VP8_DELTA))  # muted: not recorded
    await room.close()  # stops the recording

    assert [type(e) for e in emitted if isinstance(e, RecordingStarted | RecordingStopped)] == [
        RecordingStarted, RecordingStopped]
    stopped = next(e for e in emitted if isinstance(e, RecordingStopped))
    assert (stopped.reason, stopped.recording_id) == ("room_closed", "rec-r")
    files = {t.header.track_id: t for t in map(read_track, track_paths(tmp_path / "rec"))}
    ssrcs = {track_id: [struct.unpack_from("!I", r.packet, 8)[0] for r in t.packets]
             for track_id, t in files.items()}
    assert ssrcs == {first.track_id: [0x1111] * 3, second.track_id: [0x2222] * 2}
    log = [(e["type"], e.get("track_id")) for e in read_events(tmp_path / "rec")
           if e["type"].startswith("track_")]
    assert log == [
        ("track_published", first.track_id),
        ("track_unpublished", first.track_id),
        ("track_published", second.track_id),
        ("track_unpublished", second.track_id),
    ]
