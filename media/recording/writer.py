"""Appending a track's packets to its file without blocking the SFU.

``on_rtp`` runs on the forwarder's hot path for every packet: it only appends to a buffer.
``flush`` (the room's recording timer, at least once a second) hands the buffer to the kernel
with one ``os.write`` on an ``O_APPEND`` descriptor; a process killed after that loses nothing
that was flushed. ``fsync`` (to survive a machine crash, not just a process crash) is left to
``sync``, which the recorder calls off the event loop.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

from .format import (
    MAX_BODY,
    RECORD,
    RECORD_RTP,
    TrackHeader,
    encode_header,
    encode_sender_report,
)


class TrackWriter:
    __slots__ = ("_buffer", "_fd", "_wall_offset", "bytes_written", "closed", "error", "header",
                 "packets", "path")

    def __init__(self, path: Path, header: TrackHeader) -> None:
        self.path = path
        self.header = header
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_EXCL, 0o640)
        self._buffer = bytearray(encode_header(header))
        self._wall_offset = time.time() - time.monotonic()
        """Added to ``time.monotonic()`` arrivals: the forwarder reads the monotonic clock
        once per packet, and the file keeps wall-clock times."""
        self.packets = 0
        self.bytes_written = 0
        self.closed = False
        self.error: OSError | None = None

    def on_rtp(self, pkt: memoryview, n: int, arrival: float) -> None:
        """One packet as forwarded; ``arrival`` is ``time.monotonic()`` at reception."""
        if self.closed or n > MAX_BODY:
            return
        buffer = self._buffer
        buffer += RECORD.pack(RECORD_RTP, n, arrival + self._wall_offset)
        buffer += pkt[:n]
        self.packets += 1

    def on_sender_report(self, ntp: int, rtp_timestamp: int, arrival: float) -> None:
        if not self.closed:
            self._buffer += encode_sender_report(arrival + self._wall_offset, ntp, rtp_timestamp)

    @property
    def pending(self) -> int:
        return len(self._buffer)

    def flush(self) -> None:
        """Append what is buffered. On a write error (disk full) the writer stops and keeps
        the error; the file stays readable up to the last whole record written."""
        if self.closed or not self._buffer:
            return
        data = memoryview(self._buffer)
        try:
            while data:
                written = os.write(self._fd, data)
                data = data[written:]
                self.bytes_written += written
        except OSError as exc:
            self.error = exc
            self._close_fd()
            return
        finally:
            data.release()
        self._buffer.clear()

    def sync(self) -> None:
        """fsync: blocking, call it from a thread."""
        if not self.closed:
            try:
                os.fsync(self._fd)
            except OSError as exc:
                self.error = exc

    def close(self) -> None:
        if self.closed:
            return
        self.flush()
        if not self.closed:
            self.sync()
            self._close_fd()

    def _close_fd(self) -> None:
        self.closed = True
        self._buffer.clear()
        with contextlib.suppress(OSError):
            os.close(self._fd)
