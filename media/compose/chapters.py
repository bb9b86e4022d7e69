"""Chapters from the timeline: a screen share starts one ("Screen share: Dr. Name"), and
outside shares a speaker who holds the floor for ``SPEAKER_HOLD`` seconds starts one
("Dr. Name speaking"). Written as WebVTT (for the player), JSON (for editing) and FFmpeg's
metadata format (embedded in the MP4)."""

from __future__ import annotations

import json

from .intervals import Interval, normalize
from .result import Chapter
from .timeline import Stage, debounce_speakers

SPEAKER_HOLD = 10.0
SHARE_MERGE_GAP = 5.0
"""A share that stops and restarts within this many seconds stays one chapter."""


def build_chapters(stage: Stage, *, speaker_hold: float = SPEAKER_HOLD) -> list[Chapter]:
    marks: list[tuple[float, str]] = []
    shares: list[tuple[Interval, str]] = []
    for video in stage.videos:
        if video.source != "screen":
            continue
        spans = normalize(Interval(i.start - SHARE_MERGE_GAP / 2, i.end + SHARE_MERGE_GAP / 2)
                          for i in video.visible)
        for span in spans:
            real = Interval(max(span.start + SHARE_MERGE_GAP / 2, 0.0),
                            span.end - SHARE_MERGE_GAP / 2)
            shares.append((real, f"Screen share: {stage.name(video.participant_id)}"))
    shares.sort(key=lambda s: s[0].start)

    def sharing(t: float) -> str | None:
        current = None
        for span, title in shares:
            if span.contains(t):
                current = title
        return current

    speakers = debounce_speakers(stage.speakers, speaker_hold, stage.duration)

    def talking(t: float) -> str | None:
        current = None
        for start, pid in speakers:
            if start > t:
                break
            current = pid
        return f"{stage.name(current)} speaking" if current else None

    bounds = sorted({0.0, *(s.start for s, _ in shares), *(s.end for s, _ in shares),
                     *(t for t, _ in speakers)})
    for t in bounds:
        if not 0.0 <= t < stage.duration:
            continue
        title = sharing(t) or talking(t)
        if title is not None:
            marks.append((t, title))
    chapters: list[Chapter] = []
    for t, title in marks:
        if chapters and chapters[-1].title == title:
            continue
        chapters.append(Chapter(round(t, 3), title))
    if chapters and chapters[0].start > 0:
        chapters[0] = Chapter(0.0, chapters[0].title)
    if not chapters:
        chapters.append(Chapter(0.0, "Recording"))
    return chapters


def _clock(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def _spans(chapters: list[Chapter], duration: float) -> list[tuple[float, float, str]]:
    out = []
    for n, chapter in enumerate(chapters):
        end = chapters[n + 1].start if n + 1 < len(chapters) else duration
        if end > chapter.start:
            out.append((chapter.start, end, chapter.title))
    return out


def to_webvtt(chapters: list[Chapter], duration: float) -> str:
    lines = ["WEBVTT", ""]
    for n, (start, end, title) in enumerate(_spans(chapters, duration), 1):
        lines += [f"chapter-{n}", f"{_clock(start)} --> {_clock(end)}",
                  title.replace("-->", "->"), ""]
    return "\n".join(lines)


def to_json(chapters: list[Chapter], duration: float) -> str:
    return json.dumps([{"start": s, "end": round(e, 3), "title": t}
                       for s, e, t in _spans(chapters, duration)], indent=2)


def _escape_metadata(text: str) -> str:
    for char in ("\\", "=", ";", "#", "\n"):
        text = text.replace(char, "\\" + char)
    return text


def to_ffmetadata(chapters: list[Chapter], duration: float) -> str:
    lines = [";FFMETADATA1"]
    for start, end, title in _spans(chapters, duration):
        lines += ["[CHAPTER]", "TIMEBASE=1/1000", f"START={round(start * 1000)}",
                  f"END={round(end * 1000)}", f"title={_escape_metadata(title)}"]
    return "\n".join(lines) + "\n"
