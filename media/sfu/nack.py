"""Answering NACKs (RFC 4585 6.2.1) from a per-subscriber history of what was sent, as RTX
(RFC 4588) where the subscriber negotiated it, else as the same packet again.

The history is one preallocated block of fixed slots indexed by sequence number: storing a
packet is a copy into its slot, never an allocation.
"""

from __future__ import annotations

import struct
from array import array

SLOT_SIZE = 1500
MAX_RESENDS = 3
_FIXED_FIELDS = struct.Struct("!BHII")


class PacketHistory:
    __slots__ = ("_lengths", "_mask", "_resends", "_seqs", "_view")

    def __init__(self, size: int) -> None:
        if size <= 0 or size & (size - 1):
            raise ValueError("history size must be a power of two")
        self._mask = size - 1
        self._view = memoryview(bytearray(size * SLOT_SIZE))
        self._lengths = array("H", bytes(2 * size))
        self._seqs = array("l", [-1]) * size
        self._resends = array("B", bytes(size))

    def store(self, seq: int, packet: memoryview, n: int) -> None:
        """Keep the clear, already rewritten packet that was sent with sequence number seq."""
        if n > SLOT_SIZE:
            return
        slot = seq & self._mask
        at = slot * SLOT_SIZE
        self._view[at : at + n] = packet[:n]
        self._lengths[slot] = n
        self._seqs[slot] = seq
        self._resends[slot] = 0

    def get(self, seq: int) -> memoryview | None:
        """The packet sent with this sequence number, if still held and not resent too often."""
        slot = seq & self._mask
        if self._seqs[slot] != seq or self._resends[slot] >= MAX_RESENDS:
            return None
        self._resends[slot] += 1
        at = slot * SLOT_SIZE
        return self._view[at : at + self._lengths[slot]]


def header_length(packet: memoryview | bytes) -> int:
    """Fixed header, CSRCs and header extension: where the payload starts."""
    length = 12 + 4 * (packet[0] & 0x0F)
    if packet[0] & 0x10 and len(packet) >= length + 4:
        length += 4 + 4 * ((packet[length + 2] << 8) | packet[length + 3])
    return length


def write_rtx(
    out: memoryview, packet: memoryview, rtx_pt: int, rtx_seq: int, rtx_ssrc: int
) -> int:
    """RFC 4588 4: the original header (same timestamp and marker) with the RTX payload type,
    sequence number and SSRC, then the original sequence number, then the original payload.
    Returns the RTX packet's length."""
    n = len(packet)
    head = header_length(packet)
    if head > n:
        return 0
    out[:head] = packet[:head]
    original_seq = (packet[2] << 8) | packet[3]
    timestamp = struct.unpack_from("!I", packet, 4)[0]
    _FIXED_FIELDS.pack_into(out, 1, (packet[1] & 0x80) | rtx_pt, rtx_seq, timestamp, rtx_ssrc)
    struct.pack_into("!H", out, head, original_seq)
    out[head + 2 : n + 2] = packet[head:n]
    return n + 2
