"""The raw recording on disk: one append-only file per track, an event log, a manifest.

A recording is a directory::

    manifest.json          what was recorded (rewritten at start and at stop)
    events.jsonl           joins, leaves, mutes, publications, speaker changes, one JSON per line
    tracks/<track_id>.rtp  one file per published track

A track file starts with ``MAGIC`` and one line of JSON (``TrackHeader``), then records::

    u8 type | u16 body length | f64 arrival (Unix seconds, the SFU's wall clock) | body

``RECORD_RTP``: the body is one decrypted RTP packet exactly as the SFU forwarded it.
``RECORD_SENDER_REPORT``: the body is the publisher's NTP time (u64) and RTP time (u32) of an
RTCP sender report, so that a participant's audio and video land on one clock.

Nothing is ever rewritten in place, so a process killed mid-write leaves a file whose only damage
is a partial last record; ``read_track`` stops there. The writer appends whole buffers at least
once a second (``TrackWriter.flush``), which is what a kill -9 can lose.
"""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

MAGIC = b"ROUNDS-RTP/1\n"
RECORD = struct.Struct("!BHd")
RECORD_RTP = 1
RECORD_SENDER_REPORT = 2
SENDER_REPORT = struct.Struct("!QI")
MAX_BODY = 0xFFFF
MAX_HEADER_LINE = 64 * 1024

MANIFEST = "manifest.json"
EVENTS = "events.jsonl"
TRACKS = "tracks"


class CorruptTrack(ValueError):
    """The file is not a track recording, or holds a record no writer could have written."""


@dataclass(frozen=True, slots=True)
class TrackHeader:
    track_id: str
    participant_id: str
    kind: Literal["audio", "video"]
    source: Literal["microphone", "camera", "screen"]
    mime_type: str
    """As negotiated: ``audio/opus``, ``video/VP8``, ``video/H264``."""
    clock_rate: int
    payload_type: int
    channels: int = 1
    started_at: float = 0.0
    """Unix seconds when the recorder attached to the track."""
    display_name: str = ""
    user_id: int | str | None = None

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), separators=(",", ":")).encode() + b"\n"

    @classmethod
    def from_json(cls, line: bytes) -> TrackHeader:
        data = json.loads(line)
        if not isinstance(data, dict):
            raise ValueError("the header is not an object")
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True, slots=True)
class RtpRecord:
    arrival: float
    packet: bytes


@dataclass(frozen=True, slots=True)
class SenderReportRecord:
    arrival: float
    ntp: int
    """64-bit NTP timestamp (seconds since 1900 in the upper 32 bits)."""
    rtp_timestamp: int

    @property
    def ntp_seconds(self) -> float:
        return (self.ntp >> 32) + (self.ntp & 0xFFFFFFFF) / 2**32


Record = RtpRecord | SenderReportRecord


@dataclass(slots=True)
class TrackFile:
    """What ``read_track`` found: the header, the records, and whether the tail was cut."""

    path: Path
    header: TrackHeader
    packets: list[RtpRecord] = field(default_factory=list)
    sender_reports: list[SenderReportRecord] = field(default_factory=list)
    truncated_bytes: int = 0
    """Bytes of a partial last record (a writer killed mid-append), ignored."""


def encode_header(header: TrackHeader) -> bytes:
    return MAGIC + header.to_json()


def encode_rtp(arrival: float, packet: bytes | memoryview) -> bytes:
    n = len(packet)
    if n > MAX_BODY:
        raise ValueError("an RTP packet over 64 KiB")
    return RECORD.pack(RECORD_RTP, n, arrival) + bytes(packet)


def encode_sender_report(arrival: float, ntp: int, rtp_timestamp: int) -> bytes:
    return RECORD.pack(RECORD_SENDER_REPORT, SENDER_REPORT.size, arrival) + SENDER_REPORT.pack(
        ntp & 0xFFFFFFFFFFFFFFFF, rtp_timestamp & 0xFFFFFFFF
    )


def read_header(data: bytes | memoryview, path: Path | str = "") -> tuple[TrackHeader, int]:
    """The header and the offset of the first record."""
    if bytes(data[: len(MAGIC)]) != MAGIC:
        if len(data) < len(MAGIC) and MAGIC.startswith(bytes(data)):
            raise CorruptTrack(f"{path}: the file ends inside its header ({len(data)} bytes)")
        raise CorruptTrack(f"{path}: not a Rounds track recording (bad magic)")
    end = bytes(data[: len(MAGIC) + MAX_HEADER_LINE]).find(b"\n", len(MAGIC))
    if end < 0:
        raise CorruptTrack(f"{path}: the file ends inside its header")
    try:
        header = TrackHeader.from_json(bytes(data[len(MAGIC) : end]))
    except (ValueError, TypeError) as exc:
        raise CorruptTrack(f"{path}: unreadable track header ({exc})") from exc
    return header, end + 1


def iter_records(
    data: bytes | memoryview, offset: int, path: Path | str = ""
) -> Iterator[tuple[int, Record]]:
    """Records from ``offset`` on, with their offsets; stops quietly at a partial last record,
    raises ``CorruptTrack`` at a record no writer writes (garbage in the middle)."""
    view = memoryview(data)
    size = len(view)
    while offset + RECORD.size <= size:
        kind, length, arrival = RECORD.unpack_from(view, offset)
        body_start = offset + RECORD.size
        if kind == RECORD_RTP:
            if length < 12:
                raise CorruptTrack(f"{path}: an RTP record of {length} bytes at byte {offset}")
        elif kind == RECORD_SENDER_REPORT:
            if length != SENDER_REPORT.size:
                raise CorruptTrack(f"{path}: a bad sender report record at byte {offset}")
        else:
            raise CorruptTrack(f"{path}: unknown record type {kind} at byte {offset}")
        if not (arrival == arrival) or arrival <= 0:  # NaN or before 1970
            raise CorruptTrack(f"{path}: a record with an impossible time at byte {offset}")
        if body_start + length > size:
            return  # partial last record
        body = view[body_start : body_start + length]
        if kind == RECORD_RTP:
            if body[0] >> 6 != 2:
                raise CorruptTrack(f"{path}: not an RTP version 2 packet at byte {offset}")
            yield offset, RtpRecord(arrival, bytes(body))
        else:
            ntp, rtp_timestamp = SENDER_REPORT.unpack_from(body)
            yield offset, SenderReportRecord(arrival, ntp, rtp_timestamp)
        offset = body_start + length


def read_track(path: Path) -> TrackFile:
    data = path.read_bytes()
    header, first = read_header(data, path)
    track = TrackFile(path, header)
    end = first
    for at, record in iter_records(data, first, path):
        if isinstance(record, RtpRecord):
            track.packets.append(record)
            end = at + RECORD.size + len(record.packet)
        else:
            track.sender_reports.append(record)
            end = at + RECORD.size + SENDER_REPORT.size
    track.truncated_bytes = len(data) - end
    return track


def read_events(directory: Path) -> list[dict[str, Any]]:
    """The event log; a partial last line (a writer killed mid-append) is ignored."""
    path = directory / EVENTS
    if not path.exists():
        return []
    out: list[dict[str, Any]] = []
    for line in path.read_bytes().split(b"\n"):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if isinstance(item, dict) and isinstance(item.get("t"), int | float):
            out.append(item)
    return out


def read_manifest(directory: Path) -> dict[str, Any]:
    path = directory / MANIFEST
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except ValueError as exc:
        raise CorruptTrack(f"{path}: unreadable manifest ({exc})") from exc
    return data if isinstance(data, dict) else {}


def write_json_atomically(path: Path, data: dict[str, Any]) -> None:
    """Write to a temporary file and rename, so a reader never sees half a manifest."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w") as fh:
        json.dump(data, fh, indent=2, sort_keys=True)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def track_paths(directory: Path) -> list[Path]:
    return sorted((directory / TRACKS).glob("*.rtp"))
