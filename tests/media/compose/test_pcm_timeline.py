import wave
from pathlib import Path

import numpy as np

from media.compose.audio import RATE, PcmTimeline


def _read(path: Path) -> np.ndarray:
    with wave.open(str(path)) as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64)


def test_gaps_are_silence_and_near_contiguous_blocks_join(tmp_path: Path) -> None:
    timeline = PcmTimeline(tmp_path / "a.wav", RATE * 2)
    block = np.full(960, 0.5, dtype=np.float32)
    timeline.write(480, block)  # starts after 10 ms of silence
    timeline.write(480 + 960 + 40, block)  # 40 samples late: taken as contiguous
    timeline.write(480 + 1920 - 30, block)  # 30 early: contiguous too
    timeline.write(RATE, block)  # a gap
    timeline.write(RATE + 960 - 500, block)  # overlaps: its head is cut
    timeline.write(2 * RATE - 100, block)  # runs past the end: cut
    levels = timeline.close()
    pcm = _read(tmp_path / "a.wav")
    assert pcm.size == 2 * RATE
    assert not pcm[:480].any() and (pcm[480 : 480 + 2880] > 16000).all()
    assert not pcm[480 + 2880 : RATE].any()
    assert (pcm[RATE : RATE + 1420] > 16000).all() and not pcm[RATE + 1420 : -100].any()
    assert (pcm[-100:] > 16000).all()
    assert levels.size == 4 and levels[0] > 0.05 and levels[1] == 0.0
