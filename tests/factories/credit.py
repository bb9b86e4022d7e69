"""Credit: designations, the provider's statements, attendance, watching, claims.

Rows are written as the accreditation services leave them; attendance goes through the real
``AttendanceService`` events (joined, left). Evaluations and post-tests are in
``tests.factories.assessments``."""

from __future__ import annotations

import itertools
import json
from datetime import datetime
from decimal import Decimal

from sqlmodel import select

from app.wiring import Services
from courses.attendance import AttendanceService
from courses.certificates import CertificateService
from courses.credit_rules import CreditType
from courses.models import (
    Activity,
    Certificate,
    Course,
    CreditClaim,
    ProviderStatement,
    Recording,
    User,
    WatchProgress,
)
from tests.factories.catalog import make_on_demand
from tests.factories.records import make_designation
from tests.factories.replay import make_recording

_seq = itertools.count(1)

AMA_STATEMENT = (
    "Rounds Test Hospital is accredited by the Accreditation Council for Continuing Medical "
    "Education (ACCME) to provide continuing medical education for physicians."
)
ANCC_STATEMENT = (
    "Rounds Test Hospital is accredited as a provider of nursing continuing professional "
    "development by the American Nurses Credentialing Center's Commission on Accreditation."
)


designate = make_designation
"""A credit designation as the accreditation service leaves it."""


async def state_accreditation(services: Services, credit_type: str, text: str) -> None:
    async with services.unit() as unit:
        unit.session.add(
            ProviderStatement(
                credit_type=credit_type, statement=text, updated_at=services.clock.now()
            )
        )


async def name_provider(services: Services, name: str) -> None:
    async with services.unit() as unit:
        org = await unit.accounts.organization()
        await unit.accounts.update_organization(name=name, signup_enabled=org.signup_enabled)


async def attend(
    services: Services,
    activity: Activity,
    user: User,
    joined: datetime,
    left: datetime,
    *,
    role: str = "learner",
) -> None:
    """One media connection of ``user`` to the session's room, from ``joined`` to ``left``."""
    n = next(_seq)
    async with services.unit() as unit:
        attendance = AttendanceService(unit.session, unit.clock)
        participant = f"p-{activity.id}-{user.id}-{n}"
        await attendance.joined(
            activity_id=activity.id or 0,
            room_id=f"activity-{activity.id}",
            participant_id=participant,
            user_id=user.id or 0,
            role=role,
            at=joined,
        )
        await attendance.left(participant_id=participant, reason="left", at=left)


async def published_recording(
    services: Services,
    admin: User,
    course: Course,
    *,
    seconds: float = 1800.0,
    title: str = "Recorded grand rounds",
) -> tuple[Recording, Activity]:
    """A ready recording of ``course``, published as an on-demand activity."""
    recording = await make_recording(services, course=course, duration=seconds, title=title)
    async with services.unit() as unit:
        await unit.recordings.publish(recording.id or 0, admin)
        row = await unit.session.get(Recording, recording.id)
        assert row is not None and row.published_activity_id is not None
        activity = await unit.session.get(Activity, row.published_activity_id)
        assert activity is not None
    return row, activity


async def watch(
    services: Services,
    recording: Recording,
    user: User,
    percent: float,
    at: datetime | None = None,
) -> WatchProgress:
    """What the replay page's heartbeats would have left: ``percent`` watched from the start
    (the learner's progress so far replaced)."""
    moment = at or services.clock.now()
    duration = recording.duration_seconds or 0.0
    seconds = round(duration * percent / 100.0, 3)
    async with services.unit() as unit:
        found = await unit.session.exec(
            select(WatchProgress).where(
                WatchProgress.recording_id == recording.id, WatchProgress.user_id == user.id
            )
        )
        row = found.first() or WatchProgress(
            recording_id=recording.id or 0,
            user_id=user.id or 0,
            created_at=moment,
            updated_at=moment,
        )
        row.intervals_json = json.dumps([[0.0, seconds]] if seconds else [])
        row.watched_seconds = seconds
        row.duration_seconds = duration
        row.position_seconds = seconds
        row.last_heartbeat_at = moment
        row.updated_at = moment
        if percent >= 95 and row.completed_at is None:
            row.completed_at = moment
        unit.session.add(row)
    return row


async def claimed_participation(
    services: Services, admin: User, learner: User, course: Course
) -> tuple[CreditClaim, Certificate]:
    """A claim of participation in a new on-demand activity of ``course`` (30 minutes), and
    its certificate: the records as ``ClaimService.claim`` leaves them."""
    activity = await make_on_demand(services, admin, course, title="Claimed module")
    now = services.clock.now()
    async with services.unit() as unit:
        claim = CreditClaim(
            user_id=learner.id or 0,
            activity_id=activity.id or 0,
            credit_type=CreditType.PARTICIPATION,
            credits=Decimal("0.50"),
            earned=Decimal("0.50"),
            basis="30 of 30 minutes attended: 0.50 hours of participation",
            completed_on=now.date(),
            claimed_at=now,
        )
        unit.session.add(claim)
        await unit.session.flush()
        certificate = await CertificateService(unit.session, unit.clock).issue(
            activity, learner, [claim]
        )
    return claim, certificate
