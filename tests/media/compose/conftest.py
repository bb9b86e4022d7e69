"""Fixtures: FFmpeg, encoded test clips (cached by bench.recordings) and RTP helpers."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from bench.recordings import ffmpeg_exe
from media.compose.tracks import LoadedTrack, index_packets
from media.recording.format import RtpRecord, TrackHeader


@pytest.fixture(scope="session")
def ffmpeg_path() -> str:
    return ffmpeg_exe()


def rtp(seq: int, ts: int, payload: bytes, marker: bool = False, pt: int = 96,
        ssrc: int = 0x1234) -> bytes:
    return struct.pack("!BBHII", 0x80, (0x80 if marker else 0) | pt, seq & 0xFFFF,
                       ts & 0xFFFFFFFF, ssrc) + payload


def video_track(packets: list[tuple[float, bytes]], mime: str = "video/VP8") -> LoadedTrack:
    header = TrackHeader("TR_v", "PA_1", "video", "camera", mime, 90_000, 96,
                         display_name="Dr. Test")
    records = [RtpRecord(arrival, packet) for arrival, packet in packets]
    return index_packets(Path("TR_v.rtp"), header, records, [], keep_payloads=True)
