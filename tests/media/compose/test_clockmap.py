"""Clock mapping with hand-made packet timings: jitter, skew, wraps, sender reports."""

from pathlib import Path

import numpy as np

from media.compose.clockmap import lower_envelope, map_tracks
from media.compose.tracks import LoadedTrack, SenderReport
from media.recording.format import TrackHeader

START = 1_765_000_000.0


def _track(name: str, participant: str, kind: str, rate: int, capture: np.ndarray,
           delay: np.ndarray, ts0: int, ntp_offset: float | None = None) -> LoadedTrack:
    header = TrackHeader(name, participant, kind, "camera" if kind == "video" else  # type: ignore[arg-type]
                         "microphone", "video/VP8" if kind == "video" else "audio/opus",
                         rate, 96)
    ext = ts0 + np.round((capture - capture[0]) * rate).astype(np.int64)
    n = capture.size
    track = LoadedTrack(Path(name), header, START + capture + delay, ext,
                        np.arange(n, dtype=np.int64), np.zeros(n, dtype=np.int32),
                        np.zeros(n, dtype=np.bool_))
    if ntp_offset is not None:
        for i in range(0, n, max(1, n // 10)):
            track.reports.append(SenderReport(START + capture[i] + 0.01,
                                              START + ntp_offset + capture[i],
                                              int(ext[i]), 0))
    return track


def test_lower_envelope_ignores_jitter_and_follows_skew() -> None:
    rng = np.random.default_rng(3)
    x = np.arange(0, 3600, 0.02)
    y = 5.0 + 40e-6 * x + 0.02 + rng.exponential(0.01, x.size)
    line = lower_envelope(x, y)
    assert abs(line.slope - 40e-6) < 2e-6
    for at in (0.0, 1800.0, 3600.0):
        assert abs(float(line(np.array([at]))[0]) - (5.02 + 40e-6 * at)) < 0.002


def test_lower_envelope_is_flat_for_a_short_track() -> None:
    x = np.arange(0, 10, 0.02)
    y = 1.0 + np.where(np.arange(x.size) % 7 == 0, 0.0, 0.05)
    line = lower_envelope(x, y)
    assert line.slope == 0.0 and line.y0 == 1.0


def test_a_track_lands_at_its_arrival_minus_the_least_delay() -> None:
    rng = np.random.default_rng(1)
    capture = 3.0 + np.arange(0, 20, 0.02)
    track = _track("a", "p", "audio", 48_000, capture, 0.03 + rng.exponential(0.01, 1000),
                   ts0=2**32 - 48_000)
    clock = map_tracks([track], START)[Path("a")][0]
    seconds = clock.seconds(track.ext_timestamp)
    assert np.all(np.abs(seconds - (capture + 0.03)) < 0.002)


def test_sender_reports_put_late_video_back_in_sync_with_its_audio() -> None:
    rng = np.random.default_rng(2)
    capture_a = np.arange(0, 30, 0.02)
    capture_v = np.arange(0, 30, 1 / 30)
    audio = _track("a", "p", "audio", 48_000, capture_a,
                   0.03 + rng.exponential(0.005, capture_a.size), 1000, ntp_offset=-321.5)
    video = _track("v", "p", "video", 90_000, capture_v,
                   0.15 + rng.exponential(0.005, capture_v.size), 77, ntp_offset=-321.5)
    maps = map_tracks([audio, video], START)
    a = maps[Path("a")][0]
    v = maps[Path("v")][0]
    assert a.synced and v.synced
    # Both are placed at capture time plus the audio's (smallest) delay.
    assert np.all(np.abs(v.seconds(video.ext_timestamp) - (capture_v + 0.03)) < 0.003)
    assert np.all(np.abs(a.seconds(audio.ext_timestamp) - (capture_a + 0.03)) < 0.003)


def test_sender_reports_from_another_clock_are_ignored() -> None:
    capture = np.arange(0, 10, 1 / 30)
    audio = _track("a", "p", "audio", 48_000, np.arange(0, 10, 0.02), np.full(500, 0.03), 5,
                   ntp_offset=0.0)
    video = _track("v", "p", "video", 90_000, capture, np.full(capture.size, 0.05), 5,
                   ntp_offset=0.0)
    for n, report in enumerate(video.reports):  # this publisher's video reports are 5 s off
        video.reports[n] = SenderReport(report.arrival, report.ntp_seconds + 5.0,
                                        report.ext_timestamp, 0)
    maps = map_tracks([audio, video], START)
    a = maps[Path("a")][0]
    v = maps[Path("v")][0]
    assert not (a.synced and v.synced)  # the two disagree: one keeps its own arrival map
    assert abs(a.second(int(audio.ext_timestamp[0])) - 0.03) < 0.002
    assert abs(v.second(int(video.ext_timestamp[0])) - 0.05) < 0.002
