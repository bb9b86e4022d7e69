"""Recording from the room: hosts start and stop it, everyone sees it, rows follow, and a
session set to record does so on its own."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

from sqlmodel import select

from app.recording_control import RecordingControl
from app.wiring import Services
from courses.models import Recording, RecordingParticipant, RecordingState, Role
from media.recording.format import read_events, read_manifest, track_paths
from tests.app.signaling.conftest import Connect, Server
from tests.factories.catalog import make_course, make_live
from tests.factories.people import make_user


async def _rows(services: Services) -> list[Recording]:
    async with services.unit() as unit:
        return list((await unit.session.exec(select(Recording))).all())


async def _eventually(check, within: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(within / 0.05)):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


async def test_a_host_records_everyone_sees_it_and_the_row_follows(
    server: Server, services: Services, connect_peer: Connect
) -> None:
    host_user = await make_user(services, Role.FACULTY, name="Dr. Host")
    learner_user = await make_user(services, Role.LEARNER, name="Ann Learner")
    queued: list[int] = []

    async def enqueue(recording_id: int) -> None:
        queued.append(recording_id)

    server.app.state.recording_control.enqueue = enqueue
    host = await connect_peer(user_id=host_user.id, name="Dr. Host", host=True)
    learner = await connect_peer(user_id=learner_user.id, name="Ann Learner")
    welcome = await learner.wait_for("welcome")
    assert welcome["recording"] == {"active": False}
    await host.wait_for("welcome")
    await host.publish(video=False)
    await learner.publish(video=False)

    await learner.send({"type": "record", "on": True})
    refused = await learner.wait_for("error", lambda m: m["code"] == "forbidden")
    assert "host" in refused["message"]
    assert await _rows(services) == []

    await host.send({"type": "record", "on": True})
    started = await learner.wait_for("recording")
    assert started["active"] is True and started["started_at"]
    assert (await host.wait_for("recording"))["active"] is True
    rows = await _rows(services)
    assert len(rows) == 1 and rows[0].state == RecordingState.RECORDING
    assert rows[0].started_by_id == host_user.id
    directory = server.app.state.settings.effective_media_root / rows[0].raw_path
    assert read_manifest(directory)["recording_id"] == str(rows[0].id)

    # someone joining later is told at once
    late_user = await make_user(services, Role.LEARNER, name="Late Larry")
    late = await connect_peer(user_id=late_user.id, name="Late Larry")
    assert (await late.wait_for("welcome"))["recording"]["active"] is True
    await late.publish(video=False)  # in the room once its media connects
    await asyncio.sleep(1.0)

    await host.send({"type": "record", "on": False})
    stopped = await learner.wait_for("recording", lambda m: m["active"] is False)
    assert stopped == {"type": "recording", "active": False}

    async def processing() -> bool:
        rows = await _rows(services)
        return rows[0].state == RecordingState.PROCESSING and queued == [rows[0].id]

    await _eventually(processing)
    row = (await _rows(services))[0]
    assert row.stopped_at is not None and row.stopped_at >= row.started_at
    async with services.unit() as unit:
        who = (await unit.session.exec(select(RecordingParticipant.user_id).where(
            RecordingParticipant.recording_id == row.id))).all()
    assert sorted(who) == sorted([host_user.id, learner_user.id, late_user.id])
    assert len(track_paths(directory)) == 3  # the three microphones
    kinds = [e["type"] for e in read_events(directory)]
    assert kinds[0] == "recording_started" and kinds[-1] == "recording_stopped"


async def test_a_session_set_to_record_starts_when_its_room_opens(
    server: Server, services: Services, connect_peer: Connect
) -> None:
    admin = await make_user(services, Role.ADMIN)
    course = await make_course(services, admin)
    now = server.app.state.services.clock.now()
    activity = await make_live(services, admin, course, starts_at=now, auto_record=True)
    host_user = await make_user(services, Role.FACULTY)
    # the token carries the activity's setting, as the room page issues it
    token = server.token(room_id=f"activity-{activity.id}", user_id=host_user.id, host=True,
                         auto_record=activity.auto_record)
    host = await connect_peer(token, room_id=f"activity-{activity.id}")
    await host.wait_for("recording", lambda m: m["active"] is True)
    rows = await _rows(services)
    assert len(rows) == 1
    assert rows[0].activity_id == activity.id and rows[0].course_id == course.id
    assert rows[0].started_by_id is None  # nobody pressed the button

    # a host who stops it wins: rejoining does not start it again
    await host.send({"type": "record", "on": False})
    await host.wait_for("recording", lambda m: m["active"] is False)
    again = await connect_peer(token, room_id=f"activity-{activity.id}")
    welcome = await again.wait_for("welcome")
    assert welcome["recording"]["active"] is False
    await asyncio.sleep(0.3)
    assert len(await _rows(services)) == 1


async def test_a_recording_whose_process_died_is_recovered_for_composition(
    server: Server, services: Services, tmp_path: Path
) -> None:
    control = server.app.state.recording_control
    queued: list[int] = []

    async def enqueue(recording_id: int) -> None:
        queued.append(recording_id)

    control.enqueue = enqueue
    async with services.unit() as unit:
        from courses.recording_lifecycle import RecordingLifecycle

        row = await RecordingLifecycle(unit.session, unit.clock).begin(
            room_id="activity-9", title="Crashed", started_by_id=None, activity_id=None,
            layout="grid",
        )
        recording_id = row.id
        raw_path = row.raw_path
    folder = server.app.state.settings.effective_media_root / raw_path
    folder.mkdir(parents=True)
    (folder / "events.jsonl").write_text(json.dumps({"t": 1.0, "type": "x"}) + "\n")
    # still being written (recently touched): left alone
    assert await control.recover_orphans(quiet_seconds=60) == []
    assert queued == []
    # quiet: stopped at its last write and queued
    assert await control.recover_orphans(quiet_seconds=0) == [recording_id]
    assert queued == [recording_id]
    rows = await _rows(services)
    assert rows[0].state == RecordingState.PROCESSING
    assert rows[0].stopped_at is not None
    assert abs(rows[0].stopped_at.timestamp() - (folder / "events.jsonl").stat().st_mtime) < 1
    assert await control.recover_orphans(quiet_seconds=0) == []


async def test_a_recording_nobody_speaks_in_is_not_taken_for_an_orphan(
    server: Server, services: Services, connect_peer: Connect
) -> None:
    control = server.app.state.recording_control
    host_user = await make_user(services, Role.FACULTY)
    host = await connect_peer(user_id=host_user.id, host=True)
    await host.wait_for("welcome")
    await host.send({"type": "record", "on": True})  # nobody publishes: nothing is appended
    await host.wait_for("recording", lambda m: m["active"] is True)
    row = (await _rows(services))[0]
    folder = server.app.state.settings.effective_media_root / row.raw_path
    old = folder.stat().st_mtime - 120
    for path in (folder, *folder.rglob("*")):
        os.utime(path, (old, old))
    # another process's sweep would see a quiet folder; this process marks it alive first
    control.touch_active()
    other = RecordingControl(services, server.app.state.settings, control.sfu)
    assert await other.recover_orphans(quiet_seconds=30) == []
    assert (await _rows(services))[0].state == RecordingState.RECORDING

