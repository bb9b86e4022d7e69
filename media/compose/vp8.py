"""VP8 over RTP (RFC 7741): the payload descriptor, and the size in a keyframe's header."""

from __future__ import annotations

from collections.abc import Sequence


def descriptor_length(payload: bytes) -> int | None:
    """Bytes of the payload descriptor (RFC 7741 4.2); ``None`` if the payload is shorter."""
    size = len(payload)
    if size < 1:
        return None
    n = 1
    if payload[0] & 0x80:  # X: extended control bits
        if size < 2:
            return None
        control = payload[1]
        n = 2
        if control & 0x80:  # I: PictureID, 7 or 15 bits
            if size < n + 1:
                return None
            n += 2 if payload[n] & 0x80 else 1
        if control & 0x40:  # L: TL0PICIDX
            n += 1
        if control & 0x30:  # T or K: TID/Y/KEYIDX
            n += 1
    return n if n <= size else None


class Vp8Depacketizer:
    fourcc = b"VP80"

    def starts_frame(self, payload: bytes) -> bool:
        # S set and partition index 0: the start of the first partition, so of the frame.
        return len(payload) > 0 and bool(payload[0] & 0x10) and payload[0] & 0x07 == 0

    def join(self, payloads: Sequence[bytes]) -> bytes | None:
        parts = []
        for payload in payloads:
            n = descriptor_length(payload)
            if n is None:
                return None
            parts.append(payload[n:])
        frame = b"".join(parts)
        return frame if len(frame) >= 3 else None

    def keyframe(self, frame: bytes) -> tuple[bool, tuple[int, int] | None]:
        """The frame tag's P bit is 0 on a keyframe (RFC 6386 9.1), whose header carries the
        start code 9d 01 2a and 14-bit width and height."""
        if len(frame) < 3 or frame[0] & 0x01:
            return False, None
        if len(frame) < 10 or frame[3:6] != b"\x9d\x01\x2a":
            return False, None
        width = (frame[6] | (frame[7] << 8)) & 0x3FFF
        height = (frame[8] | (frame[9] << 8)) & 0x3FFF
        if not width or not height:
            return False, None
        return True, (width, height)
