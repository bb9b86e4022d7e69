"""Half-open time intervals in session seconds, and the set operations the timeline needs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True, slots=True, order=True)
class Interval:
    start: float
    end: float

    @property
    def length(self) -> float:
        return self.end - self.start

    def contains(self, t: float) -> bool:
        return self.start <= t < self.end


def normalize(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, non-empty, with overlapping or touching intervals merged."""
    out: list[Interval] = []
    for item in sorted(i for i in intervals if i.end > i.start):
        if out and item.start <= out[-1].end:
            if item.end > out[-1].end:
                out[-1] = Interval(out[-1].start, item.end)
        else:
            out.append(item)
    return out


def union(*groups: Iterable[Interval]) -> list[Interval]:
    return normalize(i for group in groups for i in group)


def intersect(a: Iterable[Interval], b: Iterable[Interval]) -> list[Interval]:
    left, right = normalize(a), normalize(b)
    out: list[Interval] = []
    i = j = 0
    while i < len(left) and j < len(right):
        start = max(left[i].start, right[j].start)
        end = min(left[i].end, right[j].end)
        if end > start:
            out.append(Interval(start, end))
        if left[i].end < right[j].end:
            i += 1
        else:
            j += 1
    return out


def subtract(a: Iterable[Interval], b: Iterable[Interval]) -> list[Interval]:
    out: list[Interval] = []
    holes = normalize(b)
    for item in normalize(a):
        start = item.start
        for hole in holes:
            if hole.end <= start or hole.start >= item.end:
                continue
            if hole.start > start:
                out.append(Interval(start, hole.start))
            start = max(start, hole.end)
        if start < item.end:
            out.append(Interval(start, item.end))
    return out


def clip(intervals: Iterable[Interval], start: float, end: float) -> list[Interval]:
    return intersect(intervals, [Interval(start, end)])


def cover(times: npt.NDArray[np.float64], *, gap: float, tail: float) -> list[Interval]:
    """The intervals the instants ``times`` cover: instants less than ``gap`` apart belong
    to one interval, which lasts ``tail`` past its last instant."""
    if times.size == 0:
        return []
    ordered = np.sort(times)
    breaks = np.flatnonzero(np.diff(ordered) > gap)
    starts = np.r_[ordered[0], ordered[breaks + 1]]
    ends = np.r_[ordered[breaks], ordered[-1]] + tail
    return [Interval(float(s), float(e)) for s, e in zip(starts, ends, strict=True)]


def covers(intervals: Iterable[Interval], t: float) -> bool:
    return any(i.contains(t) for i in intervals)
