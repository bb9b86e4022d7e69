"""In-place RTP header rewriting for one subscriber (RFC 3550 5.1, RFC 8285).

A forwarded packet leaves with the subscriber's SSRC and payload type, sequence numbers and
timestamps shifted by per-subscription offsets (so that they stay continuous when the source
changes), and header extensions renumbered to the subscriber's ids, with the MID rewritten to
the subscriber's own m-line or blanked. Everything here runs per packet: no parsing into
objects, no allocation on the common path.
"""

from __future__ import annotations

import random
import struct
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .nack import SentRuns

URI_MID = "urn:ietf:params:rtp-hdrext:sdes:mid"
URI_AUDIO_LEVEL = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
URI_ABS_SEND_TIME = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"

_MAX_ELEMENTS = 16
_FIXED_FIELDS = struct.Struct("!BHII")  # M|PT, sequence number, timestamp, SSRC at offset 1


class ExtensionLayout:
    """Where the header extension elements of the packet at hand sit; parsed once per
    incoming packet and shared by every subscriber's plan."""

    __slots__ = (
        "count",
        "ids",
        "lengths",
        "level",
        "level_id",
        "positions",
        "send_time",
        "send_time_id",
        "two_byte",
    )

    def __init__(self, level_id: int = 0, send_time_id: int = 0) -> None:
        self.ids = [0] * _MAX_ELEMENTS
        self.positions = [0] * _MAX_ELEMENTS
        self.lengths = [0] * _MAX_ELEMENTS
        self.count = 0
        self.two_byte = False
        self.level_id = level_id
        self.level = -1
        """The RFC 6464 level (0 loudest .. 127 silence) if the packet carries one, else -1."""
        self.send_time_id = send_time_id
        self.send_time = -1
        """Where the abs-send-time value (3 bytes) sits in the packet, else -1."""

    def parse(self, pkt: memoryview | bytes, start: int, end: int, profile: int) -> None:
        ids = self.ids
        positions = self.positions
        lengths = self.lengths
        level_id = self.level_id
        send_time_id = self.send_time_id
        self.level = -1
        self.send_time = -1
        k = 0
        i = start
        if profile == 0xBEDE:
            self.two_byte = False
            while i < end and k < _MAX_ELEMENTS:
                b = pkt[i]
                if b == 0:  # padding
                    i += 1
                    continue
                ext_id = b >> 4
                if ext_id == 15:
                    break
                length = (b & 0x0F) + 1
                if i + 1 + length > end:
                    break
                ids[k] = ext_id
                positions[k] = i
                lengths[k] = length
                if ext_id == level_id:
                    self.level = pkt[i + 1] & 0x7F
                elif ext_id == send_time_id and length == 3:
                    self.send_time = i + 1
                k += 1
                i += 1 + length
        elif profile & 0xFFF0 == 0x1000:
            self.two_byte = True
            while i + 1 < end and k < _MAX_ELEMENTS:
                ext_id = pkt[i]
                if ext_id == 0:
                    i += 1
                    continue
                length = pkt[i + 1]
                if i + 2 + length > end:
                    break
                ids[k] = ext_id
                positions[k] = i
                lengths[k] = length
                if ext_id == level_id and length:
                    self.level = pkt[i + 2] & 0x7F
                elif ext_id == send_time_id and length == 3:
                    self.send_time = i + 2
                k += 1
                i += 2 + length
        self.count = k


class ExtensionPlan:
    """How one kind of subscriber renumbers the publisher's header extensions.

    Subscriptions whose id mapping is the same share one plan, so the work is done once per
    incoming packet (``apply``) and each subscriber copies the result (usually nothing: when
    both ends use the same ids, only the MID value changes).
    """

    __slots__ = (
        "block",
        "end",
        "id_map",
        "key",
        "mid_element",
        "mid_id",
        "mid_len",
        "mid_pos",
        "present",
        "start",
    )

    def __init__(self, publisher: Mapping[str, int], subscriber: Mapping[str, int]) -> None:
        id_map = [0] * 256
        for uri, pub_id in publisher.items():
            sub_id = subscriber.get(uri, 0)
            if 0 < pub_id < 256:
                id_map[pub_id] = sub_id if 0 < sub_id < 256 else 0
        self.id_map = id_map
        self.mid_id = publisher.get(URI_MID, 0)
        self.key = plan_key(publisher, subscriber)
        self.present = False
        self.block: bytearray | None = None
        self.start = self.end = 0
        self.mid_element = self.mid_pos = -1
        self.mid_len = 0

    def clear(self) -> None:
        self.present = False

    def apply(self, pkt: memoryview | bytes, layout: ExtensionLayout, start: int, end: int) -> None:
        self.present = True
        self.start = start
        self.end = end
        self.mid_pos = -1
        block = None
        two_byte = layout.two_byte
        header = 2 if two_byte else 1
        id_map = self.id_map
        mid_id = self.mid_id
        for k in range(layout.count):
            ext_id = layout.ids[k]
            new_id = id_map[ext_id]
            at = layout.positions[k]
            length = layout.lengths[k]
            if new_id and (two_byte or new_id < 15):
                if ext_id == mid_id:
                    self.mid_element = at
                    self.mid_pos = at + header
                    self.mid_len = length
                if new_id == ext_id:
                    continue
                if block is None:
                    block = bytearray(pkt[start:end])
                rel = at - start
                block[rel] = new_id if two_byte else (new_id << 4) | (length - 1)
            else:  # the subscriber did not negotiate it: blank to padding bytes
                if block is None:
                    block = bytearray(pkt[start:end])
                rel = at - start
                block[rel : rel + header + length] = bytes(header + length)
        self.block = block


def plan_key(publisher: Mapping[str, int], subscriber: Mapping[str, int]) -> tuple[int, ...]:
    """Plans with equal keys renumber identically."""
    pairs = sorted((pub_id, subscriber.get(uri, 0)) for uri, pub_id in publisher.items())
    return tuple(x for pair in pairs for x in pair)


class HeaderRewriter:
    """One subscriber's view of a source: SSRC, payload type, and continuous sequence numbers
    and timestamps across source changes (a new SSRC, a re-publish, a pause for mute)."""

    __slots__ = (
        "_base",
        "_resync",
        "clock_rate",
        "last_seq",
        "last_time",
        "last_ts",
        "mid",
        "mid_len",
        "plan",
        "pt_map",
        "runs",
        "seq_offset",
        "ssrc",
        "ts_offset",
    )

    def __init__(self, ssrc: int, clock_rate: int, rng: random.Random | None = None) -> None:
        rng = rng or random.Random()  # noqa: S311 - initial RTP values, not secrets
        self.ssrc = ssrc
        self.clock_rate = clock_rate
        self.pt_map = [-1] * 128
        # start in the lower half of the sequence space, as aiortc and libwebrtc do: an early
        # wrap-around confuses SRTP's rollover counter at some receivers
        self.last_seq = rng.randrange(0, 0x8000) - 1 & 0xFFFF
        self.last_ts = rng.randrange(0, 1 << 32)
        self.last_time: float | None = None
        self.seq_offset = 0
        self.ts_offset = 0
        self._base = 0
        self._resync = True
        self.plan: ExtensionPlan | None = None
        self.mid = b""
        self.mid_len = 0
        self.runs: SentRuns | None = None
        """Told about every run that starts, where NACKs are answered."""

    def map_payload_type(self, source_pt: int, subscriber_pt: int) -> None:
        self.pt_map[source_pt & 0x7F] = subscriber_pt

    def clear_payload_types(self) -> None:
        self.pt_map = [-1] * 128

    def set_mid(self, mid: str) -> None:
        self.mid = mid.encode()
        self.mid_len = len(self.mid)

    def resync(self) -> None:
        """Take the next packet as the start of a new run (new source, keyframe after a pause)."""
        self._resync = True

    def _start_run(self, seq: int, ts: int, now: float, src: memoryview) -> None:
        self._resync = False
        next_seq = (self.last_seq + 1) & 0xFFFF
        gap = 1
        if self.last_time is not None:
            gap = max(1, int((now - self.last_time) * self.clock_rate))
        next_ts = (self.last_ts + gap) & 0xFFFF_FFFF
        self.seq_offset = (next_seq - seq) & 0xFFFF
        self.ts_offset = (next_ts - ts) & 0xFFFF_FFFF
        self._base = seq
        if self.runs is not None:
            ssrc = int.from_bytes(src[8:12], "big")
            self.runs.start(next_seq, self.seq_offset, self.ts_offset, ssrc)

    def write(
        self,
        out: memoryview,
        src: memoryview,
        n: int,
        b1: int,
        seq: int,
        ts: int,
        now: float,
    ) -> int:
        """Copy the packet into ``out`` rewritten; the subscriber's sequence number, or -1 if
        this packet is not for this subscriber (unknown payload type, older than a resync)."""
        if self._resync:
            self._start_run(seq, ts, now, src)
        distance = (seq - self._base) & 0xFFFF
        if distance >= 0x8000:
            return -1
        if distance > 0x4000:
            self._base = (seq - 0x2000) & 0xFFFF
        pt = self.pt_map[b1 & 0x7F]
        if pt < 0:
            return -1
        out_seq = (seq + self.seq_offset) & 0xFFFF
        out_ts = (ts + self.ts_offset) & 0xFFFF_FFFF
        out[:n] = src
        _FIXED_FIELDS.pack_into(out, 1, (b1 & 0x80) | pt, out_seq, out_ts, self.ssrc)
        plan = self.plan
        if plan is not None and plan.present:
            self._apply_plan(out, plan)
        if (out_seq - self.last_seq) & 0xFFFF < 0x8000:
            self.last_seq = out_seq
            self.last_ts = out_ts
            self.last_time = now
        return out_seq

    def _apply_plan(self, out: memoryview, plan: ExtensionPlan) -> None:
        block = plan.block
        if block is not None:
            out[plan.start : plan.end] = block
        at = plan.mid_pos
        if at >= 0:
            if plan.mid_len == self.mid_len:
                out[at : at + self.mid_len] = self.mid
            else:  # cannot change an element's length in place: blank it
                end = at + plan.mid_len
                out[plan.mid_element : end] = bytes(end - plan.mid_element)

    def write_again(
        self, out: memoryview, src: memoryview, out_seq: int, ts_offset: int
    ) -> bool:
        """Rebuild a packet this subscriber was already sent (a NACK), from the source's copy
        and the offsets of its run; the plan must have been applied to ``src``. Changes none
        of the running state. False if this subscriber would not have been sent it."""
        n = len(src)
        pt = self.pt_map[src[1] & 0x7F]
        if pt < 0:
            return False
        out[:n] = src
        ts = int.from_bytes(src[4:8], "big")
        _FIXED_FIELDS.pack_into(
            out, 1, (src[1] & 0x80) | pt, out_seq, (ts + ts_offset) & 0xFFFF_FFFF, self.ssrc
        )
        plan = self.plan
        if plan is not None and plan.present:
            self._apply_plan(out, plan)
        return True

    def translate_timestamp(self, ts: int) -> int:
        """A source RTP timestamp in this subscriber's timeline (for sender reports)."""
        return (ts + self.ts_offset) & 0xFFFF_FFFF
