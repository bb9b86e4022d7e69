"""The app's hooks publish webhook events: participants joining and leaving a live session's
room, a recording turning ready. (credit.claimed: tests/app/pages/test_webhooks.py.)"""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from app.attendance_events import AttendanceRecorder
from app.compose_job import COMPOSE
from app.jobs.queue import JobQueue
from app.settings import Settings
from app.webhooks.events import PARTICIPANT_JOINED, PARTICIPANT_LEFT, RECORDING_READY
from app.webhooks.store import WebhookStore
from app.wiring import Services
from courses.models import AttendanceSpan, JobState, Role
from media import events
from tests.app import test_compose_job as compose_tests
from tests.factories.catalog import make_course, make_live
from tests.factories.people import make_user

# the compose tests' fixtures: settings with fast retries, services, the in-process queue
job_settings = compose_tests.job_settings
real_services = compose_tests.real_services
queue = compose_tests.queue


async def subscribe(services: Services, *event_types: str) -> int:
    store = WebhookStore(services.db, services.clock)
    endpoint = await store.create_endpoint(
        url="http://127.0.0.1:9/hook",
        description="",
        event_types=" ".join(event_types),
        created_by=None,
    )
    assert endpoint.id is not None
    return endpoint.id


async def sent(services: Services, endpoint_id: int) -> list[dict[str, object]]:
    rows = await WebhookStore(services.db, services.clock).deliveries(endpoint_id)
    return [json.loads(r.payload) for r in reversed(rows)]


async def test_joining_and_leaving_a_live_session_room_are_published(
    services: Services,
) -> None:
    endpoint_id = await subscribe(services, PARTICIPANT_JOINED, PARTICIPANT_LEFT)
    admin = await make_user(services, Role.ADMIN)
    learner = await make_user(services, Role.LEARNER)
    course = await make_course(services, admin)
    live = await make_live(services, admin, course, starts_at=services.clock.now())
    recorder = AttendanceRecorder(services)
    now = services.clock.now()
    room = f"activity-{live.id}"
    await recorder.on_event(events.ParticipantJoined(room, "p1", learner.id or 0, "learner", now))
    await recorder.on_event(
        events.ParticipantLeft(room, "p1", learner.id or 0, "learner", "kicked", now)
    )
    # an ad hoc room is no live session: nothing is published
    await recorder.on_event(
        events.ParticipantJoined("huddle-1", "p2", learner.id or 0, "host", now)
    )
    joined, left = await sent(services, endpoint_id)
    common = {
        "room_id": room,
        "activity_id": live.id,
        "participant_id": "p1",
        "user_id": learner.id,
        "role": "learner",
        "at": "2026-12-01T12:00:00Z",
    }
    assert joined == {
        "type": PARTICIPANT_JOINED,
        "timestamp": "2026-12-01T12:00:00Z",
        "data": common,
    }
    assert left["type"] == PARTICIPANT_LEFT
    assert left["data"] == {**common, "reason": "kicked"}


async def test_a_failing_publish_never_breaks_attendance(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    await subscribe(services, PARTICIPANT_JOINED)
    admin = await make_user(services, Role.ADMIN)
    course = await make_course(services, admin)
    live = await make_live(services, admin, course, starts_at=services.clock.now())

    async def broken(*args: object, **kwargs: object) -> None:
        raise ConnectionError("database went away")

    monkeypatch.setattr(WebhookStore, "add_deliveries", broken)
    recorder = AttendanceRecorder(services)
    await recorder.on_event(
        events.ParticipantJoined(
            f"activity-{live.id}", "p1", admin.id or 0, "host", services.clock.now()
        )
    )
    async with services.unit() as unit:
        spans = list((await unit.session.exec(select(AttendanceSpan))).all())
    assert [s.participant_id for s in spans] == ["p1"]


async def test_a_composed_recording_publishes_recording_ready(
    real_services: Services, job_settings: Settings, queue: JobQueue
) -> None:
    endpoint_id = await subscribe(real_services, RECORDING_READY)
    recording_id = await compose_tests.stopped_recording(real_services, job_settings)
    job = await queue.enqueue(COMPOSE, recording_id=recording_id)
    done = await compose_tests.finished(queue.store, job.id or 0)
    assert done.state == JobState.SUCCEEDED, done.error
    [ready] = await sent(real_services, endpoint_id)
    assert ready["type"] == RECORDING_READY
    data = ready["data"]
    assert isinstance(data, dict)
    assert data["recording_id"] == recording_id and data["title"] == "Grand rounds"
    assert data["path"] == f"/recordings/{recording_id}"
    assert isinstance(data["duration_seconds"], float) and abs(data["duration_seconds"] - 4) < 0.5
