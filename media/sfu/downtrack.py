"""DownTrack: one subscriber's copy of one published track.

It owns the subscriber side of forwarding: the header rewriter (SSRC, payload type, offsets,
extension ids), the runs it was sent (to answer NACKs from its source's shared history), the
counters its sender reports carry, and the rule that video starts at a keyframe. Its source
can change (a re-publish, a new SSRC, a pause) without the subscriber seeing a gap in sequence
numbers or a timestamp jump.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from aiortc import RTCRtpTransceiver

from . import codecs
from ._aiortc_shim import NegotiatedMedia, RtpEndpoint
from .nack import SLOT_SIZE, SentRuns, write_rtx
from .rewrite import HeaderRewriter
from .rtcp import SenderInfo, pack_sr

if TYPE_CHECKING:
    from .publisher import PublishedTrack

KEYFRAME_RETRY = 1.0
"""Seconds between keyframe requests while a subscription waits for one."""
_SCRATCH = memoryview(bytearray(SLOT_SIZE))
"""Where a retransmission is rebuilt before it is wrapped (the SFU runs on one thread)."""


class DownTrack:
    __slots__ = (
        "_asked_at",
        "_attached",
        "_history_size",
        "_rng",
        "_subscriber_extensions",
        "_subscriber_pt",
        "endpoint",
        "keyframe_requests",
        "octets",
        "packets",
        "retransmitted",
        "rewriter",
        "rtx_pt",
        "rtx_seq",
        "rtx_ssrc",
        "sent",
        "source",
        "stream_id",
        "track_id",
        "transceiver",
        "waiting_keyframe",
    )

    def __init__(
        self,
        source: PublishedTrack,
        history_size: int,
        rng: random.Random | None = None,
    ) -> None:
        self.source = source
        self.track_id = source.track_id
        self.stream_id = source.stream_id
        self.transceiver: RTCRtpTransceiver | None = None
        self.rewriter: HeaderRewriter | None = None
        self.endpoint: RtpEndpoint | None = None
        self.sent: SentRuns | None = None
        """Set when the subscriber negotiated NACK: which runs it was sent, to answer from
        the source's shared history."""
        self.rtx_pt = -1
        self.rtx_ssrc = 0
        self._rng = rng or random.Random()  # noqa: S311 - RTP initial values
        self.rtx_seq = self._rng.randrange(0, 0x8000)
        self._history_size = history_size
        self._subscriber_pt = -1
        self._subscriber_extensions: dict[str, int] = {}
        self.waiting_keyframe = source.kind == "video"
        self._asked_at = -KEYFRAME_RETRY
        self._attached = False
        self.packets = 0
        self.octets = 0
        self.retransmitted = 0
        self.keyframe_requests = 0

    @property
    def ssrc(self) -> int | None:
        return self.rewriter.ssrc if self.rewriter is not None else None

    @property
    def active(self) -> bool:
        return self._attached

    def configure(self, media: NegotiatedMedia) -> bool:
        """Apply what the subscriber's m-line negotiated; False if it cannot carry the source
        (the subscriber refused the codec)."""
        source = self.source
        wanted = source.codec_key
        codec = next(
            (c for c in media.codecs if c.payloadType is not None
             and source.key_of(c) == wanted),
            None,
        )
        if codec is None or codec.payloadType is None or media.mid is None:
            return False
        if self.rewriter is None or self.rewriter.ssrc != media.ssrc:
            self.rewriter = HeaderRewriter(media.ssrc, source.clock_rate, self._rng)
            self.sent = None  # another sequence space: earlier runs no longer apply
        self._subscriber_pt = codec.payloadType
        self._subscriber_extensions = dict(media.header_extensions)
        rewriter = self.rewriter
        rewriter.set_mid(media.mid)
        self._map_source()
        rtx = next(
            (c for c in media.codecs if c.mimeType.lower().endswith("/rtx")
             and str(c.parameters.get("apt")) == str(codec.payloadType)),
            None,
        )
        self.rtx_pt = rtx.payloadType if rtx is not None and rtx.payloadType is not None else -1
        self.rtx_ssrc = media.rtx_ssrc
        if codecs.has_feedback(codec, "nack"):
            if self.sent is None:
                self.sent = SentRuns(self._history_size)
            source.forwarder.keep_history(self._history_size)
        else:
            self.sent = None
        rewriter.runs = self.sent
        return True

    def activate(self, endpoint: RtpEndpoint) -> None:
        if self.rewriter is None:
            return
        self.endpoint = endpoint
        if not self._attached:
            self._attached = True
            self.source.forwarder.attach(self)
            self.request_keyframe()

    def deactivate(self) -> None:
        if self._attached:
            self._attached = False
            self.source.forwarder.detach(self)

    def switch_source(self, source: PublishedTrack) -> bool:
        """Carry another published track on the same m-line (a re-publish): the subscriber sees
        one continuous stream. False if the codecs differ (it needs renegotiating)."""
        if source.codec_key != self.source.codec_key or source.kind != self.source.kind:
            return False
        attached = self._attached
        self.deactivate()
        self.source = source
        if self.sent is not None:
            source.forwarder.keep_history(self._history_size)
        if self.rewriter is not None:
            self._map_source()
            self.rewriter.resync()
        self._set_waiting(source.kind == "video")
        if attached and self.endpoint is not None:
            self.activate(self.endpoint)
        return True

    def inherit(self, previous: DownTrack) -> None:
        """Go on where ``previous`` stopped on the m-line this subscription reuses.

        The m-line keeps its SSRC, so its sequence numbers (and RTX's) must continue: SRTP
        refuses to protect a packet whose index is far behind what it already sent, and a
        fresh random start would silence the track for good."""
        if previous.rewriter is not None:
            self.rewriter = previous.rewriter
            self.rewriter.runs = None
            self.rewriter.resync()
        self.rtx_seq = previous.rtx_seq

    def _map_source(self) -> None:
        """Point the rewriter at the current source's payload type and extension ids."""
        rewriter = self.rewriter
        assert rewriter is not None
        rewriter.clear_payload_types()
        rewriter.map_payload_type(self.source.payload_type, self._subscriber_pt)
        rewriter.plan = self.source.forwarder.plan_for(self._subscriber_extensions)

    def restart(self) -> None:
        """The source restarted (new SSRC, resumed after a pause): start a new run."""
        if self.rewriter is not None:
            self.rewriter.resync()
        if self.source.kind == "video":
            self._set_waiting(True)
            self.request_keyframe()

    def _set_waiting(self, waiting: bool) -> None:
        if waiting == self.waiting_keyframe:
            return
        self.waiting_keyframe = waiting
        if self._attached:
            self.source.forwarder.waiting += 1 if waiting else -1

    def request_keyframe(self) -> None:
        if self.source.kind == "video":
            self.keyframe_requests += 1
            self.source.request_keyframe()

    def forward(
        self, src: memoryview, n: int, b1: int, seq: int, ts: int, keyframe: bool, now: float
    ) -> None:
        if self.waiting_keyframe:
            if not keyframe:
                if now - self._asked_at >= KEYFRAME_RETRY:
                    self._asked_at = now
                    self.request_keyframe()
                return
            self._set_waiting(False)
            self.rewriter.resync()  # type: ignore[union-attr]
        endpoint = self.endpoint
        out = endpoint.out  # type: ignore[union-attr]
        out_seq = self.rewriter.write(out, src, n, b1, seq, ts, now)  # type: ignore[union-attr]
        if out_seq < 0:
            return
        self.packets += 1
        self.octets += n
        endpoint.send_rtp(n)  # type: ignore[union-attr]

    def retransmit(self, lost: list[int]) -> int:
        """Answer a NACK from the source's history; returns how many packets went out again."""
        sent = self.sent
        endpoint = self.endpoint
        rewriter = self.rewriter
        if sent is None or endpoint is None or rewriter is None or not self._attached:
            return 0
        forwarder = self.source.forwarder
        history = forwarder.history
        if history is None:
            return 0
        count = 0
        for seq in lost:
            found = sent.find(seq, rewriter.last_seq)
            if found is None:
                continue
            source_seq, ts_offset, ssrc = found
            packet = history.get(source_seq, ssrc)
            if packet is None or not sent.may_resend(seq):
                continue
            if rewriter.plan is not None:
                forwarder.replan(packet, rewriter.plan)
            if not rewriter.write_again(_SCRATCH, packet, seq, ts_offset):
                continue
            n = len(packet)
            if self.rtx_pt >= 0:
                n = write_rtx(endpoint.out, _SCRATCH[:n], self.rtx_pt, self.rtx_seq,
                              self.rtx_ssrc)
                self.rtx_seq = (self.rtx_seq + 1) & 0xFFFF
            else:
                endpoint.out[:n] = _SCRATCH[:n]
            if n:
                endpoint.send_rtp(n)
                count += 1
        self.retransmitted += count
        return count

    def sender_report(self, now: float) -> bytes | None:
        """An SR in this subscriber's timeline, extrapolated from the publisher's last SR so
        that audio and video of one publisher keep their relation (lip sync)."""
        forwarder = self.source.forwarder
        stats = forwarder.stats
        rewriter = self.rewriter
        if rewriter is None or not self._attached or not stats.sr_ntp or not self.packets:
            return None
        elapsed = max(0.0, now - stats.sr_arrival)
        ntp = stats.sr_ntp + int(elapsed * 4_294_967_296)
        rtp = rewriter.translate_timestamp(
            forwarder.sr_rtp + int(elapsed * self.source.clock_rate)
        )
        return pack_sr(SenderInfo(rewriter.ssrc, ntp, rtp, self.packets, self.octets))
