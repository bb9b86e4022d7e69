"""Putting every track on one session clock: seconds from the start of the recording.

Each epoch of a track (``tracks.py``) gets a linear map from its extended RTP timestamps:

- on its own, from the SFU's arrival times: the lower envelope of ``arrival - rtp_time``
  (per-window minima, then the lower convex hull's edge over their mean), which ignores
  jitter, since jitter only ever delays a packet, and follows a publisher whose clock runs
  a little fast or slow over an hour;
- better, through the publisher's own wall clock: RTCP sender reports pair RTP time with the
  publisher's NTP time, the same clock for its audio and its video, so mapping NTP time onto
  the arrival clock once per participant (the lower envelope of ``arrival - ntp_time`` over
  all its packets) keeps its audio and video in sync however long each waited in the
  encoder or the pacer.

The sender-report map is used only where it agrees with the epoch's own to within a second;
otherwise (reports from another clock, a publisher that lies) the epoch keeps its own.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import structlog

from .tracks import LoadedTrack

log = structlog.get_logger(__name__)

WINDOW_SECONDS = 2.0
MIN_SPAN_FOR_SLOPE = 30.0
MAX_SLOPE = 1e-3
"""1000 ppm: clocks further apart than this are not drifting, something else is wrong."""
MAX_DISAGREEMENT = 1.0
"""Seconds between the sender-report map and the arrival map beyond which reports are
ignored (encoder and pacer delays are far below this)."""


@dataclass(frozen=True, slots=True)
class Line:
    x0: float
    y0: float
    slope: float

    def __call__(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return self.y0 + self.slope * (x - self.x0)


@dataclass(frozen=True, slots=True)
class ClockMap:
    """``session seconds = base + scale * (ext_timestamp - ref) / rate``."""

    ref: int
    rate: int
    base: float
    scale: float = 1.0
    synced: bool = False
    """Placed through sender reports (on the participant's shared clock)."""

    def seconds(self, ext_timestamp: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        media = (ext_timestamp - self.ref).astype(np.float64) / self.rate
        return self.base + self.scale * media

    def second(self, ext_timestamp: int) -> float:
        return self.base + self.scale * ((ext_timestamp - self.ref) / self.rate)


def lower_envelope(
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    *,
    window: float = WINDOW_SECONDS,
    min_span: float = MIN_SPAN_FOR_SLOPE,
    max_slope: float = MAX_SLOPE,
) -> Line:
    """A line under the points ``(x, y)`` that hugs their lowest values: per-window minima,
    then the lower convex hull's edge over the minima's mean ``x``; flat (their minimum)
    when they span less than ``min_span`` or the edge is steeper than ``max_slope``."""
    if x.size == 0:
        raise ValueError("no points")
    bins = np.floor((x - x.min()) / window).astype(np.int64)
    order = np.lexsort((y, bins))
    ordered_bins = bins[order]
    first = np.flatnonzero(np.r_[True, ordered_bins[1:] != ordered_bins[:-1]])
    px = x[order[first]]
    py = y[order[first]]
    lowest = int(np.argmin(py))
    flat = Line(float(px[lowest]), float(py[lowest]), 0.0)
    if px.size < 3 or float(px.max() - px.min()) < min_span:
        return flat
    hull: list[tuple[float, float]] = []
    for point in sorted(zip(px.tolist(), py.tolist(), strict=True)):
        while len(hull) >= 2:
            (ox, oy), (ax, ay) = hull[-2], hull[-1]
            if (ax - ox) * (point[1] - oy) - (ay - oy) * (point[0] - ox) > 0:
                break
            hull.pop()
        hull.append(point)
    middle = float(px.mean())
    for (ax, ay), (bx, by) in itertools.pairwise(hull):
        if ax <= middle <= bx and bx > ax:
            slope = (by - ay) / (bx - ax)
            return Line(ax, ay, slope) if abs(slope) <= max_slope else flat
    return flat


@dataclass(frozen=True, slots=True)
class _NtpMap:
    """``ntp seconds = n0 + (1 + skew) * media`` with ``media`` the epoch's RTP seconds."""

    n0: float
    skew: float

    def __call__(self, media: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return self.n0 + (1.0 + self.skew) * media


def _ntp_map(track: LoadedTrack, epoch: int, ref: int) -> _NtpMap | None:
    reports = [r for r in track.reports if r.epoch == epoch]
    if not reports:
        return None
    media = np.array([(r.ext_timestamp - ref) / track.header.clock_rate for r in reports])
    ntp = np.array([r.ntp_seconds for r in reports])
    skew = 0.0
    if len(reports) >= 2 and float(media.max() - media.min()) >= MIN_SPAN_FOR_SLOPE:
        fitted = float(np.polyfit(media, ntp - media, 1)[0])
        skew = fitted if abs(fitted) <= MAX_SLOPE else 0.0
    return _NtpMap(float(np.median(ntp - (1.0 + skew) * media)), skew)


def _from_two_points(ref: int, rate: int, s0: float, s1: float, span: float,
                     synced: bool) -> ClockMap:
    """The map through ``(media 0, s0)`` and ``(media span, s1)``."""
    return ClockMap(ref, rate, s0, (s1 - s0) / span, synced)


def map_tracks(tracks: list[LoadedTrack], session_start: float) -> dict[Path, list[ClockMap]]:
    """One ``ClockMap`` per epoch of every track, keyed by the track's path."""
    maps: dict[Path, list[ClockMap]] = {}
    pooled: dict[str, list[tuple[LoadedTrack, int, int, _NtpMap]]] = defaultdict(list)
    for track in tracks:
        rate = track.header.clock_rate
        epochs: list[ClockMap] = []
        for epoch in range(track.epochs):
            mask = track.epoch == epoch
            ext = track.ext_timestamp[mask]
            ref = int(ext.min())
            media = (ext - ref).astype(np.float64) / rate
            line = lower_envelope(media, track.arrival[mask] - media)
            epochs.append(
                ClockMap(ref, rate, line.y0 - line.slope * line.x0 - session_start,
                         1.0 + line.slope)
            )
            ntp = _ntp_map(track, epoch, ref)
            if ntp is not None:
                pooled[track.header.participant_id].append((track, epoch, ref, ntp))
        maps[track.path] = epochs
    for participant, members in pooled.items():
        _sync_participant(participant, members, maps, session_start)
    return maps


def _sync_participant(
    participant: str,
    members: list[tuple[LoadedTrack, int, int, _NtpMap]],
    maps: dict[Path, list[ClockMap]],
    session_start: float,
) -> None:
    """Map the participant's NTP clock onto the arrival clock, and its epochs through it."""
    ntp_all: list[npt.NDArray[np.float64]] = []
    delay_all: list[npt.NDArray[np.float64]] = []
    for track, epoch, ref, ntp in members:
        mask = track.epoch == epoch
        media = (track.ext_timestamp[mask] - ref).astype(np.float64) / track.header.clock_rate
        sent = ntp(media)
        ntp_all.append(sent)
        delay_all.append(track.arrival[mask] - sent)
    sent = np.concatenate(ntp_all)
    reference = float(sent.min())
    delay = lower_envelope(sent - reference, np.concatenate(delay_all))
    for track, epoch, ref, ntp in members:
        rate = track.header.clock_rate
        mask = track.epoch == epoch
        span = max(float((track.ext_timestamp[mask].max() - ref) / rate), 1.0)
        points = ntp(np.array([0.0, span]))
        session = points + delay(points - reference) - session_start
        synced = _from_two_points(ref, rate, float(session[0]), float(session[1]), span, True)
        own = maps[track.path][epoch]
        middle = ref + int(span * rate / 2)
        disagreement = synced.second(middle) - own.second(middle)
        if abs(disagreement) <= MAX_DISAGREEMENT:
            maps[track.path][epoch] = synced
        else:
            log.warning(
                "compose.sender_reports_ignored",
                participant_id=participant,
                track=track.path.name,
                disagreement_s=round(disagreement, 3),
            )
