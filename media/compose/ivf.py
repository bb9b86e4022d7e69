"""Writing encoded video frames to an IVF file, which FFmpeg's ivf demuxer reads for VP8
(fourcc ``VP80``) and H.264 (``H264``, Annex B) alike, with 64-bit presentation times."""

from __future__ import annotations

import struct
from pathlib import Path
from types import TracebackType

_FILE_HEADER = struct.Struct("<4sHH4sHHIIII")
_FRAME_HEADER = struct.Struct("<Iq")
TIMEBASE = 90_000
"""Ticks per second of the pts written (the RTP video clock)."""


class IvfWriter:
    def __init__(self, path: Path, fourcc: bytes, width: int, height: int) -> None:
        self.path = path
        self.frames = 0
        self._header = (fourcc, width, height)
        self._file = open(path, "wb")  # noqa: SIM115 - closed in close()
        self._file.write(self._pack_header())

    def _pack_header(self) -> bytes:
        fourcc, width, height = self._header
        return _FILE_HEADER.pack(
            b"DKIF", 0, 32, fourcc, width, height, TIMEBASE, 1, self.frames, 0
        )

    def write(self, pts: int, frame: bytes) -> None:
        self._file.write(_FRAME_HEADER.pack(len(frame), pts))
        self._file.write(frame)
        self.frames += 1

    def close(self) -> None:
        if self._file.closed:
            return
        try:
            self._file.seek(0)
            self._file.write(self._pack_header())
        finally:
            self._file.close()

    def __enter__(self) -> IvfWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()
