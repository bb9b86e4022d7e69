"""Answering NACKs (RFC 4585 6.2.1) from the history of what was forwarded, as RTX
(RFC 4588) where the subscriber negotiated it, else as the same packet again.

One history per published track, not per subscriber: every subscriber is sent the same
packet with its own fixed header (SSRC, payload type, sequence number and timestamp shifted by
its run's offsets) and extension ids, so a retransmission is rebuilt from the shared copy with
the offsets of the run it was sent in (``SentRuns``). The history is one preallocated block of
fixed slots indexed by sequence number: storing a packet is one copy into its slot, once per
incoming packet, whatever the number of subscribers.
"""

from __future__ import annotations

import struct
from array import array

SLOT_SIZE = 1500
MAX_RESENDS = 3
MAX_RUNS = 4
"""Runs (a new source, a resume after a pause) a subscriber's NACKs can still reach into."""
_FIXED_FIELDS = struct.Struct("!BHII")


class PacketHistory:
    """The last ``size`` packets of one source, as forwarded, by the source's numbering."""

    __slots__ = ("_lengths", "_mask", "_seqs", "_ssrcs", "_view")

    def __init__(self, size: int) -> None:
        if size <= 0 or size & (size - 1):
            raise ValueError("history size must be a power of two")
        self._mask = size - 1
        self._view = memoryview(bytearray(size * SLOT_SIZE))
        self._lengths = array("H", bytes(2 * size))
        self._seqs = array("l", [-1]) * size
        self._ssrcs = array("q", [-1]) * size

    @property
    def size(self) -> int:
        return self._mask + 1

    def store(self, seq: int, ssrc: int, packet: memoryview, n: int) -> None:
        """Keep the packet the source sent with this sequence number and SSRC."""
        if n > SLOT_SIZE:
            return
        slot = seq & self._mask
        at = slot * SLOT_SIZE
        self._view[at : at + n] = packet[:n]
        self._lengths[slot] = n
        self._seqs[slot] = seq
        self._ssrcs[slot] = ssrc

    def get(self, seq: int, ssrc: int) -> memoryview | None:
        """The packet with this sequence number from this SSRC, if still held."""
        slot = seq & self._mask
        if self._seqs[slot] != seq or self._ssrcs[slot] != ssrc:
            return None
        at = slot * SLOT_SIZE
        return self._view[at : at + self._lengths[slot]]


class SentRuns:
    """What one subscriber was sent, as runs of its sequence numbers over the source's:
    ``out = source + seq_offset`` from ``first`` on, until the next run starts. Also how often
    each of its packets went out again (at most ``MAX_RESENDS``)."""

    __slots__ = ("_mask", "_resend_counts", "_resend_seqs", "runs")

    def __init__(self, size: int) -> None:
        self.runs: list[tuple[int, int, int, int]] = []
        """(first subscriber sequence number, seq offset, timestamp offset, source SSRC)."""
        self._mask = size - 1
        self._resend_seqs = array("l", [-1]) * size
        self._resend_counts = array("B", bytes(size))

    def start(self, first: int, seq_offset: int, ts_offset: int, ssrc: int) -> None:
        self.runs.append((first, seq_offset, ts_offset, ssrc))
        if len(self.runs) > MAX_RUNS:
            del self.runs[0]

    def find(self, out_seq: int, last_sent: int) -> tuple[int, int, int] | None:
        """(source sequence number, timestamp offset, source SSRC) of a packet this
        subscriber was sent as ``out_seq``, if its run is still known."""
        if (last_sent - out_seq) & 0xFFFF >= 0x8000:
            return None  # never sent: newer than the newest
        for first, seq_offset, ts_offset, ssrc in reversed(self.runs):
            if (out_seq - first) & 0xFFFF < 0x8000:
                return (out_seq - seq_offset) & 0xFFFF, ts_offset, ssrc
        return None

    def may_resend(self, out_seq: int) -> bool:
        slot = out_seq & self._mask
        if self._resend_seqs[slot] != out_seq:
            self._resend_seqs[slot] = out_seq
            self._resend_counts[slot] = 0
        if self._resend_counts[slot] >= MAX_RESENDS:
            return False
        self._resend_counts[slot] += 1
        return True


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
