"""SDP as the SFU needs it: client offers checked and narrowed before aiortc sees them, and
the SFU's own offers renumbered to the client's payload types and extension ids.

A client offer is refused (NegotiationError, with a message for humans) when it does not
parse, lacks ICE or DTLS parameters or rtcp-mux, carries data channels, does not BUNDLE, or
has an audio or video section without a codec the SFU forwards. Each section is narrowed to
one codec (Opus; VP8 or H.264, in the client's order of preference) and its RTX, so that the
publisher sends exactly what subscribers are offered.

BUNDLE puts every m-line of a connection in one payload-type and extension-id space, and
browsers refuse an offer where one number means two things. aiortc's offers always use its
own numbers; ``PayloadTable.rewrite_offer`` moves them to the ones the client chose.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from aiortc import RTCRtpCodecParameters
from aiortc import sdp as aiortc_sdp

from . import codecs
from .errors import NegotiationError

CodecKey = tuple[str, int, int, str]
"""(mime type, clock rate, channels, distinguishing fmtp) identifies a codec across m-lines."""

_DYNAMIC_PAYLOAD_TYPES = [*range(96, 128), *range(35, 64)]
_SETUP = re.compile(r"a=setup:(actpass|active|passive|holdconn)")


def codec_key(
    codec: RTCRtpCodecParameters, by_pt: Mapping[int, RTCRtpCodecParameters]
) -> CodecKey:
    mime = codec.mimeType.lower()
    fmtp = ""
    if mime == "video/h264":
        params = codec.parameters
        fmtp = (
            f"{params.get('packetization-mode', '0')}/"
            f"{str(params.get('profile-level-id', '42e01f')).lower()}"
        )
    elif mime.endswith("/rtx"):
        base = by_pt.get(int(str(codec.parameters.get("apt", -1))))
        fmtp = "|".join(map(str, codec_key(base, by_pt))) if base is not None else "?"
    return (mime, codec.clockRate, codec.channels or 0, fmtp)


def is_rtx(codec: RTCRtpCodecParameters) -> bool:
    return codec.mimeType.lower().endswith("/rtx")


@dataclass(frozen=True, slots=True)
class OfferedMedia:
    """One audio or video section of a client offer."""

    mid: str
    kind: str
    direction: str
    rejected: bool
    """Port 0: the client removed it."""
    stream_id: str
    track_id: str
    ssrc: int | None
    rtx_ssrc: int | None
    codec: CodecKey | None
    """The codec kept for it (None when rejected)."""

    @property
    def sends(self) -> bool:
        return not self.rejected and self.direction in ("sendonly", "sendrecv")


@dataclass(frozen=True, slots=True)
class ClientOffer:
    sdp: str
    """The narrowed offer, for aiortc."""
    media: tuple[OfferedMedia, ...]
    ice_ufrag: str
    """A new one on a later offer means an ICE restart."""
    description: aiortc_sdp.SessionDescription
    """The offer as the client sent it (for PayloadTable.learn)."""


def _parse(sdp: str, what: str) -> aiortc_sdp.SessionDescription:
    if not isinstance(sdp, str) or "m=" not in sdp or not sdp.lstrip().startswith("v="):
        raise NegotiationError(f"the {what} is not SDP")
    try:
        return aiortc_sdp.SessionDescription.parse(sdp)
    except Exception as exc:  # aiortc's parser raises whatever the input provokes
        reason = f"{type(exc).__name__}: {exc}"
        raise NegotiationError(f"the {what} is not valid SDP ({reason})") from exc


def _check_transport(media: aiortc_sdp.MediaDescription, what: str) -> None:
    mid = media.rtp.muxId or "?"
    if not media.ice or not media.ice.usernameFragment or not media.ice.password:
        raise NegotiationError(f"the {what} lacks ICE credentials for section {mid}")
    if media.dtls is None or not media.dtls.fingerprints:
        raise NegotiationError(f"the {what} lacks a DTLS fingerprint for section {mid}")
    if not media.rtcp_mux:
        raise NegotiationError(f"the {what} does not multiplex RTCP (rtcp-mux) in section {mid}")


def parse_offer(sdp: str, keep: Mapping[str, CodecKey] | None = None) -> ClientOffer:
    """Check a client offer and narrow it; ``keep``: the codec each known mid already uses."""
    description = _parse(sdp, "offer")
    narrowed = _parse(sdp, "offer")
    keep = keep or {}
    if not any(m.kind in ("audio", "video") for m in description.media):
        raise NegotiationError("the offer has no audio or video section")
    bundle = next((g for g in description.group if g.semantic == "BUNDLE"), None)
    bundled = set(bundle.items) if bundle else set()
    offered: list[OfferedMedia] = []
    for media in narrowed.media:
        if media.kind not in ("audio", "video"):
            raise NegotiationError(
                f"the offer has a {media.kind} section; the SFU carries only audio and video"
            )
        mid = media.rtp.muxId
        if not mid:
            raise NegotiationError("every section of the offer needs a mid")
        if len(description.media) > 1 and mid not in bundled and media.port != 0:
            raise NegotiationError(f"the offer must BUNDLE all its sections (mid {mid} is not)")
        _check_transport(media, "offer")
        rejected = media.port == 0
        chosen = None if rejected else _narrow(media, keep.get(mid))
        stream_id, track_id = _msid(media)
        ssrc, rtx_ssrc = _ssrcs(media)
        offered.append(
            OfferedMedia(
                mid=mid,
                kind=media.kind,
                direction=media.direction or "sendrecv",
                rejected=rejected,
                stream_id=stream_id,
                track_id=track_id or f"mid-{mid}",
                ssrc=ssrc,
                rtx_ssrc=rtx_ssrc,
                codec=chosen,
            )
        )
    ufrags = {m.ice.usernameFragment for m in narrowed.media if m.ice and m.port != 0}
    if len(ufrags) > 1:
        raise NegotiationError("the offer's bundled sections disagree on their ICE credentials")
    ufrag = next(iter(ufrags), None) or ""
    return ClientOffer(
        sdp=str(narrowed), media=tuple(offered), ice_ufrag=ufrag, description=description
    )


def _narrow(media: aiortc_sdp.MediaDescription, keep: CodecKey | None) -> CodecKey:
    """Leave one usable codec (and its RTX) in the section; raise if there is none."""
    by_pt = {c.payloadType: c for c in media.rtp.codecs if c.payloadType is not None}
    usable = [
        c for c in media.rtp.codecs
        if not is_rtx(c) and codecs.is_usable(c.mimeType, c.clockRate, c.parameters)
    ]
    if not usable:
        names = sorted({c.mimeType.split("/")[-1] for c in media.rtp.codecs}) or ["nothing"]
        raise NegotiationError(
            f"no usable codec in the {media.kind} section (mid {media.rtp.muxId}): offered "
            f"{', '.join(names)}; the SFU forwards Opus, VP8 and H.264 "
            "(packetization-mode=1, baseline profiles)"
        )
    chosen = next((c for c in usable if codec_key(c, by_pt) == keep), usable[0])
    rtx = [
        c for c in media.rtp.codecs
        if is_rtx(c) and str(c.parameters.get("apt")) == str(chosen.payloadType)
    ]
    kept = [chosen, *rtx[:1]]
    media.rtp.codecs = kept
    media.fmt = [c.payloadType for c in kept]
    return codec_key(chosen, by_pt)


def _msid(media: aiortc_sdp.MediaDescription) -> tuple[str, str | None]:
    msid = media.msid or next((s.msid for s in media.ssrc if s.msid), None)
    if msid:
        bits = msid.split()
        if len(bits) >= 2:
            return bits[0], bits[1]
        return bits[0], None
    return "-", None


def _ssrcs(media: aiortc_sdp.MediaDescription) -> tuple[int | None, int | None]:
    for group in media.ssrc_group:
        if group.semantic == "FID" and len(group.items) >= 2:
            return int(group.items[0]), int(group.items[1])
    if media.ssrc:
        return media.ssrc[0].ssrc, None
    return None, None


def check_answer(sdp: str) -> None:
    """Raise NegotiationError if an answer from the client cannot be used at all."""
    description = _parse(sdp, "answer")
    for media in description.media:
        if media.port != 0:
            _check_transport(media, "answer")


def pin_setup(sdp: str, setup: str) -> str:
    """Every a=setup line set to ``setup``. The DTLS roles are settled by the first exchange;
    a later description must not flip them (aiortc would, on one stray m-line)."""
    return _SETUP.sub(f"a=setup:{setup}", sdp)


def setup_of(sdp: str) -> str | None:
    found = _SETUP.search(sdp)
    return found.group(1) if found else None


def cname_of(sdp: str) -> str | None:
    """The CNAME aiortc put on the SSRCs of a local description."""
    try:
        description = aiortc_sdp.SessionDescription.parse(sdp)
    except Exception:
        return None
    for media in description.media:
        for ssrc in media.ssrc:
            if ssrc.cname:
                return str(ssrc.cname)
    return None


class PayloadTable:
    """One connection's payload types and header-extension ids, learned from the client."""

    def __init__(self) -> None:
        self._codecs: dict[CodecKey, int] = {}
        self._extensions: dict[str, int] = {}

    def learn(self, description: aiortc_sdp.SessionDescription) -> None:
        used = set(self._codecs.values())
        used_ids = set(self._extensions.values())
        for media in description.media:
            by_pt = {c.payloadType: c for c in media.rtp.codecs if c.payloadType is not None}
            for codec in media.rtp.codecs:
                key = codec_key(codec, by_pt)
                pt = codec.payloadType
                if pt is not None and key not in self._codecs and pt not in used:
                    self._codecs[key] = pt
                    used.add(pt)
            for extension in media.rtp.headerExtensions:
                if extension.uri not in self._extensions and extension.id not in used_ids:
                    self._extensions[extension.uri] = extension.id
                    used_ids.add(extension.id)

    def extension_ids(self) -> dict[str, int]:
        return dict(self._extensions)

    def _payload_type(self, key: CodecKey) -> int:
        if key not in self._codecs:
            used = set(self._codecs.values())
            free = next((pt for pt in _DYNAMIC_PAYLOAD_TYPES if pt not in used), None)
            if free is None:
                raise NegotiationError("no payload type left in this connection")
            self._codecs[key] = free
        return self._codecs[key]

    def _extension_id(self, uri: str) -> int:
        if uri not in self._extensions:
            used = set(self._extensions.values())
            free = next((i for i in range(1, 15) if i not in used), None)
            if free is None:
                raise NegotiationError("no header extension id left in this connection")
            self._extensions[uri] = free
        return self._extensions[uri]

    def rewrite_offer(self, sdp: str) -> str:
        """aiortc's offer, with this connection's numbers."""
        description = aiortc_sdp.SessionDescription.parse(sdp)
        for media in description.media:
            if media.kind not in ("audio", "video"):
                continue
            by_pt = {c.payloadType: c for c in media.rtp.codecs if c.payloadType is not None}
            keys = {id(c): codec_key(c, by_pt) for c in media.rtp.codecs}
            renumbered = {c.payloadType: self._payload_type(keys[id(c)]) for c in media.rtp.codecs}
            for codec in media.rtp.codecs:
                codec.payloadType = renumbered[codec.payloadType]
                if is_rtx(codec):
                    apt = int(str(codec.parameters.get("apt", -1)))
                    if apt in renumbered:
                        codec.parameters["apt"] = renumbered[apt]
            media.fmt = [c.payloadType for c in media.rtp.codecs]
            for extension in media.rtp.headerExtensions:
                extension.id = self._extension_id(extension.uri)
        return str(description)
