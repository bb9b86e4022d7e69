"""Who was there, what could be seen and who spoke when, on the session clock.

Built from the recorder's event log and from the media itself (which tracks have frames or
samples when), so that a log cut short by a crash still gives a sensible timeline: a
participant is present while the log says so or while their media flows; a video is visible
while it has frames, is published and its camera is not muted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from .intervals import Interval, clip, cover, intersect, subtract, union

CAMERA_GAP = 1.5
"""Seconds without frames after which a camera counts as off."""
SCREEN_GAP = 15.0
"""Screen shares send few frames while the screen does not change."""
SPEAKING_RMS = 0.01
"""About -40 dBFS: louder than this counts as speaking when the log names no speaker."""


@dataclass(frozen=True, slots=True)
class Person:
    participant_id: str
    display_name: str
    present: tuple[Interval, ...]

    @property
    def first_seen(self) -> float:
        return self.present[0].start if self.present else float("inf")


@dataclass(frozen=True, slots=True)
class Video:
    track_id: str
    participant_id: str
    source: str
    """``camera`` or ``screen``."""
    visible: tuple[Interval, ...]
    height: int = 0


@dataclass(frozen=True, slots=True)
class Stage:
    duration: float
    people: tuple[Person, ...]
    """In the order they first appeared."""
    videos: tuple[Video, ...]
    speakers: tuple[tuple[float, str | None], ...] = ()
    """Changes of active speaker: from this second on, this participant (or nobody)."""

    def name(self, participant_id: str) -> str:
        for person in self.people:
            if person.participant_id == participant_id:
                return person.display_name
        return participant_id


@dataclass(slots=True)
class MediaSeen:
    """What the media of one track showed, for the timeline."""

    track_id: str
    participant_id: str
    kind: str
    source: str
    display_name: str
    times: npt.NDArray[np.float64]
    """Session seconds of its frames (video) or packets (audio)."""
    height: int = 0
    coverage: list[Interval] = field(default_factory=list)


def _pairs(opens: Sequence[float], closes: Sequence[float], end: float) -> list[Interval]:
    """Intervals from interleaved open and close instants (a close with no open counts from
    0, an open with no close runs to ``end``)."""
    marks = sorted([(t, 1) for t in opens] + [(t, 0) for t in closes])
    out: list[Interval] = []
    since: float | None = None
    for t, is_open in marks:
        if is_open and since is None:
            since = t
        elif not is_open:
            out.append(Interval(0.0 if since is None else since, t))
            since = None
    if since is not None:
        out.append(Interval(since, end))
    return out


def build_stage(
    duration: float,
    session_start: float,
    events: Iterable[Mapping[str, Any]],
    media: Sequence[MediaSeen],
    levels: Mapping[str, npt.NDArray[np.float64]] | None = None,
    level_window: float = 0.5,
) -> Stage:
    joins: dict[str, list[float]] = defaultdict(list)
    lefts: dict[str, list[float]] = defaultdict(list)
    names: dict[str, str] = {}
    published: dict[str, list[float]] = defaultdict(list)
    unpublished: dict[str, list[float]] = defaultdict(list)
    mutes: dict[tuple[str, str], list[float]] = defaultdict(list)
    unmutes: dict[tuple[str, str], list[float]] = defaultdict(list)
    speakers: list[tuple[float, str | None]] = []
    for event in events:
        t = float(event["t"]) - session_start
        kind = event.get("type")
        pid = event.get("participant_id")
        if kind == "participant_joined" and isinstance(pid, str):
            joins[pid].append(t)
            if event.get("display_name"):
                names[pid] = str(event["display_name"])
        elif kind == "participant_left" and isinstance(pid, str):
            lefts[pid].append(t)
        elif kind in ("track_published", "track_unpublished") and event.get("track_id"):
            target = published if kind == "track_published" else unpublished
            target[str(event["track_id"])].append(t)
        elif kind == "mute_changed" and isinstance(pid, str):
            target_mute = mutes if event.get("muted") else unmutes
            target_mute[(pid, str(event.get("kind")))].append(t)
        elif kind == "active_speaker":
            speakers.append((t, pid if isinstance(pid, str) else None))
    for seen in media:
        if seen.display_name:
            names[seen.participant_id] = seen.display_name
        if not seen.coverage:
            gap = SCREEN_GAP if seen.source == "screen" else (
                CAMERA_GAP if seen.kind == "video" else 1.0)
            seen.coverage = cover(seen.times, gap=gap, tail=0.1)

    ids = list(dict.fromkeys([*joins, *(m.participant_id for m in media)]))
    people = []
    for pid in ids:
        logged = _pairs(joins.get(pid, []), lefts.get(pid, []), duration)
        flowing = [i for m in media if m.participant_id == pid for i in m.coverage]
        present = clip(union(logged, flowing), 0.0, duration)
        if present:
            people.append(Person(pid, names.get(pid, pid), tuple(present)))
    people.sort(key=lambda p: p.first_seen)

    videos = []
    for seen in media:
        if seen.kind != "video":
            continue
        visible = seen.coverage
        if seen.track_id in published or seen.track_id in unpublished:
            visible = intersect(visible, _pairs(published.get(seen.track_id, []),
                                                unpublished.get(seen.track_id, []), duration))
        if seen.source == "camera":
            key = (seen.participant_id, "video")
            visible = subtract(visible, _pairs(mutes.get(key, []), unmutes.get(key, []),
                                               duration))
        visible = clip(visible, 0.0, duration)
        if visible:
            videos.append(Video(seen.track_id, seen.participant_id, seen.source,
                                tuple(visible), seen.height))
    if not speakers and levels:
        speakers = speakers_from_levels(levels, level_window)
    speakers.sort(key=lambda s: s[0])
    return Stage(duration, tuple(people), tuple(videos), tuple(speakers))


def speakers_from_levels(
    levels: Mapping[str, npt.NDArray[np.float64]], window: float
) -> list[tuple[float, str | None]]:
    """The loudest participant per window, when louder than ``SPEAKING_RMS``."""
    ids = list(levels)
    if not ids:
        return []
    length = max(v.size for v in levels.values())
    table = np.zeros((len(ids), length))
    for row, pid in enumerate(ids):
        table[row, : levels[pid].size] = levels[pid]
    loudest = table.argmax(axis=0)
    out: list[tuple[float, str | None]] = []
    current: str | None = None
    for column in range(length):
        speaker = ids[loudest[column]] if table[loudest[column], column] > SPEAKING_RMS else None
        if speaker is not None and speaker != current:
            out.append((column * window, speaker))
            current = speaker
    return out


def debounce_speakers(
    speakers: Sequence[tuple[float, str | None]], hold: float, duration: float
) -> list[tuple[float, str]]:
    """Speaker changes keeping only turns of at least ``hold`` seconds; silence (nobody)
    leaves the floor with whoever had it."""
    turns: list[tuple[float, float, str]] = []
    marks = [s for s in speakers if s[1] is not None]
    for n, (t, pid) in enumerate(marks):
        end = marks[n + 1][0] if n + 1 < len(marks) else duration
        assert pid is not None
        if end > t:
            turns.append((max(t, 0.0), end, pid))
    kept: list[tuple[float, str]] = []
    for start, end, pid in turns:
        if end - start < hold and kept:
            continue
        if kept and kept[-1][1] == pid:
            continue
        kept.append((start, pid))
    return kept
