"""The RTP fixed header (RFC 3550 5.1): where the payload of a recorded packet starts and ends."""

from __future__ import annotations

import mmap
import struct
from typing import NamedTuple, TypeAlias

Buffer: TypeAlias = bytes | bytearray | memoryview | mmap.mmap

_FIXED = struct.Struct("!BBHII")


class RtpFields(NamedTuple):
    marker: bool
    payload_type: int
    sequence: int
    timestamp: int
    ssrc: int
    payload_start: int
    payload_end: int


def parse_rtp(buffer: Buffer, offset: int = 0, length: int | None = None) -> RtpFields | None:
    """The header fields and the payload's bounds (offsets in ``buffer``) of the packet at
    ``offset``, skipping CSRCs, the header extension and padding; ``None`` for a packet too
    short for what its header claims."""
    size = len(buffer) - offset if length is None else length
    if size < 12:
        return None
    b0, b1, sequence, timestamp, ssrc = _FIXED.unpack_from(buffer, offset)
    start = offset + 12 + 4 * (b0 & 0x0F)
    end = offset + size
    if b0 & 0x10:
        if start + 4 > end:
            return None
        start += 4 + 4 * ((buffer[start + 2] << 8) | buffer[start + 3])
    if b0 & 0x20:
        end -= buffer[end - 1]
    if start > end:
        return None
    return RtpFields(bool(b1 & 0x80), b1 & 0x7F, sequence, timestamp, ssrc, start, end)
