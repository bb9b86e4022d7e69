"""Participant: one peer connection carrying everything a participant sends and receives.

It ties the pieces together: negotiation (``Negotiator``), the SFU's own packet path
(``RtpEndpoint``), what it publishes (``Publisher``) and receives (``Subscriber``), its RTCP,
and its liveness. The room decides who receives what; the participant tells the room what
changed (tracks published or gone, connected, lost).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, replace
from typing import Protocol

import structlog
from aiortc import RTCIceCandidate, RTCIceServer, RTCRtpTransceiver
from aiortc.sdp import candidate_from_sdp

from media.events import LeaveReason, TrackKind, TrackSource

from . import _aiortc_shim as shim
from . import sdp
from .config import IceServer, SfuConfig
from .errors import NegotiationError, ParticipantClosed
from .info import Grants, ParticipantInfo, TrackInfo
from .negotiation import Negotiator
from .publisher import PublishedTrack, Publisher
from .rtcp import (
    PSFB,
    RR,
    RTPFB,
    SR,
    iter_packets,
    pack_sdes_cname,
    parse_report_blocks,
    parse_sender_info,
)
from .subscriber import Subscriber

_SOURCES: dict[str, TrackKind] = {"microphone": "audio", "camera": "video", "screen": "video"}
_MAX_COMPOUND = 1200
MAX_CLIENT_SECTIONS = 16
"""m-lines a client may add of its own (the SFU's send-only ones do not count)."""


class RoomHooks(Protocol):
    """What a participant tells its room."""

    def publications_changed(
        self, participant: Participant, removed: list[PublishedTrack], added: list[PublishedTrack]
    ) -> None: ...

    def first_negotiation_done(self, participant: Participant) -> None: ...

    def connected(self, participant: Participant) -> None: ...

    def mute_changed(self, participant: Participant, kind: TrackKind, muted: bool) -> None: ...

    def connection_lost(self, participant: Participant, reason: LeaveReason) -> None: ...


@dataclass(frozen=True, slots=True)
class ParticipantStats:
    packets_sent: int
    datagrams_received: int
    nacks_received: int
    retransmitted: int
    keyframe_requests_received: int
    keyframe_requests_sent: int
    retransmissions_requested: int
    """Packets the SFU asked this publisher to send again (lost on the way in)."""
    repaired: int
    """... of which arrived (as RTX) and were forwarded."""


def ice_servers(servers: tuple[IceServer, ...]) -> list[RTCIceServer]:
    return [
        RTCIceServer(urls=list(s.urls), username=s.username, credential=s.credential)
        for s in servers
    ]


class Participant:
    def __init__(
        self,
        room_id: str,
        participant_id: str,
        info: ParticipantInfo,
        config: SfuConfig,
        hooks: RoomHooks,
        packet_filter: Callable[[str, memoryview, int], bool] | None = None,
    ) -> None:
        self.room_id = room_id
        self.participant_id = participant_id
        self.info = info
        self._config = config
        self._hooks = hooks
        self._log = structlog.get_logger(__name__).bind(
            room_id=room_id, participant_id=participant_id
        )
        self._pc = shim.create_peer_connection(ice_servers(config.ice_servers))
        seam = None
        if packet_filter is not None:
            def seam(packet: memoryview, n: int) -> bool:
                return packet_filter(participant_id, packet, n)
        self._endpoint = shim.RtpEndpoint(self._pc, self._on_rtp, self._on_rtcp, seam)
        self.publisher = Publisher(
            participant_id,
            self._send_rtcp,
            config.max_video_bitrate,
            config.keyframe_request_interval,
            self._log,
        )
        self._endpoint.urgent = self.publisher.urgent_ssrcs
        self.subscriber = Subscriber(participant_id, config.nack_history_packets)
        self._negotiator = Negotiator(self._pc, config, self._log, self.subscriber.prepare_offer)
        self._muted: dict[str, bool] = {"audio": False, "video": False}
        self._connected = False
        self._closing = False
        self._cname = "rounds-sfu"
        self._seen_datagrams = 0
        self._quiet_since = time.monotonic()
        self._pc.on("connectionstatechange", self._on_connection_state)

    # -- public API ------------------------------------------------------------------------
    @property
    def state(self) -> str:
        """new (no offer yet), negotiated, connected, or closed."""
        if self._closing:
            return "closed"
        if self._connected:
            return "connected"
        return "negotiated" if self._negotiator.completed else "new"

    async def handle_offer(
        self, offer: str, track_sources: Mapping[str, TrackSource] | None = None
    ) -> str:
        """Apply a client offer; returns the answer SDP.

        ``track_sources`` labels the client's tracks (keys: msid track ids or mids) as
        microphone, camera or screen; unlabelled audio is the microphone, the first unlabelled
        video the camera and a second one the screen. Sections the participant may not
        publish (grants) are answered inactive. Raises NegotiationError (GlareError while a
        server offer waits for its answer); the session is left as it was."""
        if self._closing:
            raise ParticipantClosed("the participant has left")
        sources = dict(track_sources or {})
        for key, source in sources.items():
            if source not in _SOURCES:
                raise NegotiationError(f"unknown track source {source!r} for {key!r}")
        keep = {mid: t.codec_key for mid, t in self.publisher.tracks.items()}
        parsed = sdp.parse_offer(offer, keep)
        own = [m for m in parsed.media if not self.subscriber.owns(m.mid)]
        if len(own) > MAX_CLIENT_SECTIONS:
            raise NegotiationError(f"at most {MAX_CLIENT_SECTIONS} media sections of your own")
        for media in parsed.media:
            label = sources.get(media.track_id) or sources.get(media.mid)
            if label is not None and _SOURCES[label] != media.kind:
                raise NegotiationError(f"{label} cannot be a {media.kind} track (mid {media.mid})")
        plan: list[tuple[sdp.OfferedMedia, TrackSource]] = []
        removed: list[PublishedTrack] = []
        added: list[PublishedTrack] = []

        def decide() -> None:
            plan.extend(self.publisher.decide(
                parsed, sources, self.info.grants, self.subscriber.owns, self._transceiver
            ))
            removed.extend(self.publisher.withdrawn(parsed, self.subscriber.owns))

        def completed() -> None:
            added.extend(self.publisher.publish(plan, self._transceiver, self._muted))
            for track in removed:
                self.publisher.remove(track)
            self.subscriber.apply_negotiated()
            if self._cname == "rounds-sfu":
                self._cname = sdp.cname_of(self._pc.localDescription.sdp) or self._cname

        first = not self._negotiator.completed
        answer = await self._negotiator.answer(parsed, decide, completed)
        if self._closing:
            raise ParticipantClosed("the participant left while its offer was answered")
        if first:
            self._quiet_since = time.monotonic()  # from now on, it has peer_timeout to connect
        self._log.info(
            "offer answered",
            published=[t.source for t in added],
            unpublished=[t.source for t in removed],
        )
        if removed or added:
            self._hooks.publications_changed(self, removed, added)
        if first:
            self._hooks.first_negotiation_done(self)
        if self.subscriber.needs_offer:
            self._negotiator.needed()
        return answer

    async def handle_answer(self, answer: str) -> None:
        """The client's answer to the latest server offer."""
        if self._closing:
            raise ParticipantClosed("the participant has left")
        await self._negotiator.accept_answer(answer, self.subscriber.apply_negotiated)

    def offers(self) -> AsyncIterator[str]:
        """Server offers for the signaling layer to send; ends when the participant leaves."""
        return self._negotiator.offers()

    async def add_ice_candidate(
        self, candidate: str | None, sdp_mid: str | None = None, sdp_mline_index: int | None = None
    ) -> None:
        """A trickled remote candidate ('candidate:...' or without the prefix); None or ''
        for end-of-candidates."""
        if self._closing:
            return
        parsed: RTCIceCandidate | None = None
        if candidate:
            text = candidate.removeprefix("a=").removeprefix("candidate:")
            try:
                parsed = candidate_from_sdp(text)
            except Exception as exc:
                raise NegotiationError(f"not an ICE candidate: {candidate!r}") from exc
            parsed.sdpMid = sdp_mid
            parsed.sdpMLineIndex = sdp_mline_index
            if sdp_mid is None and sdp_mline_index is None:
                parsed.sdpMLineIndex = 0
        try:
            await self._pc.addIceCandidate(parsed)
        except Exception as exc:
            raise NegotiationError(f"the ICE candidate was refused: {exc}") from exc

    def set_muted(self, kind: TrackKind, muted: bool) -> bool:
        """Mute (stop forwarding) the microphone ('audio') or the camera ('video'), whoever
        asks (the participant itself or a host); emits MuteChanged. True if that changed."""
        if self._muted[kind] == muted or self._closing:
            return False
        self._muted[kind] = muted
        for track in self.publisher.tracks.values():
            if track.kind == kind and track.source != "screen":
                track.muted = muted
                track.forwarder.set_paused(muted)
        self._hooks.mute_changed(self, kind, muted)
        return True

    def pause_screen(self) -> bool:
        """Stop forwarding the participant's screen share (a host stopped it). The sharer's
        page is asked to stop and unpublishes it; sharing again is a new publication,
        forwarded again. True if a share was being forwarded."""
        paused = False
        for track in self.publisher.tracks.values():
            if track.source == "screen" and not track.muted:
                track.muted = True
                track.forwarder.set_paused(True)
                paused = True
        if paused:
            self._log.info("sfu.screen_paused")
        return paused

    def set_grants(self, grants: Grants) -> None:
        """Change what the participant may do from now on (a host made them a presenter, or
        took that away): the next negotiation answers by the new grants."""
        self.info = replace(self.info, grants=grants)
        self._log.info("sfu.grants_changed", can_share_screen=grants.can_share_screen,
                       is_host=grants.is_host)

    def is_muted(self, kind: TrackKind) -> bool:
        return self._muted[kind]

    def tracks(self) -> list[TrackInfo]:
        return [
            TrackInfo(
                participant_id=self.participant_id,
                display_name=self.info.display_name,
                track_id=t.track_id,
                stream_id=t.stream_id,
                kind=t.kind,
                source=t.source,
                muted=t.muted,
            )
            for t in self.publisher.tracks.values()
        ]

    def stats(self) -> ParticipantStats:
        downtracks = self.subscriber.downtracks.values()
        published = list(self.publisher.tracks.values())
        return ParticipantStats(
            packets_sent=self._endpoint.sent_packets,
            datagrams_received=self._endpoint.datagrams,
            nacks_received=self.subscriber.nacks_received,
            retransmitted=sum(d.retransmitted for d in downtracks),
            keyframe_requests_received=self.subscriber.keyframe_requests_received,
            keyframe_requests_sent=sum(t.keyframe_requests_sent for t in published),
            retransmissions_requested=sum(t.retransmissions_requested for t in published),
            repaired=sum(t.forwarder.repaired for t in published),
        )

    def _transceiver(self, mid: str) -> RTCRtpTransceiver | None:
        return next((t for t in self._pc.getTransceivers() if t.mid == mid), None)

    def renegotiate(self) -> None:
        """The room changed what this participant receives: offer when possible."""
        if self.subscriber.needs_offer and not self._closing:
            self._negotiator.needed()

    def stream_ids(self) -> set[str]:
        return set(self.publisher.streams.values())

    # -- transport -------------------------------------------------------------------------
    def _on_connection_state(self) -> None:
        state = self._pc.connectionState
        if self._closing:
            return
        if state == "connected":
            self._start_media()
        elif state == "failed":
            self._hooks.connection_lost(self, "dropped")
        elif state == "closed":
            self._hooks.connection_lost(self, "left")

    def _start_media(self) -> None:
        """ICE and DTLS are up: take the packets over from aiortc."""
        if not self._connected and self._endpoint.start():
            self._connected = True
            self._quiet_since = time.monotonic()
            self.subscriber.attach(self._endpoint)
            self._log.info("media connected")
            self._hooks.connected(self)

    def _on_rtp(self, packet: memoryview, n: int) -> None:
        self.publisher.on_rtp(packet, n)

    def _on_rtcp(self, data: bytes) -> None:
        for packet in iter_packets(data):
            kind = packet.type
            if kind == SR and len(packet.payload) >= 24:
                info = parse_sender_info(packet.payload)
                self.publisher.on_sender_report(info.ssrc, info.ntp, info.rtp_timestamp)
                self.subscriber.on_report_blocks(parse_report_blocks(packet))
            elif kind == RR:
                self.subscriber.on_report_blocks(parse_report_blocks(packet))
            elif kind in (RTPFB, PSFB):
                self.subscriber.on_feedback(packet)

    def _send_rtcp(self, data: bytes) -> bool:
        if not self._endpoint.ready:
            return False
        self._endpoint.send_rtcp(data)
        return True

    def tick(self, now: float) -> None:
        """Every RTCP interval: reports, liveness, and following the selected pair."""
        if self._closing:
            return
        if not self._connected and self._pc.connectionState == "connected":
            self._start_media()
        if not self._connected:
            if self._negotiator.completed and now - self._quiet_since > self._config.peer_timeout:
                self._log.warning("media never connected")
                self._hooks.connection_lost(self, "dropped")
            return
        endpoint = self._endpoint
        endpoint.refresh()
        if endpoint.datagrams != self._seen_datagrams:
            self._seen_datagrams = endpoint.datagrams
            self._quiet_since = now
        elif now - self._quiet_since > self._config.peer_timeout:
            self._log.warning("peer silent", seconds=round(now - self._quiet_since, 1))
            self._hooks.connection_lost(self, "dropped")
            return
        self._send_reports(now)

    def _send_reports(self, now: float) -> None:
        packets = self.publisher.reports(now) + self.subscriber.sender_reports(now)
        compound = b""
        for packet in packets:
            starts_compound = packet[1] in (SR, RR)
            if compound and starts_compound and len(compound) + len(packet) > _MAX_COMPOUND:
                self._send_compound(compound)
                compound = b""
            compound += packet
        if compound:
            self._send_compound(compound)

    def _send_compound(self, compound: bytes) -> None:
        ssrc = int.from_bytes(compound[4:8], "big")
        self._endpoint.send_rtcp(compound + pack_sdes_cname(ssrc, self._cname))

    async def close(self) -> None:
        """Hang up (the room calls this from leave)."""
        if self._closing:
            return
        self._closing = True
        self._endpoint.close()
        self.subscriber.close()
        await self._negotiator.close()
        try:
            # shielded: a cancelled waiter would cancel aiortc's shared "closed" future
            await asyncio.shield(self._pc.close())
        except Exception:
            self._log.exception("closing the peer connection failed")
