"""The track and event writers against the reader: round trip, a cut tail, a full disk."""

from __future__ import annotations

import errno
import os
import struct
import threading
import time
from pathlib import Path

import pytest

from media.recording.format import (
    EVENTS,
    TrackHeader,
    encode_rtp,
    read_events,
    read_track,
)
from media.recording.writer import EventWriter, TrackWriter
from media.sfu.codecs import vp8_starts_keyframe
from tests.media.sfu.packets import VP8_DELTA, VP8_KEY, rtp

HEADER = TrackHeader(
    track_id="t1",
    participant_id="alice",
    kind="video",
    source="camera",
    mime_type="video/VP8",
    clock_rate=90000,
    payload_type=96,
    started_at=1_700_000_000.0,
    display_name="Alice",
    user_id=7,
)


def feed(writer: TrackWriter, packet: bytes, arrival: float) -> None:
    """As the forwarder hands packets over: a reused buffer longer than the packet."""
    buffer = bytearray(1600)
    buffer[: len(packet)] = packet
    writer.on_rtp(memoryview(buffer), len(packet), arrival)
    buffer[:] = b"\xff" * 1600  # the buffer is reused at once: the writer must have copied


def test_packets_and_sender_reports_round_trip_on_the_wall_clock(tmp_path: Path) -> None:
    path = tmp_path / "tracks" / "t1.rtp"
    writer = TrackWriter(path, HEADER, wall_offset=1_000.0)
    packets = [rtp(100 + i, 3000 * i, 0x1111, payload=bytes([i]) * (50 + i)) for i in range(20)]
    for i, packet in enumerate(packets):
        feed(writer, packet, 10.0 + i * 0.02)
        if i == 9:
            writer.on_sender_report(0x1234_5678_9ABC_DEF0, 27000, 10.19)
    assert writer.pending > 0
    assert writer.flush()
    writer.close()
    track = read_track(path)
    assert track.header == HEADER
    assert [r.packet for r in track.packets] == packets
    assert [r.arrival for r in track.packets] == pytest.approx(
        [1_010.0 + i * 0.02 for i in range(20)])
    (report,) = track.sender_reports
    assert (report.ntp, report.rtp_timestamp) == (0x1234_5678_9ABC_DEF0, 27000)
    assert report.arrival == pytest.approx(1_010.19)
    assert track.truncated_bytes == 0
    assert writer.packets == 20 and writer.sender_reports == 1
    assert writer.bytes_written == path.stat().st_size


def test_the_header_is_on_disk_before_the_first_flush(tmp_path: Path) -> None:
    path = tmp_path / "t1.rtp"
    writer = TrackWriter(path, HEADER)
    feed(writer, rtp(1, 0, 0x1111), time.monotonic())
    track = read_track(path)  # nothing flushed yet, but the file is a valid, empty track
    assert track.header == HEADER and track.packets == []
    writer.close()
    assert len(read_track(path).packets) == 1


def test_a_cut_tail_is_ignored_and_the_rest_is_read(tmp_path: Path) -> None:
    path = tmp_path / "t1.rtp"
    writer = TrackWriter(path, HEADER)
    for i in range(5):
        feed(writer, rtp(i, i, 0x1111), time.monotonic())
    writer.close()
    whole = encode_rtp(time.time(), rtp(5, 5, 0x1111))
    with open(path, "ab") as fh:  # a writer killed in the middle of its last append
        fh.write(whole[:-7])
    track = read_track(path)
    assert len(track.packets) == 5
    assert track.truncated_bytes == len(whole) - 7


def test_an_existing_file_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "t1.rtp"
    path.write_bytes(b"precious")
    with pytest.raises(FileExistsError):
        TrackWriter(path, HEADER)
    assert path.read_bytes() == b"precious"


def test_a_full_disk_stops_the_writer_and_keeps_what_was_written(tmp_path: Path) -> None:
    path = tmp_path / "t1.rtp"
    writer = TrackWriter(path, HEADER)
    feed(writer, rtp(1, 0, 0x1111), time.monotonic())
    assert writer.flush()
    full = os.open("/dev/full", os.O_WRONLY | os.O_APPEND)
    try:
        os.dup2(full, writer.fileno())  # from now on every write says ENOSPC
    finally:
        os.close(full)
    feed(writer, rtp(2, 0, 0x1111), time.monotonic())
    assert not writer.flush()
    assert writer.error is not None and writer.error.errno == errno.ENOSPC
    assert writer.closed and writer.pending == 0
    feed(writer, rtp(3, 0, 0x1111), time.monotonic())  # ignored, no exception on the hot path
    assert writer.packets == 2
    writer.close()  # harmless
    assert [struct.unpack_from("!H", r.packet, 2)[0] for r in read_track(path).packets] == [1]


def test_video_watches_for_its_first_keyframe(tmp_path: Path) -> None:
    writer = TrackWriter(tmp_path / "t1.rtp", HEADER, keyframe_test=vp8_starts_keyframe)
    assert writer.waiting_keyframe
    feed(writer, rtp(1, 0, 0x1111, payload=VP8_DELTA), time.monotonic())
    assert writer.waiting_keyframe
    # a keyframe behind a header extension and with padding at the end
    keyframe = bytearray(rtp(2, 0, 0x1111, payload=VP8_KEY + b"\x00\x00\x03",
                             extensions=[(1, b"\x7f"), (4, b"0")]))
    keyframe[0] |= 0x20
    feed(writer, bytes(keyframe), time.monotonic())
    assert not writer.waiting_keyframe and writer.keyframes_awaited == 1
    writer.expect_keyframe()
    feed(writer, rtp(3, 0, 0x1111, payload=VP8_DELTA), time.monotonic())
    assert writer.waiting_keyframe
    writer.close()
    audio = TrackWriter(tmp_path / "a.rtp", HEADER)
    assert not audio.waiting_keyframe
    audio.close()


def test_events_are_json_lines_and_a_cut_last_line_is_ignored(tmp_path: Path) -> None:
    writer = EventWriter(tmp_path / EVENTS)
    writer.append(1_700_000_000.25, "participant_joined", participant_id="p1", user_id=3,
                  display_name="Zoë", role="host")
    writer.append(1_700_000_001.5, "active_speaker", participant_id=None)
    writer.close()
    with open(tmp_path / EVENTS, "ab") as fh:
        fh.write(b'{"t": 1700000002.0, "type": "mute_')
    assert read_events(tmp_path) == [
        {"t": 1_700_000_000.25, "type": "participant_joined", "participant_id": "p1",
         "user_id": 3, "display_name": "Zoë", "role": "host"},
        {"t": 1_700_000_001.5, "type": "active_speaker", "participant_id": None},
    ]


def test_fsync_in_threads_races_close_safely(tmp_path: Path) -> None:
    writers = [TrackWriter(tmp_path / f"t{i}.rtp", HEADER) for i in range(8)]
    for writer in writers:
        feed(writer, rtp(1, 0, 0x1111), time.monotonic())
        writer.flush()
    syncing = [threading.Thread(target=w.sync) for w in writers]
    closing = [threading.Thread(target=w.close) for w in writers]
    for thread in syncing + closing:
        thread.start()
    for thread in syncing + closing:
        thread.join()
    assert all(w.closed and w.error is None for w in writers)
    writers[0].sync()  # after close: a no-op, not an fsync of a recycled descriptor
    assert writers[0].error is None
