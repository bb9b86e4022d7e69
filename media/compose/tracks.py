"""Reading a recorded track into arrays: arrival times, extended RTP timestamps and sequence
numbers, epochs, and the sender reports placed on the same extended timestamps.

The file is memory-mapped and its payloads stay where they are (``Payloads`` holds offsets),
so a long track costs little more memory than its arrays. An *epoch* is a run of packets
whose timestamps belong to one RTP clock: a new one starts when the SSRC changes or the
timestamps jump away from the arrival times (a sender restarted). Each epoch is mapped to the
session clock on its own (``clockmap.py``).
"""

from __future__ import annotations

import itertools
import mmap
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from media.recording.format import (
    RECORD,
    CorruptTrack,
    RtpRecord,
    SenderReportRecord,
    TrackHeader,
    iter_records,
    read_header,
)

from .errors import ComposeError
from .rtp import Buffer, parse_rtp
from .unwrap import unwrap, unwrap_near

EPOCH_JUMP_SECONDS = 5.0
"""Consecutive packets whose RTP times and arrival times disagree by more than this start a
new epoch."""


@dataclass(frozen=True, slots=True)
class SenderReport:
    arrival: float
    ntp_seconds: float
    """The publisher's wall clock, seconds since 1900."""
    ext_timestamp: int
    epoch: int


class Payloads:
    """The RTP payloads of a track, in arrival order, read from its (mapped) file on demand."""

    __slots__ = ("buffer", "ends", "starts")

    def __init__(self, buffer: Buffer, starts: npt.NDArray[np.int64],
                 ends: npt.NDArray[np.int64]) -> None:
        self.buffer = buffer
        self.starts = starts
        self.ends = ends

    def __len__(self) -> int:
        return int(self.starts.size)

    def __getitem__(self, index: int) -> bytes:
        return bytes(self.buffer[int(self.starts[index]) : int(self.ends[index])])


@dataclass(slots=True)
class LoadedTrack:
    path: Path
    header: TrackHeader
    arrival: npt.NDArray[np.float64]
    ext_timestamp: npt.NDArray[np.int64]
    ext_sequence: npt.NDArray[np.int64]
    epoch: npt.NDArray[np.int32]
    marker: npt.NDArray[np.bool_]
    reports: list[SenderReport] = field(default_factory=list)
    payloads: Payloads | None = None
    """When asked for."""
    malformed: int = 0
    """Packets whose header claimed more than the packet held, dropped."""
    truncated_bytes: int = 0
    """The partial last record a killed writer left, ignored."""

    @property
    def packets(self) -> int:
        return int(self.arrival.size)

    @property
    def epochs(self) -> int:
        return int(self.epoch[-1]) + 1 if self.epoch.size else 0

    @property
    def label(self) -> str:
        """How messages name the track: whose it is and which one."""
        return describe(self.header, self.path)


def describe(header: TrackHeader, path: Path) -> str:
    who = header.display_name or header.participant_id
    return f"the {header.source} track of {who} ({path.name})"


def _corrupt(path: Path, problem: str, header: TrackHeader | None = None) -> ComposeError:
    who = f" ({header.source} of {header.display_name or header.participant_id})" if (
        header is not None) else ""
    return ComposeError(
        f"The track file {path}{who} is damaged: {problem}. The raw recording is kept as it "
        "was; move this file out of the tracks folder to compose the rest, or restore it "
        "from a backup.",
        "read",
    )


def _map(path: Path) -> Buffer:
    with open(path, "rb") as fh:
        size = fh.seek(0, 2)
        return mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) if size else b""


def load_track(path: Path, *, keep_payloads: bool) -> LoadedTrack:
    """Read and index one track file (only ever reading it). Raises ``ComposeError`` for a
    damaged file; the tail a killed writer leaves is normal and ignored."""
    try:
        buffer = _map(path)
    except OSError as exc:
        raise ComposeError(f"Could not read the track file {path}: {exc.strerror}.",
                           "read") from exc
    header: TrackHeader | None = None
    try:
        header, first = read_header(bytes(buffer[:70_000]), path)
        entries: list[tuple[float, int, int]] = []
        reports: list[SenderReportRecord] = []
        end = first
        for at, record in iter_records(memoryview(buffer), first, path):
            if isinstance(record, RtpRecord):
                entries.append((record.arrival, at + RECORD.size, len(record.packet)))
                end = at + RECORD.size + len(record.packet)
            else:
                reports.append(record)
                end = at + RECORD.size + 12
    except CorruptTrack as exc:
        raise _corrupt(path, str(exc).removeprefix(f"{path}: "), header) from exc
    return _index(path, header, buffer, entries, reports, keep_payloads=keep_payloads,
                  truncated_bytes=len(buffer) - end)


def index_packets(
    path: Path,
    header: TrackHeader,
    records: list[RtpRecord],
    reports: list[SenderReportRecord],
    *,
    keep_payloads: bool,
) -> LoadedTrack:
    """Index packets already in memory (one buffer is made of them)."""
    buffer = b"".join(r.packet for r in records)
    offsets = [0, *itertools.accumulate(len(r.packet) for r in records)]
    entries = [(r.arrival, offsets[n], len(r.packet)) for n, r in enumerate(records)]
    return _index(path, header, buffer, entries, reports, keep_payloads=keep_payloads)


def _index(
    path: Path,
    header: TrackHeader,
    buffer: Buffer,
    entries: list[tuple[float, int, int]],
    reports: list[SenderReportRecord],
    *,
    keep_payloads: bool,
    truncated_bytes: int = 0,
) -> LoadedTrack:
    if header.clock_rate <= 0:
        raise _corrupt(path, f"its header gives a clock rate of {header.clock_rate}", header)
    count = len(entries)
    arrival = np.empty(count, dtype=np.float64)
    timestamp = np.empty(count, dtype=np.int64)
    sequence = np.empty(count, dtype=np.int64)
    ssrc = np.empty(count, dtype=np.int64)
    marker = np.empty(count, dtype=np.bool_)
    starts = np.empty(count, dtype=np.int64)
    ends = np.empty(count, dtype=np.int64)
    n = 0
    for when, offset, length in entries:
        fields = parse_rtp(buffer, offset, length)
        if fields is None:
            continue
        arrival[n] = when
        timestamp[n] = fields.timestamp
        sequence[n] = fields.sequence
        ssrc[n] = fields.ssrc
        marker[n] = fields.marker
        starts[n] = fields.payload_start
        ends[n] = fields.payload_end
        n += 1
    epoch, ext_ts, ext_seq = _epochs(arrival[:n], timestamp[:n], sequence[:n], ssrc[:n],
                                     header.clock_rate)
    track = LoadedTrack(
        path, header, arrival[:n], ext_ts, ext_seq, epoch, marker[:n],
        payloads=Payloads(buffer, starts[:n], ends[:n]) if keep_payloads else None,
        malformed=count - n, truncated_bytes=truncated_bytes,
    )
    track.reports = _place_reports(track, reports)
    return track


def _epochs(
    arrival: npt.NDArray[np.float64],
    timestamp: npt.NDArray[np.int64],
    sequence: npt.NDArray[np.int64],
    ssrc: npt.NDArray[np.int64],
    clock_rate: int,
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    epoch = np.zeros(arrival.size, dtype=np.int32)
    ext_ts = np.empty(arrival.size, dtype=np.int64)
    ext_seq = np.empty(arrival.size, dtype=np.int64)
    if arrival.size == 0:
        return epoch, ext_ts, ext_seq
    # Split where the SSRC changes, then unwrap each run and split again where the RTP time
    # leaps away from the arrival time.
    bounds = [0, *(np.flatnonzero(np.diff(ssrc) != 0) + 1).tolist(), arrival.size]
    number = 0
    for begin, end in itertools.pairwise(bounds):
        ts = unwrap(timestamp[begin:end], 32)
        seq = unwrap(sequence[begin:end], 16)
        drift = np.diff(ts) / clock_rate - np.diff(arrival[begin:end])
        cuts = [0, *(np.flatnonzero(np.abs(drift) > EPOCH_JUMP_SECONDS) + 1).tolist(),
                end - begin]
        for a, b in itertools.pairwise(cuts):
            epoch[begin + a : begin + b] = number
            number += 1
        ext_ts[begin:end] = ts
        ext_seq[begin:end] = seq
    return epoch, ext_ts, ext_seq


def _place_reports(track: LoadedTrack,
                   reports: list[SenderReportRecord]) -> list[SenderReport]:
    """Each sender report on the extended timestamps of the epoch it arrived in: unwrapped
    next to the packet that arrived nearest to it."""
    placed: list[SenderReport] = []
    if track.arrival.size == 0:
        return placed
    order = np.argsort(track.arrival, kind="stable")
    arrivals = track.arrival[order]
    for report in reports:
        if report.ntp == 0:
            continue
        at = min(int(np.searchsorted(arrivals, report.arrival)), arrivals.size - 1)
        index = int(order[at])
        reference = int(track.ext_timestamp[index])
        placed.append(SenderReport(report.arrival, report.ntp_seconds,
                                   unwrap_near(report.rtp_timestamp, reference, 32),
                                   int(track.epoch[index])))
    return placed
