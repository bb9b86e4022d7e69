"""VP8 and H.264 payloads back to frames, against frames FFmpeg encoded."""

from __future__ import annotations

import av
import pytest

from bench.recordings import encode_camera, h264_payloads, load_clip, vp8_payloads
from media.compose.h264 import H264Depacketizer, sps_picture_size
from media.compose.vp8 import Vp8Depacketizer, descriptor_length


def test_vp8_descriptor_lengths() -> None:
    assert descriptor_length(b"\x10abc") == 1  # no extension
    assert descriptor_length(b"\x90\x80\x05xyz") == 3  # 7-bit PictureID
    assert descriptor_length(b"\x90\x80\x81\x02xyz") == 4  # 15-bit PictureID
    assert descriptor_length(b"\x90\xe0\x81\x02\x07\x20xyz") == 6  # + TL0PICIDX + TID
    assert descriptor_length(b"\x90\x80") is None


def test_vp8_keyframe_size_from_the_frame_header() -> None:
    frame = b"\x10\x02\x00\x9d\x01\x2a" + (640).to_bytes(2, "little") + (360).to_bytes(
        2, "little") + b"\x00" * 10
    assert Vp8Depacketizer().keyframe(frame) == (True, (640, 360))
    assert Vp8Depacketizer().keyframe(b"\x11" + frame[1:]) == (False, None)


@pytest.mark.parametrize("codec", ["vp8", "h264"])
def test_packetized_frames_come_back_whole_and_decode(ffmpeg_path: str, codec: str) -> None:
    clip = load_clip(encode_camera(ffmpeg_path, codec, 176, 100, 30, 30, 2.0, hue=0), codec)
    depacketizer = Vp8Depacketizer() if codec == "vp8" else H264Depacketizer()
    decoder = av.CodecContext.create(codec, "r")
    assert isinstance(decoder, av.VideoCodecContext)
    decoded = 0
    for n, frame in enumerate(clip.frames):
        payloads = vp8_payloads(frame, n) if codec == "vp8" else h264_payloads(frame)
        assert depacketizer.starts_frame(payloads[0])
        assert not any(depacketizer.starts_frame(p) for p in payloads[1:] if codec == "vp8")
        joined = depacketizer.join(payloads)
        assert joined is not None
        key, size = depacketizer.keyframe(joined)
        assert key == clip.keyframes[n]
        if key:
            assert size == (176, 100)
        decoded += len(decoder.decode(av.Packet(joined)))
    assert decoded >= len(clip.frames) - 2


def test_h264_fragments_out_of_order_are_refused() -> None:
    start = bytes([0x7C, 0x85]) + b"a" * 10  # FU-A start of an IDR
    middle = bytes([0x7C, 0x05]) + b"b" * 10
    end = bytes([0x7C, 0x45]) + b"c" * 10
    depacketizer = H264Depacketizer()
    assert depacketizer.join([start, middle, end]) == b"\x00\x00\x00\x01\x65" + b"a" * 10 + (
        b"b" * 10) + b"c" * 10
    assert depacketizer.join([middle, end]) is None
    assert depacketizer.join([start, middle]) is None
    stap = bytes([0x18, 0, 3, 0x67, 1, 2, 0, 2, 0x68, 3])
    assert depacketizer.join([stap]) == b"\x00\x00\x00\x01\x67\x01\x02\x00\x00\x00\x01\x68\x03"


def test_sps_size_with_cropping(ffmpeg_path: str) -> None:
    clip = load_clip(encode_camera(ffmpeg_path, "h264", 176, 100, 30, 30, 2.0, hue=0), "h264")
    units = [u for u in clip.frames[0].split(b"\x00\x00\x01") if u and u[0] & 0x1F == 7]
    assert sps_picture_size(units[0].rstrip(b"\x00")) == (176, 100)
