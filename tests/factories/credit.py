"""Credit: designations, the provider's statements, assessments taken, attendance, watching.

Rows are written as the accreditation and assessment services leave them; attendance goes
through the real ``AttendanceService`` events (joined, left)."""

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
    Assessment,
    AssessmentAttempt,
    AssessmentKind,
    Certificate,
    Course,
    CreditClaim,
    CreditDesignation,
    ProviderStatement,
    Question,
    QuestionKind,
    Recording,
    User,
    WatchProgress,
)
from tests.factories.catalog import make_on_demand
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


async def designate(
    services: Services,
    activity: Activity,
    credit_type: str,
    maximum: str,
    *,
    full_attendance: bool | None = None,
    tolerance_minutes: int = 0,
    uan: str = "",
) -> CreditDesignation:
    now = services.clock.now()
    async with services.unit() as unit:
        row = CreditDesignation(
            activity_id=activity.id or 0,
            credit_type=credit_type,
            maximum=Decimal(maximum),
            full_attendance=full_attendance,
            tolerance_minutes=tolerance_minutes,
            uan=uan,
            created_at=now,
            updated_at=now,
        )
        unit.session.add(row)
    return row


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


async def add_evaluation(services: Services, activity: Activity) -> Assessment:
    now = services.clock.now()
    async with services.unit() as unit:
        assessment = Assessment(
            activity_id=activity.id or 0,
            kind=AssessmentKind.EVALUATION,
            title="Activity evaluation",
            created_at=now,
            updated_at=now,
        )
        unit.session.add(assessment)
        await unit.session.flush()
        unit.session.add(
            Question(
                assessment_id=assessment.id or 0,
                position=1,
                kind=QuestionKind.LIKERT,
                prompt="The activity met its stated objectives.",
            )
        )
    return assessment


async def submit_evaluation(
    services: Services, assessment: Assessment, user: User, at: datetime | None = None
) -> AssessmentAttempt:
    moment = at or services.clock.now()
    async with services.unit() as unit:
        attempt = AssessmentAttempt(
            assessment_id=assessment.id or 0,
            user_id=user.id or 0,
            answers_json=json.dumps({"1": 5}),
            started_at=moment,
            submitted_at=moment,
        )
        unit.session.add(attempt)
    return attempt


async def add_post_test(
    services: Services, activity: Activity, *, pass_percent: int = 80
) -> Assessment:
    now = services.clock.now()
    async with services.unit() as unit:
        assessment = Assessment(
            activity_id=activity.id or 0,
            kind=AssessmentKind.POST_TEST,
            title="Post-test",
            pass_percent=pass_percent,
            max_attempts=3,
            created_at=now,
            updated_at=now,
        )
        unit.session.add(assessment)
        await unit.session.flush()
        unit.session.add(
            Question(
                assessment_id=assessment.id or 0,
                position=1,
                kind=QuestionKind.CHOICE,
                prompt="Which is right?",
                options_json=json.dumps(["This", "That"]),
                correct_index=0,
            )
        )
    return assessment


async def take_post_test(
    services: Services,
    assessment: Assessment,
    user: User,
    *,
    passed: bool,
    at: datetime | None = None,
    number: int = 1,
) -> AssessmentAttempt:
    moment = at or services.clock.now()
    async with services.unit() as unit:
        attempt = AssessmentAttempt(
            assessment_id=assessment.id or 0,
            user_id=user.id or 0,
            number=number,
            answers_json=json.dumps({"1": 0 if passed else 1}),
            score_percent=100.0 if passed else 0.0,
            passed=passed,
            started_at=moment,
            submitted_at=moment,
        )
        unit.session.add(attempt)
    return attempt


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
