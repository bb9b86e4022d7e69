"""What a participant publishes: its tracks, the demultiplexing of its incoming RTP to their
forwarders, and the RTCP the SFU owes it as a receiver (receiver reports, REMB, PLI)."""

from __future__ import annotations

import struct
import time
import uuid
from collections.abc import Callable, Mapping

import structlog
from aiortc import RTCRtpCodecParameters, RTCRtpTransceiver

from media.events import TrackKind, TrackSource

from . import _aiortc_shim as shim
from . import codecs
from .forwarder import Forwarder
from .info import Grants
from .rewrite import URI_MID
from .rtcp import KeyframeThrottle, pack_nack, pack_pli, pack_remb, pack_rr
from .sdp import ClientOffer, CodecKey, OfferedMedia, codec_key
from .speaker import SpeakerSlot

_SSRC = struct.Struct("!I")
_MAX_LEARNED_SSRCS = 32


class PublishedTrack:
    """A track one participant publishes into the room."""

    def __init__(
        self,
        *,
        publisher: Publisher,
        track_id: str,
        stream_id: str,
        kind: TrackKind,
        source: TrackSource,
        mid: str,
        codecs_negotiated: tuple[RTCRtpCodecParameters, ...],
        extension_ids: dict[str, int],
        local_ssrc: int,
        ssrc: int | None,
        rtx_ssrc: int | None,
        keyframe_interval: float,
        client_track_id: str = "",
    ) -> None:
        media = [c for c in codecs_negotiated if not c.mimeType.lower().endswith("/rtx")]
        if not media or media[0].payloadType is None:
            raise ValueError("a published track needs a negotiated codec")
        self.publisher = publisher
        self.track_id = track_id
        self.client_track_id = client_track_id
        """The msid track id in the publisher's own SDP."""
        self.stream_id = stream_id
        self.kind = kind
        self.source = source
        self.mid = mid
        self.codec = media[0]
        self.payload_type: int = media[0].payloadType
        self.rtx_payload_types = {
            c.payloadType for c in codecs_negotiated
            if c.mimeType.lower().endswith("/rtx") and c.payloadType is not None
        }
        self.clock_rate = self.codec.clockRate
        self.codec_key: CodecKey = self.key_of(self.codec)
        self.local_ssrc = local_ssrc
        self.ssrc_hint = ssrc
        self.rtx_ssrc_hint = rtx_ssrc
        self.muted = False
        self.keyframe_requests_sent = 0
        self._throttle = KeyframeThrottle(keyframe_interval)
        self.forwarder = Forwarder(
            self.clock_rate,
            extension_ids,
            codecs.keyframe_test(self.codec.mimeType),
            self.payload_type,
        )
        self.retransmissions_requested = 0
        if codecs.has_feedback(self.codec, "nack"):
            self.forwarder.request_retransmission = self._request_retransmission
        self.rtx = _RtxStream(self.forwarder)

    @property
    def participant_id(self) -> str:
        return self.publisher.participant_id

    @staticmethod
    def key_of(codec: RTCRtpCodecParameters) -> CodecKey:
        return codec_key(codec, {})

    @property
    def speaker_slot(self) -> SpeakerSlot | None:
        return self.forwarder.speaker_slot

    def request_keyframe(self, *, force: bool = False) -> bool:
        """Ask the publisher for a keyframe (PLI), at most once per throttle interval;
        ``force`` skips the throttle (a recording that starts needs its own keyframe)."""
        if self.kind != "video":
            return False
        ssrc = self.forwarder.ssrc if self.forwarder.ssrc >= 0 else self.ssrc_hint
        if ssrc is None or not (self._throttle.allow() or force):
            return False
        if self.publisher.send_rtcp(pack_pli(self.local_ssrc, ssrc)):
            self.keyframe_requests_sent += 1
            return True
        return False

    def _request_retransmission(self, lost: list[int]) -> None:
        """NACK the publisher for packets lost on the way to the SFU."""
        ssrc = self.forwarder.ssrc
        if ssrc >= 0 and self.publisher.send_rtcp(pack_nack(self.local_ssrc, ssrc, lost)):
            self.retransmissions_requested += len(lost)

    def __repr__(self) -> str:
        return f"PublishedTrack({self.participant_id}/{self.source}/{self.track_id})"


class _RtxStream:
    """The publisher's retransmission SSRC: repairs go to the track's forwarder."""

    __slots__ = ("_forwarder",)

    def __init__(self, forwarder: Forwarder) -> None:
        self._forwarder = forwarder

    def forward(self, pkt: memoryview, n: int) -> None:
        self._forwarder.forward_repair(pkt, n)


class _Ignored:
    """Stands for an SSRC whose packets are dropped (RTX, probing, unknown)."""

    __slots__ = ()

    def forward(self, pkt: memoryview, n: int) -> None:
        return None


_IGNORED = _Ignored()
_Target = Forwarder | _RtxStream | _Ignored


class Publisher:
    def __init__(
        self,
        participant_id: str,
        send_rtcp: Callable[[bytes], bool],
        max_video_bitrate: int,
        keyframe_interval: float,
        log: structlog.typing.FilteringBoundLogger,
    ) -> None:
        self.participant_id = participant_id
        self.send_rtcp = send_rtcp
        self._max_video_bitrate = max_video_bitrate
        self._keyframe_interval = keyframe_interval
        self._log = log
        self.tracks: dict[str, PublishedTrack] = {}
        """By mid."""
        self.streams: dict[str, str] = {}
        """The client's msid stream ids -> the ones subscribers see."""
        self._by_ssrc: dict[int, _Target] = {}
        self._mid_extension_id = 0
        self.urgent_ssrcs: set[int] = set()
        """The SSRCs carrying this participant's audio (kept up to date in place): its
        packets are handled before video waiting in the same socket."""

    # -- what is published -----------------------------------------------------------------
    def withdrawn(
        self, offer: ClientOffer, owned_by_sfu: Callable[[str], bool]
    ) -> list[PublishedTrack]:
        """Publications the offer stops (section no longer sending, or another track on it)."""
        gone = []
        for media in offer.media:
            existing = self.tracks.get(media.mid)
            if existing is None or owned_by_sfu(media.mid):
                continue
            if not media.sends or existing.client_track_id != media.track_id:
                gone.append(existing)
        return gone

    def decide(
        self,
        offer: ClientOffer,
        sources: Mapping[str, TrackSource],
        grants: Grants,
        owned_by_sfu: Callable[[str], bool],
        transceiver_for: Callable[[str], RTCRtpTransceiver | None],
    ) -> list[tuple[OfferedMedia, TrackSource]]:
        """Which newly sending sections become publications. Unlabelled audio is the
        microphone, unlabelled video the camera, or the screen when a camera exists. What the
        grants forbid, or a second track of one source, is refused: answered inactive."""
        kept = {
            t.source for t in self.tracks.values()
            if any(m.mid == t.mid and m.sends and m.track_id == t.client_track_id
                   for m in offer.media)
        }
        accepted: list[tuple[OfferedMedia, TrackSource]] = []
        for media in offer.media:
            if not media.sends or owned_by_sfu(media.mid):
                continue
            existing = self.tracks.get(media.mid)
            if existing is not None and existing.client_track_id == media.track_id:
                continue
            taken = kept | {s for _, s in accepted}
            source: TrackSource
            label = sources.get(media.track_id) or sources.get(media.mid)
            if label is not None:
                source = label
            elif media.kind == "audio":
                source = "microphone"
            else:
                source = "camera" if "camera" not in taken else "screen"
            transceiver = transceiver_for(media.mid)
            if source in taken or not grants.allows(source) or transceiver is None:
                self._log.warning("publication refused", mid=media.mid, source=source)
                if transceiver is not None:
                    transceiver.direction = "inactive"
                continue
            accepted.append((media, source))
        return accepted

    def publish(
        self,
        plan: list[tuple[OfferedMedia, TrackSource]],
        transceiver_for: Callable[[str], RTCRtpTransceiver | None],
        muted: Mapping[str, bool],
    ) -> list[PublishedTrack]:
        """Once the answer is in place: a PublishedTrack per accepted section."""
        added = []
        for media, source in plan:
            transceiver = transceiver_for(media.mid)
            if transceiver is None or transceiver.currentDirection not in ("recvonly", "sendrecv"):
                continue
            negotiated = shim.negotiated(transceiver)
            track = PublishedTrack(
                publisher=self,
                track_id=uuid.uuid4().hex,
                stream_id=self.streams.setdefault(media.stream_id, uuid.uuid4().hex),
                kind="audio" if media.kind == "audio" else "video",
                source=source,
                mid=media.mid,
                codecs_negotiated=negotiated.codecs,
                extension_ids=negotiated.header_extensions,
                local_ssrc=negotiated.ssrc,
                ssrc=media.ssrc,
                rtx_ssrc=media.rtx_ssrc,
                keyframe_interval=self._keyframe_interval,
                client_track_id=media.track_id,
            )
            # later server offers must keep the publisher on this very codec
            transceiver.setCodecPreferences(codecs.capabilities_for(track.codec))
            if muted.get(track.kind) and source != "screen":
                track.muted = True
                track.forwarder.set_paused(True)
            self.add(track)
            added.append(track)
        return added

    # -- incoming RTP and RTCP ---------------------------------------------------------------
    def add(self, track: PublishedTrack) -> None:
        self.tracks[track.mid] = track
        self._mid_extension_id = track.forwarder.extension_ids.get(URI_MID, 0)
        self._forget_learned()
        if track.ssrc_hint is not None:
            self._by_ssrc[track.ssrc_hint] = track.forwarder
        if track.rtx_ssrc_hint is not None:
            self._by_ssrc[track.rtx_ssrc_hint] = track.rtx
        self._update_urgent()

    def remove(self, track: PublishedTrack) -> None:
        if self.tracks.get(track.mid) is track:
            del self.tracks[track.mid]
        gone = (track.forwarder, track.rtx)
        self._by_ssrc = {s: f for s, f in self._by_ssrc.items() if f not in gone}
        self._forget_learned()
        self._update_urgent()

    def _forget_learned(self) -> None:
        """Unknown SSRCs get another chance once the set of tracks changed."""
        self._by_ssrc = {s: f for s, f in self._by_ssrc.items() if f is not _IGNORED}

    def _update_urgent(self) -> None:
        audio = [t.forwarder for t in self.tracks.values() if t.kind == "audio"]
        self.urgent_ssrcs.clear()
        self.urgent_ssrcs.update(
            s for s, f in self._by_ssrc.items() if any(f is a for a in audio)
        )

    def on_rtp(self, pkt: memoryview, n: int) -> None:
        """Every clear RTP packet from this participant."""
        target = self._by_ssrc.get(_SSRC.unpack_from(pkt, 8)[0])
        if target is None:
            target = self._learn(pkt, n)
        target.forward(pkt, n)

    def _learn(self, pkt: memoryview, n: int) -> _Target:
        """An SSRC the SDP did not announce: match it by MID extension, then by payload type."""
        ssrc = _SSRC.unpack_from(pkt, 8)[0]
        pt = pkt[1] & 0x7F
        target: _Target = _IGNORED
        mid = _mid_of(pkt, n, self._mid_extension_id)
        track = self.tracks.get(mid) if mid is not None else None
        if track is None:
            by_pt = [
                t for t in self.tracks.values()
                if t.payload_type == pt or pt in t.rtx_payload_types
            ]
            track = by_pt[0] if len(by_pt) == 1 else None
        if track is not None and pt == track.payload_type:
            target = track.forwarder
        elif track is not None and pt in track.rtx_payload_types:
            target = track.rtx
        if len(self._by_ssrc) < _MAX_LEARNED_SSRCS:
            self._by_ssrc[ssrc] = target
            if track is not None and track.kind == "audio" and target is track.forwarder:
                self.urgent_ssrcs.add(ssrc)
        return target

    def on_sender_report(self, ssrc: int, ntp: int, rtp_timestamp: int) -> None:
        target = self._by_ssrc.get(ssrc)
        if isinstance(target, Forwarder):
            target.on_sender_report(ssrc, ntp, rtp_timestamp, time.monotonic())

    def reports(self, now: float) -> list[bytes]:
        """Receiver report with a block per track that has packets, then REMB for video."""
        started = [t for t in self.tracks.values() if t.forwarder.stats.started]
        if not started:
            return []
        sender = started[0].local_ssrc
        packets = [pack_rr(sender, [t.forwarder.stats.report_block(now) for t in started])]
        video = [t.forwarder.ssrc for t in started if t.kind == "video"]
        if video:
            packets.append(pack_remb(sender, self._max_video_bitrate * len(video), video))
        return packets


def _mid_of(pkt: memoryview, n: int, mid_id: int) -> str | None:
    """The MID header extension value (one-byte form), if present."""
    b0 = pkt[0]
    if not mid_id or not b0 & 0x10:
        return None
    at = 12 + 4 * (b0 & 0x0F)
    if at + 4 > n or pkt[at] != 0xBE or pkt[at + 1] != 0xDE:
        return None
    end = at + 4 + 4 * ((pkt[at + 2] << 8) | pkt[at + 3])
    i = at + 4
    while i < min(end, n):
        b = pkt[i]
        if b == 0:
            i += 1
            continue
        ext_id, length = b >> 4, (b & 0x0F) + 1
        if ext_id == 15:
            return None
        if ext_id == mid_id:
            return bytes(pkt[i + 1 : i + 1 + length]).decode(errors="replace")
        i += 1 + length
    return None
