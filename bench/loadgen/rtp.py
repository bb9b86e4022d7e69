"""What a counting subscriber learns from RTP without decoding (RFC 3550 5.1, RFC 7741 4).

SRTP encrypts the payload only: sequence number, timestamp, SSRC and marker are in the clear,
which is enough to count packets, find gaps and time frame arrivals. ``StreamCounter.on_rtp``
is the per-packet hot path of every light subscriber: one ``struct`` unpack, a dict lookup and
a few integer operations, no allocation except a tuple per frame inside the window.

``vp8_keyframe_start`` needs the payload, so only the late joiner (which lets aiortc remove
SRTP) uses it.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, field

_SEQ_TS_SSRC = struct.Struct("!HII")
INF = math.inf


class SsrcState:
    """One incoming stream: extended sequence numbers, window counts, frame arrivals."""

    __slots__ = (
        "frames",
        "high",
        "last_ts",
        "packets",
        "received",
        "ref_ts",
        "ssrc",
        "win_high",
        "win_low",
    )

    def __init__(self, ssrc: int, seq: int, ts: int) -> None:
        self.ssrc = ssrc
        self.high = seq
        """Highest extended sequence number seen."""
        self.ref_ts = ts
        """The first timestamp seen: frame indices are counted from it."""
        self.last_ts = ts
        self.packets = 0
        """Every packet, in the window or not."""
        self.received = 0
        """Packets that arrived inside the measurement window."""
        self.win_low = -1
        self.win_high = -1
        self.frames: list[tuple[int, float, int]] = []
        """(RTP timestamp, arrival, abs-send-time or -1) of each frame's first packet inside
        the window."""

    @property
    def expected(self) -> int:
        """Packets the sender numbered between the first and last seen in the window."""
        if self.win_low < 0:
            return 0
        return self.win_high - self.win_low + 1


class StreamCounter:
    """Counts the RTP a subscriber receives, per SSRC, inside ``[start, end)`` (monotonic).

    ``send_time_id``: the abs-send-time extension id the sender uses (0: none). The SFU writes
    its own clock there (it uses ``time.monotonic``) when it starts fanning a packet out, so a
    frame's delay can be split into before and after that moment; a diagnostic that relies on
    how the SFU stamps it.
    """

    __slots__ = ("end", "send_time_id", "start", "streams")

    def __init__(self) -> None:
        self.streams: dict[int, SsrcState] = {}
        self.start = INF
        self.end = INF
        self.send_time_id = 0

    def on_rtp(self, data: bytes | memoryview, now: float) -> None:
        seq, ts, ssrc = _SEQ_TS_SSRC.unpack_from(data, 2)
        state = self.streams.get(ssrc)
        if state is None:
            state = self.streams[ssrc] = SsrcState(ssrc, seq, ts)
            ext = seq
            newer = True
        else:
            high = state.high
            delta = (seq - high) & 0xFFFF
            if delta < 0x8000:
                ext = high + delta
                newer = delta > 0
                if newer:
                    state.high = ext
            else:
                ext = high - (0x10000 - delta)
                newer = False
        state.packets += 1
        if self.start <= now < self.end:
            state.received += 1
            if state.win_low < 0 or ext < state.win_low:
                state.win_low = ext
            if ext > state.win_high:
                state.win_high = ext
            if newer and ts != state.last_ts:
                sent = send_time(data, self.send_time_id) if self.send_time_id else -1
                state.frames.append((ts, now, sent))
        if newer:
            state.last_ts = ts

    def total_received(self) -> int:
        return sum(s.received for s in self.streams.values())

    def flowing(self, min_packets: int = 10) -> int:
        """How many streams have delivered at least ``min_packets``."""
        return sum(1 for s in self.streams.values() if s.packets >= min_packets)


def send_time(data: bytes | memoryview, ext_id: int) -> int:
    """The 24-bit abs-send-time value (6.18 fixed point seconds) in a one-byte-header
    extension block, or -1."""
    if not data[0] & 0x10:
        return -1
    at = 12 + 4 * (data[0] & 0x0F)
    if len(data) < at + 4 or data[at] != 0xBE or data[at + 1] != 0xDE:
        return -1
    end = min(len(data), at + 4 + 4 * ((data[at + 2] << 8) | data[at + 3]))
    i = at + 4
    while i < end:
        b = data[i]
        if b == 0:
            i += 1
            continue
        element, length = b >> 4, (b & 0x0F) + 1
        if element == 15:
            return -1
        if element == ext_id and length == 3 and i + 4 <= end:
            return (data[i + 1] << 16) | (data[i + 2] << 8) | data[i + 3]
        i += 1 + length
    return -1


def is_rtp(data: bytes) -> bool:
    """RTP rather than RTCP, STUN or DTLS on a multiplexed socket (RFC 5761 4, RFC 7983)."""
    return len(data) >= 12 and 127 < data[0] < 192 and not 191 < data[1] < 224


def payload_offset(data: bytes | memoryview) -> int:
    """Where the payload starts: fixed header, CSRCs, header extension."""
    offset = 12 + 4 * (data[0] & 0x0F)
    if data[0] & 0x10 and len(data) >= offset + 4:
        offset += 4 + 4 * ((data[offset + 2] << 8) | data[offset + 3])
    return offset


def vp8_keyframe_start(data: bytes | memoryview) -> bool:
    """Whether this clear RTP packet starts a VP8 keyframe (RFC 7741 4.2 and 4.3)."""
    i = payload_offset(data)
    n = len(data)
    if data[0] & 0x20:
        n -= data[n - 1]  # padding
    if i >= n:
        return False
    descriptor = data[i]
    if not descriptor & 0x10 or descriptor & 0x07:  # S: start of partition 0
        return False
    i += 1
    if descriptor & 0x80:  # X
        if i >= n:
            return False
        x = data[i]
        i += 1
        if x & 0x80:  # I: picture id, 7 or 15 bits
            if i >= n:
                return False
            i += 2 if data[i] & 0x80 else 1
        if x & 0x40:  # L
            i += 1
        if x & 0x30:  # T or K
            i += 1
    return i < n and not data[i] & 0x01


@dataclass
class FrameAssembly:
    """Watches one video stream for the first complete keyframe (the late joiner)."""

    start_seq: int = -1
    timestamp: int = -1
    seen: set[int] = field(default_factory=set)
    marker_seq: int = -1
    completed_at: float = -1.0

    def on_packet(self, data: bytes, now: float) -> bool:
        """True once the first keyframe has all its packets."""
        if self.completed_at >= 0:
            return True
        seq, ts, _ = _SEQ_TS_SSRC.unpack_from(data, 2)
        if self.start_seq < 0:
            if not vp8_keyframe_start(data):
                return False
            self.start_seq, self.timestamp = seq, ts
        if ts != self.timestamp:
            return False
        self.seen.add(seq)
        if data[1] & 0x80:
            self.marker_seq = seq
        if self.marker_seq >= 0:
            count = ((self.marker_seq - self.start_seq) & 0xFFFF) + 1
            if len(self.seen) >= count:
                self.completed_at = now
                return True
        return False
