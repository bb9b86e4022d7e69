"""The composition graph: placements on half-frame edges, expressions without commas."""

from pathlib import Path

from media.compose.editlist import Segment, Tile
from media.compose.graph import compose_command, finish_args, placeholder_spans, placements
from media.compose.layout import Rect
from media.compose.video import VideoRun

BIG = Rect(0, 0, 1000, 720)
SMALL = Rect(1004, 0, 256, 144)


def _segments() -> list[Segment]:
    return [
        Segment(0.0, 10.0, (Tile(BIG, "a", "cam"), Tile(SMALL, "b", None))),
        Segment(10.0, 20.0, (Tile(SMALL, "a", "cam"), Tile(BIG, "b", "cam-b"))),
        Segment(20.0, 30.0, (Tile(BIG, "a", "cam"), Tile(SMALL, "b", None))),
    ]


def _runs() -> list[VideoRun]:
    return [VideoRun("cam", Path("/w/cam-0.ivf"), 640, 480, 0.1, 14.9, 100),
            VideoRun("cam", Path("/w/cam-1.ivf"), 320, 240, 15.0, 29.9, 100),
            VideoRun("cam-b", Path("/w/camb-0.ivf"), 1280, 720, 9.0, 29.9, 100)]


def test_placements_split_at_resolution_changes_on_half_frame_edges() -> None:
    shown = placements(_runs(), _segments(), 30)
    first, second, other = shown[0], shown[1], shown[2]
    assert [(round(p.start * 60), round(p.end * 60)) for p in first] == [(-1, 599), (599, 899)]
    assert first[0].rect.w == 960 and first[1].rect.w == 192  # 4:3 fitted into each tile
    assert [(round(p.start * 60), round(p.end * 60)) for p in second] == [(899, 1199),
                                                                          (1199, 1799)]
    assert [(round(p.start * 60), round(p.end * 60)) for p in other] == [(599, 1199)]


def test_placeholders_by_rectangle() -> None:
    spans = placeholder_spans(_segments(), 30)
    assert list(spans) == [SMALL]
    assert [(round(i.start * 60), round(i.end * 60)) for i in spans[SMALL]] == [
        (-1, 599), (1199, 1799)]


def test_command_uses_a_graph_file_and_embeds_chapters(tmp_path: Path) -> None:
    args = compose_command(
        ffmpeg_path="ffmpeg", runs=_runs(), wavs=[Path("/w/a.wav"), Path("/w/b.wav")],
        segments=_segments(), width=1280, height=720, fps=30, duration=30.0,
        preset="veryfast", threads=2, chapters=Path("/w/ch.ffmeta"),
        graph_file=tmp_path / "g", output=Path("/o/recording.mp4"))
    graph = (tmp_path / "g").read_text()
    assert args[args.index("-filter_complex") + 1] == graph and "-copyts" in args
    assert args[-3:] == ["-map_chapters", "6", "/o/recording.mp4"]
    assert args[args.index("ffmetadata") + 2] == "/w/ch.ffmeta"
    assert "amix=" in graph and "normalize=0" in graph and "latency=1" in graph
    for chain in graph.split(";"):
        for step in chain.split(","):  # every comma separates filters: none inside options
            assert step.count("=") >= 1 or step.startswith("[")
    assert graph.count("overlay=") == 5  # each run once per tile size it is shown at
    assert "--" not in graph


def test_a_long_graph_is_read_from_its_file(tmp_path: Path) -> None:
    graph = ";".join(f"[{n}:v]null[o{n}]" for n in range(20_000))
    args = finish_args(["ffmpeg", "-filter_complex", graph, "out.mp4"], tmp_path / "g")
    assert args[-3:] == ["-/filter_complex", str(tmp_path / "g"), "out.mp4"]
    assert (tmp_path / "g").read_text() == graph
