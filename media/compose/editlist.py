"""The edit list: the recording cut into segments where what is on screen stays the same.

A segment ends wherever someone joins or leaves, a camera or a screen share starts or stops,
or (in the speaker and presenter layouts) the active speaker changes after holding the floor
for ``speaker_hold`` seconds. Each segment lists its tiles: a rectangle, whose it is, and the
video track shown there, or none for a placeholder (camera off, muted, or never published).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from .intervals import covers
from .layout import Rect, grid, presenter, speaker
from .options import Layout
from .timeline import Stage, Video, debounce_speakers

SPEAKER_HOLD = 2.0


@dataclass(frozen=True, slots=True)
class Tile:
    rect: Rect
    participant_id: str
    track_id: str | None
    """The video shown, or ``None`` for a placeholder."""


@dataclass(frozen=True, slots=True)
class Segment:
    start: float
    end: float
    tiles: tuple[Tile, ...]


def _visible_since(video: Video, t: float) -> float:
    for interval in video.visible:
        if interval.contains(t):
            return interval.start
    return float("inf")


class _Scene:
    """What is on screen at one instant; remembers the main speaker across instants."""

    def __init__(self, stage: Stage, layout: Layout, width: int, height: int,
                 speakers: list[tuple[float, str]]) -> None:
        self.stage = stage
        self.layout = layout
        self.width = width
        self.height = height
        self.speakers = speakers
        self.main: str | None = None

    def speaker_at(self, t: float) -> str | None:
        current = None
        for start, pid in self.speakers:
            if start > t:
                break
            current = pid
        return current

    def tiles(self, t: float) -> tuple[Tile, ...]:
        stage = self.stage
        present = [p.participant_id for p in stage.people if covers(p.present, t)]
        cameras: dict[str, str | None] = {pid: None for pid in present}
        for video in stage.videos:
            if (video.source == "camera" and video.participant_id in cameras
                    and cameras[video.participant_id] is None and covers(video.visible, t)):
                cameras[video.participant_id] = video.track_id
        screens = sorted(
            (v for v in stage.videos if v.source == "screen" and covers(v.visible, t)),
            key=lambda v: _visible_since(v, t),
        )
        people: list[tuple[str, str | None]] = [(pid, cameras[pid]) for pid in present]
        shared: list[tuple[str, str | None]] = [(v.participant_id, v.track_id) for v in screens]
        featured: tuple[str, str | None]
        rest: list[tuple[str, str | None]]
        if self.layout == "grid":
            items: list[tuple[str, str | None]] = [*shared, *people]
            return tuple(Tile(r, pid, track) for r, (pid, track)
                         in zip(grid(len(items), self.width, self.height), items, strict=True))
        if self.layout == "presenter" and shared:
            featured = shared[-1]
            rest = [*shared[:-1], *people]
            main_rect, rects = presenter(len(rest), self.width, self.height)
        else:
            talking = self.speaker_at(t)
            if talking in cameras:
                self.main = talking
            elif self.main not in cameras:
                self.main = present[0] if present else None
            if self.main is not None:
                featured = (self.main, cameras[self.main])
                rest = [*shared, *(p for p in people if p[0] != self.main)]
            elif shared:
                featured, rest = shared[-1], shared[:-1]
            else:
                return ()
            main_rect, rects = speaker(len(rest), self.width, self.height)
        return (Tile(main_rect, *featured),
                *(Tile(r, pid, track) for r, (pid, track) in zip(rects, rest, strict=True)))


def build_edit_list(
    stage: Stage, layout: Layout, width: int, height: int, *,
    speaker_hold: float = SPEAKER_HOLD,
) -> list[Segment]:
    speakers = debounce_speakers(stage.speakers, speaker_hold, stage.duration)
    marks = {0.0, stage.duration}
    for person in stage.people:
        marks.update(b for i in person.present for b in (i.start, i.end))
    for video in stage.videos:
        marks.update(b for i in video.visible for b in (i.start, i.end))
    if layout != "grid":
        marks.update(t for t, _ in speakers)
    bounds = sorted(m for m in marks if 0.0 <= m <= stage.duration)
    scene = _Scene(stage, layout, width, height, speakers)
    segments: list[Segment] = []
    for start, end in itertools.pairwise(bounds):
        if end - start <= 1e-6:
            continue
        tiles = scene.tiles((start + end) / 2)
        if segments and segments[-1].tiles == tiles and abs(segments[-1].end - start) < 1e-6:
            segments[-1] = Segment(segments[-1].start, end, tiles)
        else:
            segments.append(Segment(start, end, tiles))
    return segments
