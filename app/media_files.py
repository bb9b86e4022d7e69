"""A recording's composed outputs on disk, served only to people who may watch it.

The compose job writes into ``MEDIA_ROOT/<Recording.output_path>``: ``hls/master.m3u8`` and
its rung playlists, their init and media segments, one ``.mp4`` at the top of the folder (the
download), ``poster.jpg`` and ``chapters.vtt``. A request names a path inside that folder; it
is resolved (symbolic links too) and must stay inside, or it does not exist. Only known media
types are served, each with its own content type; the MP4 answers Range requests (Starlette's
FileResponse), so players can seek in it and downloads can resume.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from starlette.responses import FileResponse, Response

from courses.chapters import Chapter, format_time
from courses.models import Recording
from courses.recordings import RecordingNotFound

MASTER = "hls/master.m3u8"
POSTER = "poster.jpg"
CHAPTERS = "chapters.vtt"

CONTENT_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".mp4": "video/mp4",
    ".m4s": "video/iso.segment",
    ".m4v": "video/mp4",
    ".m4a": "audio/mp4",
    ".ts": "video/mp2t",
    ".aac": "audio/aac",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".vtt": "text/vtt; charset=utf-8",
}
# Playlists and chapters may be rewritten by a new compose; segments keep their names' content.
CACHE_SHORT = "private, max-age=60"
CACHE_LONG = "private, max-age=86400"

_ATTRIBUTE = re.compile(r'([A-Z0-9-]+)=("[^"]*"|[^,]*)')


@dataclass(frozen=True)
class Rendition:
    """One rung of the HLS ladder, as the master playlist states it."""

    uri: str
    bandwidth: int
    width: int | None
    height: int | None
    codecs: str

    @property
    def label(self) -> str:
        return f"{self.height}p" if self.height else f"{round(self.bandwidth / 1000)} kb/s"


def parse_master(text: str) -> list[Rendition]:
    """The variant streams of a master playlist, lowest first."""
    found: list[Rendition] = []
    pending: dict[str, str] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("#EXT-X-STREAM-INF:"):
            pending = {k: v.strip('"') for k, v in _ATTRIBUTE.findall(line.split(":", 1)[1])}
        elif pending is not None and line and not line.startswith("#"):
            width = height = None
            size = pending.get("RESOLUTION", "")
            if "x" in size:
                w, _, h = size.partition("x")
                if w.isdigit() and h.isdigit():
                    width, height = int(w), int(h)
            bandwidth = pending.get("BANDWIDTH", "0")
            found.append(Rendition(
                uri=line,
                bandwidth=int(bandwidth) if bandwidth.isdigit() else 0,
                width=width,
                height=height,
                codecs=pending.get("CODECS", ""),
            ))
            pending = None
    return sorted(found, key=lambda r: (r.height or 0, r.bandwidth))


def chapters_vtt(chapters: list[Chapter], duration: float) -> str:
    """WebVTT chapter cues from the chapters as they are now (edits included)."""

    def stamp(seconds: float) -> str:
        whole = int(seconds)
        millis = round((seconds - whole) * 1000)
        return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}.{millis:03d}"

    cues = ["WEBVTT", ""]
    for i, chapter in enumerate(chapters):
        end = chapters[i + 1].start if i + 1 < len(chapters) else duration
        if end <= chapter.start:
            continue
        cues += [f"{i + 1}", f"{stamp(chapter.start)} --> {stamp(end)}",
                 chapter.title.replace("-->", "->"), ""]
    return "\n".join(cues)


class RecordingFiles:
    """The output folder of one recording under the media root."""

    def __init__(self, media_root: Path, recording: Recording) -> None:
        self.recording = recording
        self.root = media_root.resolve()
        self.folder: Path | None = None
        if recording.output_path:
            folder = (self.root / recording.output_path).resolve()
            if folder.is_relative_to(self.root) and folder != self.root and folder.is_dir():
                self.folder = folder

    def resolve(self, relative: str) -> Path | None:
        """The file ``relative`` names inside the folder, or None: outside it, hidden, not a
        plain file, or of a type that is not served."""
        if self.folder is None or not relative or "\x00" in relative or "\\" in relative:
            return None
        parts = PurePosixPath(relative).parts
        if PurePosixPath(relative).is_absolute() or any(p.startswith(".") for p in parts):
            return None
        target = (self.folder / relative).resolve()
        if not target.is_relative_to(self.folder) or not target.is_file():
            return None
        if target.suffix.lower() not in CONTENT_TYPES:
            return None
        return target

    def exists(self, relative: str) -> bool:
        return self.resolve(relative) is not None

    @property
    def mp4(self) -> Path | None:
        """The downloadable MP4: the one at the top of the folder (not an HLS init segment)."""
        if self.folder is None:
            return None
        candidates = sorted(
            p for p in self.folder.glob("*.mp4")
            if p.is_file() and not p.name.startswith(("init", ".")))
        return candidates[0] if candidates else None

    def renditions(self) -> list[Rendition]:
        master = self.resolve(MASTER)
        if master is None:
            return []
        try:
            return parse_master(master.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            return []

    def response(
        self, relative: str, *, chapters: list[Chapter], download: bool = False
    ) -> Response:
        """The file as an HTTP answer; RecordingNotFound (404) for anything not served."""
        if relative == CHAPTERS and self.folder is not None:
            body = chapters_vtt(chapters, self.recording.duration_seconds or 0.0)
            return Response(body, media_type=CONTENT_TYPES[".vtt"],
                            headers={"Cache-Control": "private, no-cache"})
        target = self.resolve(relative)
        if target is None:
            raise RecordingNotFound(f"Recording {self.recording.id} has no file {relative!r}.")
        suffix = target.suffix.lower()
        cache = CACHE_SHORT if suffix in (".m3u8", ".vtt") else CACHE_LONG
        if download:
            return FileResponse(target, media_type=CONTENT_TYPES[suffix],
                                filename=download_name(self.recording, suffix),
                                headers={"Cache-Control": cache})
        return FileResponse(target, media_type=CONTENT_TYPES[suffix],
                            headers={"Cache-Control": cache})


def download_name(recording: Recording, suffix: str) -> str:
    """A file name people recognise: the title, made safe, and the recording's length."""
    stem = re.sub(r"[^A-Za-z0-9._ -]+", "", recording.title).strip(" .") or "recording"
    stem = re.sub(r"\s+", " ", stem)[:80]
    length = format_time(recording.duration_seconds or 0).replace(":", "-")
    return f"{stem} ({length}){suffix}"
