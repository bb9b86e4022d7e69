"""Attendance from the room itself: the SFU's joins and leaves become spans of the session."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from sqlmodel import col, select

from app.attendance_events import AttendanceRecorder
from app.wiring import Services
from courses.models import AttendanceSpan, Role
from media import events
from tests.app.signaling.conftest import Connect, Server
from tests.factories.catalog import make_course, make_live
from tests.factories.people import make_user


async def _spans(services: Services) -> list[AttendanceSpan]:
    async with services.unit() as unit:
        rows = await unit.session.exec(select(AttendanceSpan).order_by(col(AttendanceSpan.id)))
        return list(rows.all())


async def _eventually(check: Callable[[], Awaitable[bool]], within: float = 15.0) -> None:
    for _ in range(int(within / 0.05)):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


async def test_connections_become_spans_of_the_session_and_a_reconnect_a_new_one(
    server: Server, services: Services, connect_peer: Connect
) -> None:
    admin = await make_user(services, Role.ADMIN)
    host_user = await make_user(services, Role.FACULTY, name="Dr. Host")
    learner_user = await make_user(services, Role.LEARNER, name="Ann Learner")
    course = await make_course(services, admin, faculty_ids=[host_user.id])
    live = await make_live(services, admin, course, starts_at=services.clock.now())
    room = f"activity-{live.id}"

    host = await connect_peer(room_id=room, user_id=host_user.id, name="Dr. Host", host=True)
    learner = await connect_peer(room_id=room, user_id=learner_user.id, name="Ann Learner")
    await host.wait_for("welcome")
    await learner.wait_for("welcome")
    await host.publish(video=False)
    await learner.publish(video=False)

    async def both_in() -> bool:
        return {s.user_id for s in await _spans(services)} == {host_user.id, learner_user.id}

    await _eventually(both_in)
    first = [s for s in await _spans(services) if s.user_id == learner_user.id]
    assert len(first) == 1 and first[0].left_at is None
    assert first[0].activity_id == live.id and first[0].room_id == room

    # the learner's connection goes away, and they come back on a new one
    await learner.close()

    async def closed() -> bool:
        rows = [s for s in await _spans(services) if s.user_id == learner_user.id]
        return len(rows) == 1 and rows[0].left_at is not None

    await _eventually(closed)
    again = await connect_peer(room_id=room, user_id=learner_user.id, name="Ann Learner")
    await again.wait_for("welcome")
    await again.publish(video=False)

    async def rejoined() -> bool:
        return len([s for s in await _spans(services) if s.user_id == learner_user.id]) == 2

    await _eventually(rejoined)
    spans = await _spans(services)
    mine = [s for s in spans if s.user_id == learner_user.id]
    assert mine[0].participant_id != mine[1].participant_id
    assert mine[0].left_at is not None and mine[0].joined_at <= mine[0].left_at
    assert mine[0].leave_reason in {"left", "dropped"}
    assert mine[1].left_at is None and mine[1].joined_at >= mine[0].left_at
    hosts = [s for s in spans if s.user_id == host_user.id]
    assert len(hosts) == 1 and hosts[0].left_at is None and hosts[0].activity_id == live.id


async def test_rooms_of_no_session_and_unknown_people_keep_no_attendance(
    services: Services,
) -> None:
    recorder = AttendanceRecorder(services)
    user = await make_user(services, Role.FACULTY)
    now = services.clock.now()
    await recorder.on_event(events.ParticipantJoined("huddle-7", "p1", user.id or 0, "host", now))
    await recorder.on_event(events.ParticipantJoined("activity-1", "p2", "guest", "host", now))
    await recorder.on_event(events.ParticipantLeft("huddle-7", "p1", user.id or 0, "host",
                                                   "left", now))
    await recorder.on_event(events.ParticipantLeft("activity-1", "p3", user.id or 0, "host",
                                                   "left", now))
    assert await _spans(services) == []
