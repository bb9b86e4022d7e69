"""Appending a recording's files without blocking the SFU.

``TrackWriter.on_rtp`` runs on the forwarder's hot path for every packet: it only appends to a
buffer. ``flush`` (the recording's timer, every half second) hands the buffer to the kernel
with one ``os.write`` on an ``O_APPEND`` descriptor; a process killed after that loses nothing
that was flushed. ``sync`` (fsync, to survive a machine crash, not just a process crash) and
``close`` block: the recorder calls them from a thread, never on the event loop. A lock keeps a
``sync`` in one thread from running on a descriptor another thread has just closed.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .format import (
    MAX_BODY,
    RECORD,
    RECORD_RTP,
    TrackHeader,
    encode_header,
    encode_sender_report,
)

KeyframeTest = Callable[[memoryview | bytes, int, int], bool]
"""(packet, payload offset, packet length) -> whether the packet starts a keyframe."""


class AppendOnlyFile:
    """A new file (never an existing one) that only grows, by whole buffered records."""

    __slots__ = ("_buffer", "_fd", "_lock", "bytes_written", "closed", "error", "path")

    def __init__(self, path: Path, first: bytes = b"") -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_EXCL, 0o640)
        self._buffer = bytearray(first)
        self._lock = threading.Lock()
        self.bytes_written = 0
        self.closed = False
        self.error: OSError | None = None

    def fileno(self) -> int:
        return self._fd

    @property
    def pending(self) -> int:
        """Bytes buffered, not yet handed to the kernel."""
        return len(self._buffer)

    def flush(self) -> bool:
        """Append what is buffered; False once writing has failed. On a write error (disk
        full) the file is closed and the error kept: the file stays readable up to its last
        whole record (a partial one at the end is what ``read_track`` ignores)."""
        if self.closed:
            return self.error is None
        if not self._buffer:
            return True
        data = memoryview(self._buffer)
        try:
            while data:
                written = os.write(self._fd, data)
                data = data[written:]
                self.bytes_written += written
        except OSError as exc:
            self.error = exc
            data.release()
            self._close_fd()
            return False
        data.release()
        self._buffer.clear()
        return True

    def sync(self) -> None:
        """fsync what was flushed: blocking, call it from a thread."""
        with self._lock:
            if self.closed:
                return
            try:
                os.fsync(self._fd)
            except OSError as exc:
                self.error = exc

    def close(self) -> None:
        """Flush, fsync and close: blocking, call it from a thread once nothing appends."""
        if self.closed:
            return
        if self.flush():
            self.sync()
            self._close_fd()

    def _close_fd(self) -> None:
        with self._lock:
            if self.closed:
                return
            self.closed = True
            self._buffer.clear()
            try:
                os.close(self._fd)
            except OSError as exc:
                self.error = self.error or exc


class TrackWriter(AppendOnlyFile):
    """One published track's file: its header, then its packets and sender reports.

    It is the forwarder's tap (``media.sfu.forwarder.PacketTap``). For video it can watch for
    the first keyframe (``keyframe_test``), so that the recorder knows whether to ask again."""

    __slots__ = (
        "_wall_offset",
        "first_arrival",
        "header",
        "keyframe_test",
        "keyframes_awaited",
        "last_arrival",
        "packets",
        "sender_reports",
        "waiting_keyframe",
    )

    def __init__(
        self,
        path: Path,
        header: TrackHeader,
        *,
        wall_offset: float | None = None,
        keyframe_test: KeyframeTest | None = None,
    ) -> None:
        super().__init__(path, encode_header(header))
        if not self.flush():  # the header goes out at once: no track file without one
            assert self.error is not None
            raise self.error
        self.header = header
        self._wall_offset = time.time() - time.monotonic() if wall_offset is None else wall_offset
        """Added to ``time.monotonic()`` arrivals: the forwarder reads the monotonic clock once
        per packet, and the file keeps Unix times. One offset per recording puts every track
        and the event log on one clock."""
        self.keyframe_test = keyframe_test
        self.waiting_keyframe = keyframe_test is not None
        self.keyframes_awaited = 0
        """How many times the writer waited for a keyframe and saw one arrive."""
        self.packets = 0
        self.sender_reports = 0
        self.first_arrival = 0.0
        self.last_arrival = 0.0
        """Monotonic seconds of the latest packet (0 before the first)."""

    def on_rtp(self, pkt: memoryview, n: int, arrival: float) -> None:
        """One packet as forwarded; ``arrival`` is ``time.monotonic()`` at reception."""
        if self.closed or n > MAX_BODY or n < 12:
            return
        if self.waiting_keyframe and self._starts_keyframe(pkt, n):
            self.waiting_keyframe = False
            self.keyframes_awaited += 1
        buffer = self._buffer
        buffer += RECORD.pack(RECORD_RTP, n, arrival + self._wall_offset)
        buffer += pkt[:n]
        if not self.packets:
            self.first_arrival = arrival
        self.packets += 1
        self.last_arrival = arrival

    def on_sender_report(self, ntp: int, rtp_timestamp: int, arrival: float) -> None:
        if not self.closed:
            self._buffer += encode_sender_report(arrival + self._wall_offset, ntp, rtp_timestamp)
            self.sender_reports += 1

    def expect_keyframe(self) -> None:
        """Watch for the next keyframe (after an unmute, say)."""
        if self.keyframe_test is not None:
            self.waiting_keyframe = True

    def _starts_keyframe(self, pkt: memoryview, n: int) -> bool:
        assert self.keyframe_test is not None  # waiting_keyframe implies it
        offset = 12 + ((pkt[0] & 0x0F) << 2)
        if pkt[0] & 0x10:
            if offset + 4 > n:
                return False
            offset += 4 + (((pkt[offset + 2] << 8) | pkt[offset + 3]) << 2)
        padding = pkt[n - 1] if pkt[0] & 0x20 else 0
        return offset < n - padding and self.keyframe_test(pkt, offset, n - padding)


class EventWriter(AppendOnlyFile):
    """``events.jsonl``: one JSON object per line, ``{"t": Unix seconds, "type": ...}``."""

    __slots__ = ()

    def append(self, t: float, type_: str, **fields: Any) -> None:
        if self.closed:
            return
        line = {"t": t, "type": type_, **fields}
        self._buffer += json.dumps(line, separators=(",", ":"), ensure_ascii=False).encode()
        self._buffer += b"\n"
