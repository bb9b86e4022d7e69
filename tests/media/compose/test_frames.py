"""Frame assembly with loss, reordering, duplicates and a missing first keyframe."""

from __future__ import annotations

from media.compose.frames import assemble_frames
from media.compose.vp8 import Vp8Depacketizer

from .conftest import rtp, video_track

KEY = b"\x10\x02\x00\x9d\x01\x2a" + (320).to_bytes(2, "little") + (240).to_bytes(2, "little")
DELTA = b"\x11\x02\x00" + b"\x00" * 7


def _frames(kinds: str, packets_per_frame: int = 2) -> list[tuple[int, int, bytes, bool]]:
    """(seq, ts, payload, marker) for frames 'K' (keyframe) or 'd' (delta)."""
    out = []
    seq = 65_530  # wraps after a few packets
    for n, kind in enumerate(kinds):
        body = (KEY if kind == "K" else DELTA) + bytes([n]) * 20
        for part in range(packets_per_frame):
            descriptor = b"\x90\x80\x80" + bytes([n]) if part == 0 else b"\x80\x80\x80" + bytes(
                [n])
            chunk = body[part * len(body) // packets_per_frame :
                         (part + 1) * len(body) // packets_per_frame]
            out.append((seq, n * 3000, descriptor + chunk, part == packets_per_frame - 1))
            seq += 1
    return out


def _track(items: list[tuple[int, int, bytes, bool]]):  # type: ignore[no-untyped-def]
    return video_track([(1000.0 + i * 0.01, rtp(s, t, p, m))
                        for i, (s, t, p, m) in enumerate(items)])


def test_reordered_and_duplicated_packets_make_whole_frames() -> None:
    items = _frames("KddKdd")
    shuffled = [items[1], items[0], *items[2:6], items[5], items[7], items[6], *items[8:]]
    frames, assembly = assemble_frames(_track(shuffled), Vp8Depacketizer())
    assert [f.keyframe for f in frames] == [True, False, False, True, False, False]
    assert frames[0].size == (320, 240)
    assert assembly.incomplete == 0 and assembly.skipped == 0
    assert [f.ext_timestamp - frames[0].ext_timestamp for f in frames] == [
        0, 3000, 6000, 9000, 12000, 15000]


def test_a_lost_packet_drops_its_frame_and_waits_for_the_next_keyframe() -> None:
    items = _frames("KdddKd")
    del items[5]  # the second packet of frame 2
    frames, assembly = assemble_frames(_track(items), Vp8Depacketizer())
    stamps = [f.ext_timestamp // 3000 for f in frames]
    assert [s - stamps[0] for s in stamps] == [0, 1, 4, 5]
    assert assembly.incomplete == 1 and assembly.skipped == 1


def test_a_whole_lost_frame_is_noticed_from_the_sequence_gap() -> None:
    items = _frames("KdddKd")
    del items[4:6]  # all of frame 2
    frames, assembly = assemble_frames(_track(items), Vp8Depacketizer())
    assert len(frames) == 4 and assembly.skipped == 1


def test_frames_before_the_first_keyframe_are_skipped() -> None:
    items = _frames("dddKdd")
    frames, assembly = assemble_frames(_track(items), Vp8Depacketizer())
    assert frames[0].keyframe and len(frames) == 3
    assert assembly.skipped == 3


def test_a_track_without_keyframes_yields_nothing() -> None:
    frames, assembly = assemble_frames(_track(_frames("dddd")), Vp8Depacketizer())
    assert frames == [] and assembly.keyframes == 0
