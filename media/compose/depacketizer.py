"""Turning a video track's RTP payloads back into encoded frames: the contract and the lookup.

One module per codec (``vp8.py``, ``h264.py``); ``depacketizer_for`` picks one by MIME type.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class Depacketizer(Protocol):
    fourcc: bytes
    """The IVF fourcc FFmpeg's ivf demuxer maps to this codec."""

    def starts_frame(self, payload: bytes) -> bool:
        """Whether this payload can be the first of a frame (the beginning of one)."""
        ...

    def join(self, payloads: Sequence[bytes]) -> bytes | None:
        """One frame's bytes from its payloads in sequence order; ``None`` if malformed."""
        ...

    def keyframe(self, frame: bytes) -> tuple[bool, tuple[int, int] | None]:
        """Whether the frame decodes on its own, and the picture size it sets if it says."""
        ...


def depacketizer_for(mime_type: str) -> Depacketizer | None:
    """The depacketizer for ``video/VP8`` or ``video/H264``; ``None`` for other codecs."""
    name = mime_type.lower()
    if name == "video/vp8":
        from .vp8 import Vp8Depacketizer

        return Vp8Depacketizer()
    if name == "video/h264":
        from .h264 import H264Depacketizer

        return H264Depacketizer()
    return None
