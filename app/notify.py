"""Mail that follows something that happened: a recording ready or published, a certificate
issued. Called after the change is committed; a message that cannot be sent is logged and
recorded (``app.mail``), never raised into the work that happened, like webhooks'
``publish_quietly``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import structlog

from app import notices
from app.mail import send_each
from courses.models import Certificate, Course, Recording, User
from courses.recording_audiences import published_audience, ready_audience

if TYPE_CHECKING:
    from app.wiring import Services

log = structlog.get_logger(__name__)


async def _recording(services: Services, recording_id: int) -> tuple[Recording, Course | None]:
    async with services.unit() as unit:
        recording = await unit.session.get(Recording, recording_id)
        if recording is None:
            raise LookupError(f"recording {recording_id} does not exist")
        course = (
            await unit.session.get(Course, recording.course_id)
            if recording.course_id is not None else None
        )
    return recording, course


async def recording_ready(services: Services, recording_id: int) -> int:
    """Tell whoever started the recording, its course's faculty and the people who were in
    the room that it can be watched. Returns how many were told."""
    try:
        recording, course = await _recording(services, recording_id)
        async with services.unit() as unit:
            told = await ready_audience(unit.session, recording)
    except Exception:
        log.exception("recording.ready_notice_failed", recording_id=recording_id)
        return 0
    base_url = services.settings.public_url
    title = course.title if course is not None else None
    messages = [notices.recording_ready(recording, title, t.user, t.manages, base_url)
                for t in told]
    sent = await send_each(services.mailer, messages, recording_id=recording_id)
    log.info("recording.ready_notices_sent", recording_id=recording_id, sent=sent,
             recipients=len(messages))
    return sent


async def recording_published(services: Services, recording_id: int) -> int:
    """Tell the course's enrolled learners that a recording was published for them."""
    try:
        recording, course = await _recording(services, recording_id)
        async with services.unit() as unit:
            learners = await published_audience(unit.session, recording)
    except Exception:
        log.exception("recording.published_notice_failed", recording_id=recording_id)
        return 0
    if course is None:
        return 0
    base_url = services.settings.public_url
    messages = [notices.recording_published(recording, course.title, u, base_url)
                for u in learners]
    sent = await send_each(services.mailer, messages, recording_id=recording_id)
    log.info("recording.published_notices_sent", recording_id=recording_id, sent=sent,
             recipients=len(messages))
    return sent


async def certificate_issued(services: Services, certificate: Certificate, learner: User) -> int:
    """Tell the learner their certificate was issued, with its verification link."""
    message = notices.certificate_issued(certificate, learner, services.settings.public_url)
    sent = await send_each(services.mailer, [message], certificate_id=certificate.id,
                           user_id=learner.id)
    log.info("certificate.issued_notice_sent", certificate_id=certificate.id,
             code=certificate.code, user_id=learner.id, sent=bool(sent))
    return sent
