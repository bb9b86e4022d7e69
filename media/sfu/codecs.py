"""The codecs the SFU forwards (Opus, VP8, H.264) and how to tell a keyframe's first packet
from the RTP payload without decoding anything."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeAlias

from aiortc import RTCRtpCodecCapability, RTCRtpCodecParameters, RTCRtpSender

KeyframeTest: TypeAlias = Callable[[memoryview | bytes, int, int], bool]
"""(packet, payload offset, packet length) -> whether this packet starts a keyframe."""

def is_usable(mime_type: str, clock_rate: int, parameters: Mapping[str, object]) -> bool:
    """Whether the SFU forwards this codec: Opus, VP8, or H.264 in packetization mode 1."""
    mime = mime_type.lower()
    if mime == "audio/opus":
        return clock_rate == 48000
    if mime == "video/vp8":
        return clock_rate == 90000
    if mime == "video/h264":
        mode = str(parameters.get("packetization-mode", "0"))
        profile = str(parameters.get("profile-level-id", "42e01f")).lower()
        # aiortc matches H.264 by profile: it knows constrained baseline and baseline (0x42)
        return clock_rate == 90000 and mode == "1" and profile.startswith("42")
    return False


def vp8_starts_keyframe(pkt: memoryview | bytes, offset: int, length: int) -> bool:
    """RFC 7741: the start of partition 0 of a frame whose P bit is clear."""
    if offset >= length:
        return False
    descriptor = pkt[offset]
    if not descriptor & 0x10 or descriptor & 0x07:  # S bit, partition index 0
        return False
    at = offset + 1
    if descriptor & 0x80:  # X: extension byte follows
        if at >= length:
            return False
        ext = pkt[at]
        at += 1
        if ext & 0x80:  # I: picture id, one or two bytes
            if at >= length:
                return False
            at += 2 if pkt[at] & 0x80 else 1
        if ext & 0x40:  # L: TL0PICIDX
            at += 1
        if ext & 0x30:  # T or K: TID/Y/KEYIDX
            at += 1
    return at < length and not pkt[at] & 0x01


def h264_starts_keyframe(pkt: memoryview | bytes, offset: int, length: int) -> bool:
    """RFC 6184: an IDR slice or SPS, alone, in a STAP-A, or at the start of an FU-A."""
    if offset >= length:
        return False
    nal_type = pkt[offset] & 0x1F
    if nal_type in (5, 7):
        return True
    if nal_type == 24:  # STAP-A: 16-bit sizes then NAL units
        at = offset + 1
        while at + 2 < length:
            size = (pkt[at] << 8) | pkt[at + 1]
            if size == 0:
                return False
            if pkt[at + 2] & 0x1F in (5, 7):
                return True
            at += 2 + size
        return False
    if nal_type == 28 and offset + 1 < length:  # FU-A: start bit and the fragmented type
        header = pkt[offset + 1]
        return bool(header & 0x80) and header & 0x1F in (5, 7)
    return False


def keyframe_test(mime_type: str) -> KeyframeTest | None:
    """The keyframe test for a video codec; None for audio (every packet is a fine start)."""
    mime = mime_type.lower()
    if mime == "video/vp8":
        return vp8_starts_keyframe
    if mime == "video/h264":
        return h264_starts_keyframe
    return None


def has_feedback(codec: RTCRtpCodecParameters, kind: str, parameter: str | None = None) -> bool:
    return any(f.type == kind and f.parameter == parameter for f in codec.rtcpFeedback)


def capabilities_for(codec: RTCRtpCodecParameters) -> list[RTCRtpCodecCapability]:
    """aiortc's capability for a negotiated codec, and RTX for video: the codec preferences
    that make an offer carry just that codec."""
    kind = codec.mimeType.split("/")[0]
    mime = codec.mimeType.lower()
    found = []
    for capability in RTCRtpSender.getCapabilities(kind).codecs:
        if capability.mimeType.lower() != mime or capability.clockRate != codec.clockRate:
            continue
        if mime == "video/h264" and any(
            str(capability.parameters.get(p, "")).lower()
            != str(codec.parameters.get(p, "")).lower()
            for p in ("packetization-mode", "profile-level-id")
        ):
            continue
        found.append(capability)
        break
    if found and kind == "video":
        found += [c for c in RTCRtpSender.getCapabilities(kind).codecs
                  if c.mimeType.lower() == "video/rtx"][:1]
    return found
