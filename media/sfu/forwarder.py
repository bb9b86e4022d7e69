"""The fan-out of one published track to its subscribers: the SFU's hot path.

Per incoming packet: read the fixed header, account reception statistics, parse the header
extensions once (audio level for the active speaker; one renumbering per kind of subscriber),
see whether the packet starts a keyframe if anyone waits for one, then hand the packet to
every active subscription, which rewrites it into its transport's buffer and sends it. No
awaits, no parsing into objects, no per-subscriber allocation.
"""

from __future__ import annotations

import struct
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Protocol

from .codecs import KeyframeTest
from .nack import PacketHistory, header_length
from .reception import ReceptionStats
from .rewrite import (
    URI_ABS_SEND_TIME,
    URI_AUDIO_LEVEL,
    ExtensionLayout,
    ExtensionPlan,
    plan_key,
)
from .speaker import SpeakerSlot

if TYPE_CHECKING:
    from .downtrack import DownTrack

_SEQ_TS_SSRC = struct.Struct("!HII")
_EXTENSION_HEADER = struct.Struct("!HH")
_SEND_TIME = struct.Struct("!I")
_FIXED_FIELDS = struct.Struct("!BHII")
MAX_NACK_GAP = 100
"""A longer gap is an outage or a restart, not loss worth asking about packet by packet."""
MAX_MISSING = 512


class PacketTap(Protocol):
    """Sees what a forwarder forwards, as its publisher sent it (a recorder, say).

    Called on the hot path: it must not block, await, or raise. ``pkt`` is a reused buffer,
    valid only during the call; copy ``pkt[:n]`` to keep it."""

    def on_rtp(self, pkt: memoryview, n: int, arrival: float) -> None:
        """``arrival``: ``time.monotonic()`` when the packet arrived."""

    def on_sender_report(self, ntp: int, rtp_timestamp: int, arrival: float) -> None:
        """The publisher's RTCP sender report for this track's current SSRC."""


class Forwarder:
    __slots__ = (
        "_layout",
        "_missing",
        "_next_seq",
        "_plans",
        "downtracks",
        "extension_ids",
        "history",
        "keyframe_test",
        "media_pt",
        "packets",
        "paused",
        "repaired",
        "request_retransmission",
        "speaker_slot",
        "sr_rtp",
        "ssrc",
        "stats",
        "taps",
        "waiting",
    )

    def __init__(
        self,
        clock_rate: int,
        extension_ids: Mapping[str, int],
        keyframe_test: KeyframeTest | None,
        media_pt: int = -1,
    ) -> None:
        self.extension_ids = dict(extension_ids)
        self.keyframe_test = keyframe_test
        self.stats = ReceptionStats(clock_rate)
        self.ssrc = -1
        """The publisher's current SSRC; -1 before the first packet."""
        self.sr_rtp = 0
        self.paused = False
        self.packets = 0
        self.waiting = 0
        """How many of the active subscriptions wait for a keyframe."""
        self.downtracks: list[DownTrack] = []
        self.speaker_slot: SpeakerSlot | None = None
        self.taps: list[PacketTap] = []
        """Besides the subscribers, what sees every forwarded packet (and sender report):
        empty unless the room records, which costs the hot path one empty-list test."""
        self._plans: list[ExtensionPlan] = []
        self._layout = ExtensionLayout(
            self.extension_ids.get(URI_AUDIO_LEVEL, 0),
            self.extension_ids.get(URI_ABS_SEND_TIME, 0),
        )
        self.media_pt = media_pt
        self.request_retransmission: Callable[[list[int]], None] | None = None
        """Set when the publisher takes NACKs: asks it for what the SFU missed."""
        self._next_seq = -1
        self._missing: dict[int, None] = {}
        """Sequence numbers asked for again and not yet arrived (oldest first)."""
        self.repaired = 0
        self.history: PacketHistory | None = None
        """What was forwarded lately, for the subscribers' NACKs; made by the first
        subscription that negotiated NACK (``keep_history``)."""

    def keep_history(self, size: int) -> PacketHistory:
        if self.history is None or self.history.size < size:
            self.history = PacketHistory(size)
        return self.history

    def forward(self, pkt: memoryview, n: int) -> None:
        b0 = pkt[0]
        b1 = pkt[1]
        seq, ts, ssrc = _SEQ_TS_SSRC.unpack_from(pkt, 2)
        now = time.monotonic()
        if ssrc != self.ssrc:
            self._new_source(ssrc)
        self.packets += 1
        self.stats.update(seq, ts, now)
        if seq == self._next_seq:
            self._next_seq = (seq + 1) & 0xFFFF
        else:
            self._sequence_break(seq)
        if self.paused:
            return  # a muted track is neither forwarded nor recorded
        taps = self.taps
        if taps:
            for tap in taps:
                tap.on_rtp(pkt, n, now)
        offset = 12 + ((b0 & 0x0F) << 2)
        plans = self._plans
        if b0 & 0x10 and n >= offset + 4:
            profile, words = _EXTENSION_HEADER.unpack_from(pkt, offset)
            start = offset + 4
            offset = start + (words << 2)
            if offset > n:
                return
            layout = self._layout
            layout.parse(pkt, start, offset, profile)
            if layout.level >= 0 and self.speaker_slot is not None:
                self.speaker_slot.add(layout.level)
            at = layout.send_time
            if at >= 0:
                # the SFU's own send time (6.18 fixed point; only differences matter), so that
                # a subscriber's bandwidth estimate measures the SFU-to-subscriber path
                pkt[at : at + 3] = _SEND_TIME.pack(int(now * 262144) & 0xFFFFFF)[1:]
            for plan in plans:
                plan.apply(pkt, layout, start, offset)
        else:
            for plan in plans:
                plan.clear()
        keyframe = False
        if self.waiting and self.keyframe_test is not None:
            keyframe = self.keyframe_test(pkt, offset, n)
        history = self.history
        if history is not None:
            history.store(seq, ssrc, pkt, n)
        src = pkt[:n]
        for downtrack in self.downtracks:
            downtrack.forward(src, n, b1, seq, ts, keyframe, now)

    def replan(self, pkt: memoryview, plan: ExtensionPlan) -> None:
        """Set ``plan`` up for an already forwarded packet (a retransmission): the next
        ``forward`` sets every plan up for its own packet again."""
        n = len(pkt)
        offset = 12 + ((pkt[0] & 0x0F) << 2)
        if pkt[0] & 0x10 and n >= offset + 4:
            profile, words = _EXTENSION_HEADER.unpack_from(pkt, offset)
            start = offset + 4
            end = start + (words << 2)
            if end <= n:
                layout = self._layout
                layout.parse(pkt, start, end, profile)
                plan.apply(pkt, layout, start, end)
                return
        plan.clear()

    def _sequence_break(self, seq: int) -> None:
        """A gap (ask the publisher again for what is missing) or a late packet."""
        expected = self._next_seq
        if expected < 0:
            self._next_seq = (seq + 1) & 0xFFFF
            return
        ahead = (seq - expected) & 0xFFFF
        if ahead >= 0x8000:  # older than expected: late, or repaired
            self._missing.pop(seq, None)
            return
        self._next_seq = (seq + 1) & 0xFFFF
        if ahead <= MAX_NACK_GAP and self.request_retransmission is not None:
            lost = [(expected + i) & 0xFFFF for i in range(ahead)]
            missing = self._missing
            for lost_seq in lost:
                missing[lost_seq] = None
            while len(missing) > MAX_MISSING:
                del missing[next(iter(missing))]
            self.request_retransmission(lost)

    def forward_repair(self, pkt: memoryview, n: int) -> None:
        """An RTX packet from the publisher (RFC 4588): forwarded as the original packet if
        it repairs a loss the SFU asked about; probes and duplicates are dropped."""
        head = header_length(pkt[:n])
        padding = pkt[n - 1] if pkt[0] & 0x20 else 0
        if n - head - padding < 2 or self.ssrc < 0 or self.media_pt < 0:
            return
        original = (pkt[head] << 8) | pkt[head + 1]
        if original not in self._missing:
            return
        del self._missing[original]
        pkt[head : n - 2] = bytes(pkt[head + 2 : n])
        timestamp = _SEND_TIME.unpack_from(pkt, 4)[0]
        _FIXED_FIELDS.pack_into(
            pkt, 1, (pkt[1] & 0x80) | self.media_pt, original, timestamp, self.ssrc
        )
        self.repaired += 1
        self.forward(pkt, n - 2)

    def _new_source(self, ssrc: int) -> None:
        """The publisher's SSRC changed (or this is the first packet): subscribers resync."""
        first = self.ssrc < 0
        self.ssrc = ssrc
        self.sr_rtp = 0
        self._next_seq = -1
        self._missing.clear()
        self.stats.reset(ssrc)
        if not first:
            for downtrack in self.downtracks:
                downtrack.restart()

    def on_sender_report(self, ssrc: int, ntp: int, rtp_timestamp: int, arrival: float) -> None:
        if ssrc == self.ssrc:
            self.sr_rtp = rtp_timestamp
            self.stats.on_sender_report(ntp, arrival)
            for tap in self.taps:
                tap.on_sender_report(ntp, rtp_timestamp, arrival)

    def plan_for(self, subscriber_ids: Mapping[str, int]) -> ExtensionPlan:
        """The shared renumbering plan for a subscriber with these extension ids."""
        key = plan_key(self.extension_ids, subscriber_ids)
        for plan in self._plans:
            if plan.key == key:
                return plan
        plan = ExtensionPlan(self.extension_ids, subscriber_ids)
        self._plans.append(plan)
        return plan

    def attach(self, downtrack: DownTrack) -> None:
        if downtrack not in self.downtracks:
            self.downtracks.append(downtrack)
            if downtrack.waiting_keyframe:
                self.waiting += 1
        plan = downtrack.rewriter.plan if downtrack.rewriter is not None else None
        if plan is not None and plan not in self._plans:
            self._plans.append(plan)

    def detach(self, downtrack: DownTrack) -> None:
        if downtrack in self.downtracks:
            self.downtracks.remove(downtrack)
            if downtrack.waiting_keyframe:
                self.waiting -= 1
        in_use = {id(d.rewriter.plan) for d in self.downtracks if d.rewriter is not None}
        self._plans = [p for p in self._plans if id(p) in in_use]

    def set_paused(self, paused: bool) -> None:
        """Muted by the SFU: packets are counted but not forwarded; on resume subscribers
        start a new run (and, for video, wait for a keyframe)."""
        if paused == self.paused:
            return
        self.paused = paused
        if not paused:
            for downtrack in self.downtracks:
                downtrack.restart()
