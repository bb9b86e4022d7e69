"""Every failure is a ComposeError that names the problem, and leaves the raw folder as it was
and no partial outputs behind."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from bench.recordings import generate_recording
from media.compose import ComposeError, ComposeOptions, compose_recording
from media.compose.pipeline import OUTPUTS
from media.recording.format import MAGIC, iter_records, read_header, track_paths

from .analysis import folder_digest


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory, ffmpeg_path: str) -> Path:
    raw = tmp_path_factory.mktemp("errors") / "raw"
    generate_recording(raw, seconds=3.0, participants=1, width=160, height=120,
                       ffmpeg=ffmpeg_path)
    return raw


def _fails(raw: Path, out: Path, options: ComposeOptions,
           damage: Callable[[Path], None] | None = None) -> ComposeError:
    if damage is not None:
        damage(raw)
    before = folder_digest(raw)
    with pytest.raises(ComposeError) as caught:
        asyncio.run(compose_recording(raw, out, options))
    assert folder_digest(raw) == before
    if out.exists():
        assert not [p.name for p in out.iterdir() if p.name in OUTPUTS]
    return caught.value


@pytest.fixture
def raw(pristine: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(pristine, tmp_path / "raw"))


@pytest.fixture
def options(ffmpeg_path: str) -> ComposeOptions:
    return ComposeOptions(ffmpeg=ffmpeg_path, max_height=360)


def _camera(raw: Path) -> Path:
    return next(p for p in track_paths(raw) if "_cam_" in p.name)


def test_a_corrupt_track(raw: Path, tmp_path: Path, options: ComposeOptions) -> None:
    def damage(folder: Path) -> None:
        path = _camera(folder)
        data = bytearray(path.read_bytes())
        _, first = read_header(bytes(data))
        offsets = [at for at, _ in iter_records(bytes(data), first)]
        data[offsets[len(offsets) // 2]] = 9  # a record type no writer writes
        path.write_bytes(bytes(data))

    error = _fails(raw, tmp_path / "out", options, damage)
    assert error.stage == "read"
    assert _camera(raw).name in str(error) and "unknown record type" in str(error)
    assert "Dr. Ada Okafor" in str(error)


def test_a_track_cut_inside_its_header(raw: Path, tmp_path: Path,
                                       options: ComposeOptions) -> None:
    def damage(folder: Path) -> None:
        (folder / "tracks" / "TR_cut.rtp").write_bytes(MAGIC[:6])

    error = _fails(raw, tmp_path / "out", options, damage)
    assert "TR_cut.rtp" in str(error) and "ends inside its header" in str(error)


def test_a_video_track_without_any_keyframe(tmp_path: Path, ffmpeg_path: str,
                                            options: ComposeOptions) -> None:
    raw = tmp_path / "raw"
    generate_recording(raw, seconds=3.0, participants=1, width=160, height=120,
                       ffmpeg=ffmpeg_path, missing_keyframes={0: -1})
    error = _fails(raw, tmp_path / "out", options)
    assert error.stage == "video"
    assert "camera track of Dr. Ada Okafor" in str(error) and "no keyframe" in str(error)


def test_a_recording_without_packets(raw: Path, tmp_path: Path,
                                     options: ComposeOptions) -> None:
    def damage(folder: Path) -> None:
        for path in track_paths(folder):
            data = path.read_bytes()
            path.write_bytes(data[: read_header(data)[1]])

    error = _fails(raw, tmp_path / "out", options, damage)
    assert "holds no media" in str(error) and error.stage == "read"


def test_ffmpeg_failing_reports_its_own_words(raw: Path, tmp_path: Path,
                                              ffmpeg_path: str) -> None:
    options = ComposeOptions(ffmpeg=ffmpeg_path, max_height=360, preset="no-such-preset")
    error = _fails(raw, tmp_path / "out", options)
    assert error.stage == "compose" and "FFmpeg failed" in str(error)
    assert "no-such-preset" in str(error) or "preset" in str(error).lower()


def test_a_full_disk(raw: Path, tmp_path: Path, options: ComposeOptions) -> None:
    out = tmp_path / "out"
    out.mkdir()
    os.symlink("/dev/full", out / "recording.mp4")  # writing there gives ENOSPC
    error = _fails(raw, out, options)
    assert "disk is full" in str(error) and str(out / "recording.mp4") in str(error)


def test_no_ffmpeg_binary(raw: Path, tmp_path: Path) -> None:
    options = ComposeOptions(ffmpeg=str(tmp_path / "nowhere" / "ffmpeg"), max_height=360)
    error = _fails(raw, tmp_path / "out", options)
    assert "Cannot run FFmpeg" in str(error) and not (tmp_path / "out").exists()


def test_an_output_folder_inside_the_raw_one(raw: Path, options: ComposeOptions) -> None:
    error = _fails(raw, raw / "out", options)
    assert "overlaps the raw recording" in str(error)
    assert not (raw / "out").exists()
