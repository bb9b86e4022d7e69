import json

from media.compose.chapters import build_chapters, to_ffmetadata, to_json, to_webvtt
from media.compose.intervals import Interval
from media.compose.result import Chapter
from media.compose.timeline import Person, Stage, Video


def test_chapters_from_shares_and_long_speaker_turns() -> None:
    people = (Person("a", "Dr. Ada", (Interval(0, 300),)),
              Person("b", "Dr. Ben", (Interval(0, 300),)))
    videos = (Video("s", "a", "screen", (Interval(60, 100), Interval(102, 150))),)
    speakers = ((0.0, "a"), (30.0, "b"), (35.0, "a"), (40.0, "b"), (70.0, "a"), (160.0, None),
                (170.0, "b"))
    chapters = build_chapters(Stage(300.0, people, videos, speakers))
    assert chapters == [
        Chapter(0.0, "Dr. Ada speaking"),
        Chapter(40.0, "Dr. Ben speaking"),
        Chapter(60.0, "Screen share: Dr. Ada"),  # one chapter across the 2 s gap
        Chapter(150.0, "Dr. Ada speaking"),
        Chapter(170.0, "Dr. Ben speaking"),
    ]


def test_chapter_files() -> None:
    chapters = [Chapter(0.0, "Dr. A speaking"), Chapter(75.5, "Screen share: Dr. B")]
    vtt = to_webvtt(chapters, 3725.25)
    assert vtt.startswith("WEBVTT\n")
    assert "00:00:00.000 --> 00:01:15.500\nDr. A speaking" in vtt
    assert "00:01:15.500 --> 01:02:05.250\nScreen share: Dr. B" in vtt
    assert json.loads(to_json(chapters, 100.0))[1] == {"start": 75.5, "end": 100.0,
                                                      "title": "Screen share: Dr. B"}
    meta = to_ffmetadata([Chapter(0.0, "a=b;c")], 2.0)
    assert meta.startswith(";FFMETADATA1\n") and "title=a\\=b\\;c" in meta
