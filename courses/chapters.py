"""A recording's chapters: "12:30 Case discussion" lines in, sorted start times out.

Faculty type chapters one a line, a start time (``m:ss`` or ``h:mm:ss``) then the title; the
API also takes ``[{"start": seconds, "title": "..."}]``. Both are checked against the
recording's length and stored in ``Recording.chapters_json`` as that list, sorted by start.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

MAX_CHAPTERS = 200
MAX_CHAPTER_TITLE = 200

_LINE = re.compile(r"^(?:(\d{1,2}):)?(\d{1,3}):(\d{2})(?:\s+(.*))?$")
_SEPARATOR = re.compile(r"^[-\u2013\u2014:|]\s*")


@dataclass(frozen=True)
class Chapter:
    start: float
    title: str


def format_time(seconds: float) -> str:
    """``m:ss`` under an hour, ``h:mm:ss`` from one; whole seconds, rounded down."""
    whole = max(0, math.floor(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def chapters_text(chapters: list[Chapter]) -> str:
    """The chapters as the edit form's textarea shows them."""
    return "\n".join(f"{format_time(c.start)} {c.title}" for c in chapters)


def chapters_json(chapters: list[Chapter]) -> str:
    return json.dumps([{"start": c.start, "title": c.title} for c in chapters])


def stored_chapters(raw: str) -> list[Chapter]:
    """What ``Recording.chapters_json`` holds, skipping anything malformed."""
    try:
        data = json.loads(raw or "[]")
    except ValueError:
        return []
    found = []
    for item in data if isinstance(data, list) else []:
        if not isinstance(item, dict):
            continue
        start, title = item.get("start"), item.get("title")
        if isinstance(start, int | float) and not isinstance(start, bool) \
                and math.isfinite(start) and start >= 0 and isinstance(title, str):
            found.append(Chapter(float(start), title))
    return sorted(found, key=lambda c: c.start)


def _title(raw: str, where: str) -> str:
    title = _SEPARATOR.sub("", raw.strip()).strip()
    if not title:
        raise ValueError(f"{where}: give the chapter a title after its start time.")
    if len(title) > MAX_CHAPTER_TITLE:
        raise ValueError(f"{where}: use at most {MAX_CHAPTER_TITLE} characters for the title.")
    return title


def _from_lines(text: str) -> list[tuple[str, float, str]]:
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        where = f"Line {number}"
        match = _LINE.match(line)
        if match is None:
            raise ValueError(
                f"{where}: start with a time like 12:30 or 1:02:03, then a space and the "
                f"title (got {line[:40]!r})."
            )
        hours, minutes, seconds, rest = match.groups()
        if int(seconds) > 59 or (hours is not None and int(minutes) > 59):
            raise ValueError(f"{where}: minutes and seconds go up to 59 (got {line.split()[0]}).")
        start = int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds)
        found.append((where, float(start), _title(rest or "", where)))
    return found


def _from_list(items: list[object]) -> list[tuple[str, float, str]]:
    found = []
    for number, item in enumerate(items, start=1):
        where = f"Chapter {number}"
        if not isinstance(item, dict):
            raise ValueError(f'{where}: send {{"start": seconds, "title": "..."}}.')
        start, title = item.get("start"), item.get("title")
        if isinstance(start, bool) or not isinstance(start, int | float) \
                or not math.isfinite(start) or start < 0:
            raise ValueError(f"{where}: start must be a number of seconds from 0.")
        if not isinstance(title, str):
            raise ValueError(f"{where}: give the chapter a title.")
        found.append((where, float(start), _title(title, where)))
    return found


def parse_chapters(value: object, duration: float | None) -> list[Chapter]:
    """Chapters from the form's text or the API's list, checked against ``duration``;
    ValueError with a message that names the line (or chapter) to fix."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        found = _from_lines(value.replace("\x00", ""))
    elif isinstance(value, list):
        found = _from_list(value)
    else:
        raise ValueError('Send chapters as text ("12:30 Title" lines) or a list of '
                         '{"start": seconds, "title": "..."}.')
    if not found:
        return []
    if len(found) > MAX_CHAPTERS:
        raise ValueError(f"Use at most {MAX_CHAPTERS} chapters.")
    if duration is None:
        raise ValueError("Chapters can be set once the recording has been processed: its "
                         "length is not known yet.")
    seen: dict[float, str] = {}
    for where, start, _ in found:
        if start >= duration:
            raise ValueError(f"{where}: {format_time(start)} is past the end of the recording "
                             f"({format_time(duration)}).")
        if start in seen:
            raise ValueError(f"{seen[start]} and {where.lower()} both start at "
                             f"{format_time(start)}; give each chapter its own start time.")
        seen[start] = where
    return sorted((Chapter(start, title) for _, start, title in found), key=lambda c: c.start)
