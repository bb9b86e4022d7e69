"""Reading a recorded track back the way a composer would: payloads, keyframes, gaps."""

from __future__ import annotations

from itertools import pairwise

from media.recording.format import RtpRecord, TrackFile
from media.sfu.codecs import keyframe_test


def payload_offset(packet: bytes) -> int:
    offset = 12 + 4 * (packet[0] & 0x0F)
    if packet[0] & 0x10:
        offset += 4 + 4 * int.from_bytes(packet[offset + 2 : offset + 4], "big")
    return offset


def keyframes(track: TrackFile) -> list[RtpRecord]:
    """The packets that start a keyframe."""
    test = keyframe_test(track.header.mime_type)
    assert test is not None, track.header.mime_type
    return [r for r in track.packets if test(r.packet, payload_offset(r.packet), len(r.packet))]


def longest_gap(records: list[RtpRecord]) -> float:
    return max((b.arrival - a.arrival for a, b in pairwise(records)), default=0.0)
