"""What a participant receives: one DownTrack per published track it subscribes to, the
send-only m-lines that carry them, and the feedback (NACK, PLI, FIR) it sends about them."""

from __future__ import annotations

import random

import structlog
from aiortc import RTCPeerConnection, RTCRtpTransceiver

from . import _aiortc_shim as shim
from . import codecs
from .downtrack import DownTrack
from .publisher import PublishedTrack
from .rtcp import (
    PSFB,
    PSFB_FIR,
    PSFB_PLI,
    RTPFB,
    RTPFB_NACK,
    ReportBlock,
    RtcpPacket,
    parse_feedback_ssrcs,
    parse_fir,
    parse_nack,
)

log = structlog.get_logger(__name__)


class Subscriber:
    def __init__(
        self, participant_id: str, history_size: int, rng: random.Random | None = None
    ) -> None:
        self.participant_id = participant_id
        self._history_size = history_size
        self._rng = rng or random.Random()  # noqa: S311 - RTP initial values
        self.downtracks: dict[PublishedTrack, DownTrack] = {}
        self._by_ssrc: dict[int, DownTrack] = {}
        self._pending: list[DownTrack] = []
        self._retiring: list[RTCRtpTransceiver] = []
        self._idle: list[RTCRtpTransceiver] = []
        # the subscription each retired m-line carried last: a reuse continues its sequence
        self._last_on: dict[RTCRtpTransceiver, DownTrack] = {}
        self.endpoint: shim.RtpEndpoint | None = None
        self.remote_reports: dict[int, ReportBlock] = {}
        self.nacks_received = 0
        self.keyframe_requests_received = 0

    # -- what to receive ------------------------------------------------------------------
    def subscribe(self, track: PublishedTrack) -> bool:
        """Add a subscription; True if that needs a (re)negotiation."""
        if track in self.downtracks:
            return False
        downtrack = DownTrack(track, self._history_size, self._rng)
        self.downtracks[track] = downtrack
        self._pending.append(downtrack)
        return True

    def unsubscribe(self, track: PublishedTrack) -> bool:
        """Stop forwarding now; the m-line goes inactive at the next offer."""
        downtrack = self.downtracks.pop(track, None)
        if downtrack is None:
            return False
        downtrack.deactivate()
        if downtrack in self._pending:
            self._pending.remove(downtrack)
            return False
        self._by_ssrc = {s: d for s, d in self._by_ssrc.items() if d is not downtrack}
        if downtrack.transceiver is not None:
            self._retiring.append(downtrack.transceiver)
            self._last_on[downtrack.transceiver] = downtrack
        return True

    def switch(self, old: PublishedTrack, new: PublishedTrack) -> bool:
        """A re-publish: the subscription to ``old`` carries ``new`` from now on."""
        downtrack = self.downtracks.get(old)
        if downtrack is None or not downtrack.switch_source(new):
            return False
        del self.downtracks[old]
        self.downtracks[new] = downtrack
        return True

    @property
    def needs_offer(self) -> bool:
        return bool(self._pending or self._retiring)

    def owns(self, mid: str | None) -> bool:
        """Whether this m-line is one of the SFU's send-only m-lines."""
        return mid is not None and any(
            t.mid == mid for t in self._transceivers()
        )

    def _transceivers(self) -> list[RTCRtpTransceiver]:
        found = [d.transceiver for d in self.downtracks.values() if d.transceiver is not None]
        return found + self._retiring + self._idle

    # -- negotiation ----------------------------------------------------------------------
    def prepare_offer(self, pc: RTCPeerConnection) -> bool:
        """Give each new subscription an m-line (reusing idle ones); retire the unused ones.
        Returns whether the offer changes anything."""
        changed = bool(self._retiring)
        for retired in self._retiring:
            retired.direction = "inactive"
        for downtrack in self._pending:
            preferences = codecs.capabilities_for(downtrack.source.codec)
            kind = downtrack.source.kind
            reusable = next((t for t in self._idle if t.kind == kind), None)
            if reusable is not None:
                self._idle.remove(reusable)
                shim.rebind_sender(reusable, downtrack.track_id, downtrack.stream_id, preferences)
                downtrack.transceiver = reusable
                previous = self._last_on.pop(reusable, None)
                if previous is not None:
                    downtrack.inherit(previous)
            else:
                downtrack.transceiver = shim.add_sender(
                    pc, kind, downtrack.track_id, downtrack.stream_id, preferences
                )
            changed = True
        self._pending.clear()
        return changed

    def apply_negotiated(self) -> None:
        """After an exchange completed: configure and start what the answer allows."""
        for retired in list(self._retiring):
            if retired.currentDirection == "inactive":
                self._retiring.remove(retired)
                self._idle.append(retired)
        for track, downtrack in list(self.downtracks.items()):
            transceiver = downtrack.transceiver
            if transceiver is None or transceiver.currentDirection not in ("sendonly", "sendrecv"):
                continue
            if not downtrack.configure(shim.negotiated(transceiver)):
                log.warning(
                    "subscription refused by the subscriber's answer",
                    participant_id=self.participant_id,
                    track=repr(track),
                    codec=track.codec.mimeType,
                )
                self.unsubscribe(track)
                continue
            if downtrack.ssrc is not None:
                self._by_ssrc[downtrack.ssrc] = downtrack
            if self.endpoint is not None and self.endpoint.ready:
                downtrack.activate(self.endpoint)

    def attach(self, endpoint: shim.RtpEndpoint) -> None:
        """The transport is up: start every configured subscription."""
        self.endpoint = endpoint
        for downtrack in self.downtracks.values():
            if downtrack.rewriter is not None:
                downtrack.activate(endpoint)

    def close(self) -> None:
        for downtrack in self.downtracks.values():
            downtrack.deactivate()
        self.downtracks.clear()
        self._last_on.clear()
        self._by_ssrc.clear()
        self._pending.clear()

    # -- RTCP -----------------------------------------------------------------------------
    def on_feedback(self, packet: RtcpPacket) -> None:
        """NACK, PLI and FIR about what the SFU sends this participant."""
        if len(packet.payload) < 8:
            return
        if packet.type == RTPFB and packet.fmt == RTPFB_NACK:
            _, media_ssrc = parse_feedback_ssrcs(packet.payload)
            downtrack = self._by_ssrc.get(media_ssrc)
            if downtrack is not None:
                self.nacks_received += 1
                downtrack.retransmit(parse_nack(packet.payload))
        elif packet.type == PSFB and packet.fmt == PSFB_PLI:
            _, media_ssrc = parse_feedback_ssrcs(packet.payload)
            self._keyframe_wanted(media_ssrc)
        elif packet.type == PSFB and packet.fmt == PSFB_FIR:
            for media_ssrc in parse_fir(packet.payload):
                self._keyframe_wanted(media_ssrc)

    def _keyframe_wanted(self, media_ssrc: int) -> None:
        downtrack = self._by_ssrc.get(media_ssrc)
        if downtrack is not None:
            self.keyframe_requests_received += 1
            downtrack.source.request_keyframe()

    def on_report_blocks(self, blocks: list[ReportBlock]) -> None:
        for block in blocks:
            if block.ssrc in self._by_ssrc:
                self.remote_reports[block.ssrc] = block

    def sender_reports(self, now: float) -> list[bytes]:
        reports = []
        for downtrack in self.downtracks.values():
            report = downtrack.sender_report(now)
            if report is not None:
                reports.append(report)
        return reports
