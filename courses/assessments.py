"""An activity's assessments as the rest of Rounds reads them: whether a learner submitted the
evaluation (credit is claimed only after it), when they passed the post-test (on-demand credit
needs it), and the evaluation summary the CME office reads.

Who takes part in an activity: learners enrolled in the course, and anyone who attended the
live session or watched the activity's recording (they may have withdrawn since). The course's
faculty and administrators see the forms as a preview and submit nothing. Taking them is
``courses.attempts``, writing them ``courses.assessment_authoring``; the pure rules are
``courses.scoring`` and ``courses.evaluations``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from courses import permissions
from courses.catalog import CatalogService, CourseView
from courses.clock import Clock
from courses.errors import Conflict, NotFound
from courses.evaluations import EvaluationResponse, EvaluationSummary, load_answers, summarise
from courses.models import (
    Activity,
    AdjustmentKind,
    Assessment,
    AssessmentAttempt,
    AssessmentKind,
    AttendanceAdjustment,
    AttendanceSpan,
    Enrollment,
    EnrollmentStatus,
    Question,
    Recording,
    User,
    WatchProgress,
)

__all__ = [
    "AssessmentLocked",
    "AssessmentNotFound",
    "AssessmentService",
    "EvaluationSummary",
    "Taking",
]


class AssessmentNotFound(NotFound):
    code = "assessment_not_found"


class AssessmentLocked(Conflict):
    """Questions (and a pass mark) that learners have answered do not change."""

    code = "assessment_locked"


@dataclass(frozen=True)
class Taking:
    """Who is looking at an activity's assessment, and as what."""

    activity: Activity
    view: CourseView
    assessment: Assessment | None
    questions: list[Question]
    is_staff: bool
    """The course's faculty or an administrator: a preview, nothing to submit."""
    takes_part: bool


class AssessmentService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock
        self.catalog = CatalogService(session, clock)

    # -- what other parts read -------------------------------------------------------------
    async def evaluation(self, activity_id: int) -> Assessment | None:
        return await self.assessment(activity_id, AssessmentKind.EVALUATION)

    async def post_test(self, activity_id: int) -> Assessment | None:
        return await self.assessment(activity_id, AssessmentKind.POST_TEST)

    async def questions(self, assessment_id: int) -> list[Question]:
        rows = await self.session.exec(
            select(Question)
            .where(Question.assessment_id == assessment_id)
            .order_by(col(Question.position), col(Question.id))
        )
        return list(rows.all())

    async def evaluation_submitted(self, activity_id: int, user_id: int) -> bool:
        """Whether ``user_id`` has submitted the activity's evaluation (False when it has none:
        ask ``evaluation`` whether one is required)."""
        stmt = (
            select(AssessmentAttempt.id)
            .join(Assessment, col(Assessment.id) == AssessmentAttempt.assessment_id)
            .where(
                Assessment.activity_id == activity_id,
                Assessment.kind == AssessmentKind.EVALUATION.value,
                AssessmentAttempt.user_id == user_id,
                col(AssessmentAttempt.submitted_at).is_not(None),
            )
        )
        return (await self.session.exec(stmt)).first() is not None

    async def post_test_passed_at(self, activity_id: int, user_id: int) -> datetime | None:
        """When ``user_id`` first passed the activity's post-test; None if not (or none)."""
        stmt = (
            select(AssessmentAttempt.submitted_at)
            .join(Assessment, col(Assessment.id) == AssessmentAttempt.assessment_id)
            .where(
                Assessment.activity_id == activity_id,
                Assessment.kind == AssessmentKind.POST_TEST.value,
                AssessmentAttempt.user_id == user_id,
                col(AssessmentAttempt.passed).is_(True),
                col(AssessmentAttempt.submitted_at).is_not(None),
            )
            .order_by(col(AssessmentAttempt.submitted_at))
            .limit(1)
        )
        return (await self.session.exec(stmt)).first()

    async def evaluation_summary(self, activity_id: int) -> EvaluationSummary:
        """Every submitted evaluation of the activity, counted per question (no permission
        check: the pages and reports that show it check theirs)."""
        assessment = await self.evaluation(activity_id)
        if assessment is None:
            return summarise(activity_id, None, [], [])
        attempts = await self.session.exec(
            select(AssessmentAttempt)
            .where(AssessmentAttempt.assessment_id == assessment.id)
            .order_by(col(AssessmentAttempt.id))
        )
        return summarise(
            activity_id, assessment, await self.questions(assessment.id or 0), attempts.all()
        )

    async def responses(self, activity_id: int) -> list[EvaluationResponse]:
        """The submitted evaluations with who sent them, oldest first (for the CSV)."""
        assessment = await self.evaluation(activity_id)
        if assessment is None:
            return []
        rows = await self.session.exec(
            select(AssessmentAttempt, User)
            .join(User, col(User.id) == AssessmentAttempt.user_id)
            .where(
                AssessmentAttempt.assessment_id == assessment.id,
                col(AssessmentAttempt.submitted_at).is_not(None),
            )
            .order_by(col(AssessmentAttempt.submitted_at), col(AssessmentAttempt.id))
        )
        return [
            EvaluationResponse(
                submitted_at=a.submitted_at,
                name=u.display_name,
                email=u.email,
                answers=load_answers(a.answers_json),
            )
            for a, u in rows.all()
            if a.submitted_at is not None
        ]

    # -- who takes part -------------------------------------------------------------------------
    async def assessment(self, activity_id: int, kind: AssessmentKind) -> Assessment | None:
        stmt = select(Assessment).where(
            Assessment.activity_id == activity_id, Assessment.kind == kind.value
        )
        return (await self.session.exec(stmt)).first()

    async def attempts_of(self, assessment: Assessment, user: User) -> list[AssessmentAttempt]:
        rows = await self.session.exec(
            select(AssessmentAttempt)
            .where(
                AssessmentAttempt.assessment_id == assessment.id,
                AssessmentAttempt.user_id == user.id,
            )
            .order_by(col(AssessmentAttempt.number))
            .execution_options(populate_existing=True)
        )
        return list(rows.all())

    async def taking(self, activity_id: int, user: User, kind: AssessmentKind) -> Taking:
        """The activity's assessment of ``kind`` as ``user`` sees it (404 when the activity is
        hidden from them)."""
        activity, view = await self.catalog.activity(activity_id, user)
        assessment = await self.assessment(activity_id, kind)
        questions = await self.questions(assessment.id or 0) if assessment else []
        is_staff = permissions.can_manage_course(user, view.faculty_ids)
        takes_part = not is_staff and await self.takes_part(activity, user.id or 0)
        return Taking(
            activity=activity,
            view=view,
            assessment=assessment,
            questions=questions,
            is_staff=is_staff,
            takes_part=takes_part,
        )

    async def takes_part(self, activity: Activity, user_id: int) -> bool:
        """Enrolled in the course, or attended the session / watched the activity's recording."""
        enrolled = exists().where(
            col(Enrollment.course_id) == activity.course_id,
            col(Enrollment.user_id) == user_id,
            col(Enrollment.status) == EnrollmentStatus.ENROLLED.value,
        )
        if activity.is_live:
            took_part = exists().where(
                col(AttendanceSpan.activity_id) == activity.id,
                col(AttendanceSpan.user_id) == user_id,
            )
            added = exists().where(
                col(AttendanceAdjustment.activity_id) == activity.id,
                col(AttendanceAdjustment.user_id) == user_id,
                col(AttendanceAdjustment.kind) == AdjustmentKind.ADD.value,
            )
            checks = [enrolled, took_part, added]
        else:
            watched = exists().where(
                col(WatchProgress.user_id) == user_id,
                col(WatchProgress.recording_id).in_(
                    select(Recording.id).where(Recording.published_activity_id == activity.id)
                ),
            )
            checks = [enrolled, watched]
        for check in checks:
            if (await self.session.exec(select(check))).one():
                return True
        return False
