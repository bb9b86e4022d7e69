"""Which codecs are forwarded, and keyframe starts read from RTP payloads."""

from __future__ import annotations

from media.sfu.codecs import h264_starts_keyframe, is_usable, keyframe_test, vp8_starts_keyframe


def test_usable_codecs() -> None:
    assert is_usable("audio/opus", 48000, {})
    assert is_usable("video/VP8", 90000, {})
    assert is_usable("video/H264", 90000, {"packetization-mode": "1", "profile-level-id": "42e01f"})
    mode_0 = {"packetization-mode": "0", "profile-level-id": "42e01f"}
    high = {"packetization-mode": "1", "profile-level-id": "640c1f"}
    assert not is_usable("video/H264", 90000, mode_0)
    assert not is_usable("video/H264", 90000, high)
    assert not is_usable("audio/PCMU", 8000, {})
    assert not is_usable("video/VP9", 90000, {})
    assert keyframe_test("audio/opus") is None


def test_vp8_keyframe_start() -> None:
    def check(payload: bytes) -> bool:
        return vp8_starts_keyframe(payload, 0, len(payload))

    assert check(bytes([0x10, 0x00]))  # S, PID 0, P clear
    assert not check(bytes([0x10, 0x01]))  # inter frame
    assert not check(bytes([0x00, 0x00]))  # not a partition start
    assert not check(bytes([0x11, 0x00]))  # partition 1
    # X with a 15-bit picture id, TL0PICIDX and TID: the VP8 header is five bytes in
    assert check(bytes([0x90, 0xE0, 0x80, 0x01, 0x05, 0x40, 0x00]))
    assert not check(bytes([0x90, 0xE0, 0x80, 0x01, 0x05, 0x40, 0x01]))
    assert not check(bytes([0x90, 0xE0]))  # truncated


def test_h264_keyframe_start() -> None:
    def check(payload: bytes) -> bool:
        return h264_starts_keyframe(payload, 0, len(payload))

    assert check(bytes([0x65, 0x88]))  # IDR slice
    assert check(bytes([0x67, 0x42]))  # SPS
    assert not check(bytes([0x41, 0x9A]))  # non-IDR slice
    stap = bytes([0x78, 0x00, 0x02, 0x67, 0x42, 0x00, 0x02, 0x68, 0xCE])
    assert check(stap)
    assert not check(bytes([0x78, 0x00, 0x02, 0x41, 0x9A]))
    assert check(bytes([0x7C, 0x85, 0x00]))  # FU-A start of an IDR
    assert not check(bytes([0x7C, 0x05, 0x00]))  # FU-A continuation
    assert not check(b"")
