"""Recordings as the compose job leaves them: rows, participants, and an output folder."""

from __future__ import annotations

import itertools
from pathlib import Path

from app.wiring import Services
from courses.models import Course, Recording, RecordingParticipant, RecordingState, User

_seq = itertools.count(1)

MASTER = """#EXTM3U
#EXT-X-VERSION:7
#EXT-X-STREAM-INF:BANDWIDTH=2200000,RESOLUTION=960x540,CODECS="avc1.64001f,mp4a.40.2"
540p/index.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360,CODECS="avc1.64001e,mp4a.40.2"
360p/index.m3u8
"""
RUNG = """#EXTM3U
#EXT-X-VERSION:7
#EXT-X-TARGETDURATION:6
#EXT-X-PLAYLIST-TYPE:VOD
#EXT-X-MAP:URI="init.mp4"
#EXTINF:6.0,
seg000.m4s
#EXT-X-ENDLIST
"""
# Bytes that stand for the MP4: the server never parses it, and ranges are checked by content.
MP4_BYTES = bytes(range(256)) * 400


def write_outputs(folder: Path) -> None:
    """A small, complete output folder: master, two rungs, the MP4, the poster."""
    folder.mkdir(parents=True, exist_ok=True)
    hls = folder / "hls"
    hls.mkdir(exist_ok=True)
    (hls / "master.m3u8").write_text(MASTER)
    for rung in ("540p", "360p"):
        (hls / rung).mkdir(exist_ok=True)
        (hls / rung / "index.m3u8").write_text(RUNG)
        (hls / rung / "init.mp4").write_bytes(b"\x00\x00\x00\x18ftypiso6")
        (hls / rung / "seg000.m4s").write_bytes(b"\x00\x00\x00\x10styp" + b"\x01" * 64)
    (folder / "recording.mp4").write_bytes(MP4_BYTES)
    (folder / "poster.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 60 + b"\xff\xd9")


async def make_recording(
    services: Services,
    *,
    course: Course | None,
    started_by: User | None = None,
    participants: tuple[User, ...] = (),
    state: RecordingState = RecordingState.READY,
    duration: float | None = 600.0,
    title: str | None = None,
    with_files: bool = False,
) -> Recording:
    """A recording row (READY by default), with its participants and, if asked, its files
    under the media root at ``recordings/<n>/out``."""
    n = next(_seq)
    now = services.clock.now()
    output = f"recordings/r{n}/out"
    if with_files:
        write_outputs(services.settings.effective_media_root / output)
    async with services.unit() as unit:
        recording = Recording(
            room_id=f"room-{n}", course_id=course.id if course else None,
            started_by_id=started_by.id if started_by else None,
            title=title or f"Recording {n}", state=state.value,
            raw_path=f"recordings/r{n}/raw", output_path=output if with_files else "",
            started_at=now, stopped_at=now,
            duration_seconds=duration if state is RecordingState.READY else None,
            created_at=now, updated_at=now,
        )
        unit.session.add(recording)
        await unit.session.flush()
        for user in participants:
            unit.session.add(RecordingParticipant(recording_id=recording.id or 0,
                                                  user_id=user.id or 0))
        await unit.session.flush()
    return recording
