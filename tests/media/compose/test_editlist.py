"""The edit list from hand-made timelines."""

import itertools

import numpy as np

from media.compose.editlist import build_edit_list
from media.compose.intervals import Interval
from media.compose.timeline import MediaSeen, Person, Stage, Video, build_stage

A, B, C = "PA_a", "PA_b", "PA_c"


def _stage() -> Stage:
    people = (Person(A, "Dr. A", (Interval(0, 60),)), Person(B, "Dr. B", (Interval(10, 60),)),
              Person(C, "Dr. C", (Interval(0, 40),)))
    videos = (Video("cam-a", A, "camera", (Interval(0, 60),)),
              Video("cam-b", B, "camera", (Interval(10, 30), Interval(35, 60))),
              Video("scr-a", A, "screen", (Interval(20, 50),)))
    speakers = ((0.0, A), (12.0, B), (13.0, C), (14.0, B), (45.0, C))
    return Stage(60.0, people, videos, speakers)


def test_presenter_segments_follow_joins_shares_mutes_and_leaves() -> None:
    segments = build_edit_list(_stage(), "presenter", 1280, 720)
    assert segments[0].start == 0 and segments[-1].end == 60
    for a, b in itertools.pairwise(segments):
        assert a.end == b.start and a.tiles != b.tiles
    at = {round(s.start): s for s in segments}
    assert {t.track_id for t in at[0].tiles} == {"cam-a", None}  # C has no camera
    share = next(s for s in segments if s.start == 20)
    assert share.tiles[0].track_id == "scr-a" and share.tiles[0].rect.w > 1000
    muted = next(s for s in segments if s.start == 30)
    assert (B, None) in {(t.participant_id, t.track_id) for t in muted.tiles}
    after = next(s for s in segments if s.start == 50)
    assert after.tiles[0].participant_id == B  # back to speaker layout: B holds the floor
    assert len(after.tiles) == 2  # C left at 40


def test_speaker_layout_ignores_short_turns() -> None:
    segments = build_edit_list(_stage(), "speaker", 1280, 720)
    mains = [(s.start, s.tiles[0].participant_id) for s in segments if s.tiles]
    assert (13.0, C) not in mains
    assert any(start == 14.0 and pid == B for start, pid in mains)  # 12-13 too short
    screen_tiles = [t for s in segments for t in s.tiles if t.track_id == "scr-a"]
    assert screen_tiles and all(t.rect.h < 200 for t in screen_tiles)  # in the strip


def test_grid_shows_everyone_the_same_size() -> None:
    segments = build_edit_list(_stage(), "grid", 1280, 720)
    crowded = next(s for s in segments if s.start == 20)
    assert len(crowded.tiles) == 4 and len({(t.rect.w, t.rect.h) for t in crowded.tiles}) == 1


def test_stage_from_events_and_media_fills_what_the_log_lacks() -> None:
    start = 1000.0
    events = [
        {"t": start + 0, "type": "participant_joined", "participant_id": A,
         "display_name": "Dr. A"},
        {"t": start + 5, "type": "track_published", "participant_id": A, "track_id": "cam-a",
         "kind": "video", "source": "camera"},
        {"t": start + 10, "type": "mute_changed", "participant_id": A, "kind": "video",
         "muted": True},
        {"t": start + 12, "type": "mute_changed", "participant_id": A, "kind": "video",
         "muted": False},
        {"t": start + 20, "type": "participant_left", "participant_id": A, "reason": "left"},
    ]
    media = [MediaSeen("cam-a", A, "video", "camera", "", np.arange(5.0, 20.0, 1 / 30)),
             MediaSeen("cam-b", B, "video", "camera", "Dr. B", np.arange(3.0, 8.0, 1 / 30))]
    stage = build_stage(30.0, start, events, media)
    people = {p.participant_id: p for p in stage.people}
    (present,) = people[A].present
    assert present.start == 0.0 and abs(present.end - 20.0) < 0.1
    assert people[B].display_name == "Dr. B"  # no join logged: seen through its media
    assert abs(people[B].present[0].start - 3.0) < 1e-9
    camera = next(v for v in stage.videos if v.track_id == "cam-a")
    assert [round(i.start, 2) for i in camera.visible] == [5.0, 12.0]  # muted 10-12
    assert abs(camera.visible[0].end - 10.0) < 1e-9 and abs(camera.visible[1].end - 20.0) < 0.1
