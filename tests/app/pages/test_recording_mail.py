"""Mail about recordings: when the compose job makes one ready for the first time, whoever
started it, its course's faculty and the people who were in the room are told (once: not
again when it is composed anew); when it is first published, the course's enrolled learners
are told (from the edit page and from the API)."""

from __future__ import annotations

import pytest

import app.compose_job as compose_job
from app.jobs import JobContext
from app.mail import Message
from app.wiring import Services
from bench.recordings import generate_recording
from courses.models import Course, Recording, Role, User
from courses.recording_lifecycle import RecordingLifecycle
from tests.app.pages.conftest import SignedIn
from tests.app.pages.helpers import Cast
from tests.factories.catalog import make_course
from tests.factories.people import make_user
from tests.factories.replay import make_recording

BASE = "http://127.0.0.1:8000"


@pytest.fixture
async def course(services: Services, cast: Cast) -> Course:
    course = await make_course(services, cast.admin, title="Cardiology",
                               faculty_ids=[cast.faculty.id])
    async with services.unit() as unit:
        await unit.enrollment.enroll(course.id or 0, cast.learner.id or 0, actor=cast.learner)
    return course


async def stopped(services: Services, started_by: User, course: Course,
                  participants: list[User]) -> int:
    """A recording of ``course``, stopped, with its raw media on disk (the same generator as
    the compose job's own tests: real RTP dumps FFmpeg composes)."""
    async with services.unit() as unit:
        lifecycle = RecordingLifecycle(unit.session, unit.clock)
        row = await lifecycle.begin(room_id="activity-1", title="Heart failure update",
                                    started_by_id=started_by.id, activity_id=None, layout="grid")
        row.course_id = course.id
        for user in participants:
            await lifecycle.add_participant(row.id or 0, user.id or 0)
        await lifecycle.stopped(row.id or 0, at=unit.clock.now())
        recording_id, raw = row.id or 0, row.raw_path
    generate_recording(services.settings.effective_media_root / raw, seconds=4.0,
                       participants=2, width=320, height=240, fps=15)
    return recording_id


async def compose(services: Services, recording_id: int, job_id: int) -> None:
    async def report(stage: str, percent: float) -> None:
        return None

    ctx = JobContext(job_id=job_id, kind=compose_job.COMPOSE, recording_id=recording_id,
                     attempt=1, services=services, report=report)
    await compose_job.compose(ctx)


def mail_to(outbox: list[Message], user: User) -> list[Message]:
    return [m for m in outbox if m.to == user.email]


async def test_a_recording_ready_for_the_first_time_is_announced_once(
    services: Services, cast: Cast, course: Course, outbox: list[Message],
) -> None:
    starter = await make_user(services, Role.FACULTY, name="Sam Starter")
    gone = await make_user(services, Role.LEARNER, name="Gone Learner")
    async with services.unit() as unit:
        await unit.accounts.set_active(gone.id or 0, False, actor=cast.admin)
    recording_id = await stopped(services, starter, course, [cast.learner, cast.faculty, gone])
    await compose(services, recording_id, job_id=1)
    assert sorted(m.to for m in outbox) == sorted(
        [starter.email, cast.faculty.email, cast.learner.email])
    assert {m.kind for m in outbox} == {"recording_ready"}
    (faculty_mail,) = mail_to(outbox, cast.faculty)
    assert faculty_mail.subject == "Recording ready: Heart failure update"
    assert faculty_mail.body.startswith(
        "Hello Fay Faculty,\n\nThe recording “Heart failure update” of the course “Cardiology” "
        f"(1 minute) has been composed and can be watched: {BASE}/recordings/{recording_id}\n"
    )
    assert f"or to publish it for the course's enrolled learners: {BASE}/recordings/" \
           f"{recording_id}/edit" in faculty_mail.body
    (learner_mail,) = mail_to(outbox, cast.learner)
    assert "of a session you were in, can now be watched: " in learner_mail.body
    assert "/edit" not in learner_mail.body
    # composed again in another layout: it was ready already, nobody is told again
    outbox.clear()
    await compose(services, recording_id, job_id=2)
    assert outbox == []


async def test_publishing_tells_the_enrolled_learners_once(
    services: Services, cast: Cast, course: Course, outbox: list[Message],
    signed_in: SignedIn,
) -> None:
    recording = await make_recording(services, course=course, title="Sepsis grand rounds")
    faculty = await signed_in(cast.faculty)

    async def publish() -> int:
        response = await faculty.form(
            f"/recordings/{recording.id}/edit",
            {"action": "publish", "title": "Sepsis grand rounds", "description": "",
             "chapters": ""})
        return response.status_code

    assert await publish() == 303
    (mail,) = outbox
    assert mail.to == cast.learner.email and mail.kind == "recording_published"
    assert mail.subject == "New in Cardiology: Sepsis grand rounds"
    async with services.unit() as unit:
        row = await unit.session.get(Recording, recording.id)
        assert row is not None
    assert f"you can watch it now: {BASE}/recordings/{recording.id}\n" in mail.body
    assert f"{BASE}/activities/{row.published_activity_id}\n" in mail.body
    # saved and published again: it was published already
    assert await publish() == 303
    assert len(outbox) == 1


async def test_publishing_through_the_api_tells_the_enrolled_learners(
    services: Services, cast: Cast, course: Course, outbox: list[Message],
    signed_in: SignedIn,
) -> None:
    recording = await make_recording(services, course=course, title="Stroke update")
    faculty = await signed_in(cast.faculty)
    response = await faculty.api("POST", f"/api/recordings/{recording.id}/publish")
    assert response.status_code == 200, response.text
    assert [(m.to, m.subject) for m in outbox] == [
        (cast.learner.email, "New in Cardiology: Stroke update")]
    assert (await faculty.api("POST", f"/api/recordings/{recording.id}/publish")).status_code \
        == 200
    assert len(outbox) == 1
