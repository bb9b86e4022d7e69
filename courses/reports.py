"""One activity's report for its faculty and the CME office: who took part and how much
(attendance of a live session, the watched share of an on-demand one), the credit claimed by
type, the evaluation summary and the post-test results. The files for accreditors are in
``courses.exports``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import structlog
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from courses import permissions
from courses.assessments import AssessmentService
from courses.attendance import AttendanceService
from courses.catalog import CatalogService
from courses.clock import Clock
from courses.errors import PermissionDenied
from courses.evaluations import EvaluationSummary
from courses.models import (
    Activity,
    Assessment,
    AssessmentAttempt,
    AssessmentKind,
    CreditClaim,
    Enrollment,
    EnrollmentStatus,
    Recording,
    User,
    WatchProgress,
)
from courses.recordings import RecordingService
from courses.transcripts import ceus_of, current_claims, type_label, type_order

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class ParticipantLine:
    """One person's part in the activity: attended minutes (live) or watched minutes
    (on-demand), as a percent of the whole, and the credit they claimed."""

    user: User
    is_faculty: bool
    minutes: float
    percent: float
    first_joined: datetime | None = None
    last_left: datetime | None = None
    completed_at: datetime | None = None
    claims: list[CreditClaim] = field(default_factory=list)

    @property
    def claimed(self) -> str:
        return "; ".join(f"{c.credits} {type_label(c.credit_type)[1]}" for c in self.claims)


@dataclass(frozen=True)
class ClaimedByType:
    credit_type: str
    label: str
    unit: str
    learners: int
    credits: Decimal
    ceus: Decimal | None


@dataclass(frozen=True)
class PostTestResults:
    pass_percent: int | None
    attempted: int
    """Learners who submitted at least one attempt."""
    passed: int
    attempts: int

    @property
    def pass_rate(self) -> float | None:
        return round(100.0 * self.passed / self.attempted, 1) if self.attempted else None


@dataclass(frozen=True)
class ActivityReport:
    activity: Activity
    course_title: str
    participants: list[ParticipantLine]
    claimed: list[ClaimedByType]
    post_test: PostTestResults | None
    evaluation: EvaluationSummary
    recording: Recording | None = None
    """The published recording an on-demand activity plays, if it has one."""

    @property
    def attendance_csv_url(self) -> str | None:
        return (
            f"/admin/activities/{self.activity.id}/attendance.csv"
            if self.activity.is_live
            else None
        )

    @property
    def learners(self) -> list[ParticipantLine]:
        return [p for p in self.participants if not p.is_faculty]


def claimed_by_type(claims: Sequence[CreditClaim]) -> list[ClaimedByType]:
    """Per credit type: how many learners claimed it and the total, in table order."""
    grouped: dict[str, list[CreditClaim]] = {}
    for claim in claims:
        grouped.setdefault(claim.credit_type, []).append(claim)
    result = []
    for credit_type, rows in sorted(grouped.items(), key=lambda kv: type_order(kv[0])):
        ceus = [c for c in (ceus_of(r) for r in rows) if c is not None]
        result.append(
            ClaimedByType(
                credit_type,
                *type_label(credit_type),
                learners=len({r.user_id for r in rows}),
                credits=sum((r.credits for r in rows), Decimal(0)),
                ceus=sum(ceus, Decimal(0)) if ceus else None,
            )
        )
    return result


class ReportService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    async def activity_report(self, activity_id: int, actor: User) -> ActivityReport:
        """The report of one activity, for the course's faculty and administrators."""
        activity, view = await CatalogService(self.session, self.clock).activity(activity_id, actor)
        if not permissions.can_manage_course(actor, view.faculty_ids):
            raise PermissionDenied("Only this course's faculty and administrators may do that.")
        claims = await current_claims(self.session, self.clock, activity_id=activity_id)
        by_user: dict[int, list[CreditClaim]] = {}
        for claim in claims:
            by_user.setdefault(claim.user_id, []).append(claim)
        recording = None
        if activity.is_live and activity.starts_at and activity.ends_at:
            lines = await self._attendance(activity_id, actor, by_user)
        else:
            recording = await RecordingService(self.session, self.clock).replay_of(activity_id)
            lines = await self._watching(recording, view.faculty_ids, by_user)
        known = {line.user.id for line in lines}
        enrolled = await self._people(activity.course_id, set(by_user) - known)
        lines += [
            ParticipantLine(
                user, user.id in view.faculty_ids, 0.0, 0.0, claims=by_user.get(user.id or 0, [])
            )
            for user in enrolled
            if user.id not in known
        ]
        lines.sort(key=lambda p: (p.is_faculty, p.user.display_name.lower(), p.user.id or 0))
        log.info(
            "report.activity",
            activity_id=activity_id,
            actor_id=actor.id,
            participants=len(lines),
            claims=len(claims),
        )
        return ActivityReport(
            activity,
            view.course.title,
            lines,
            claimed_by_type(claims),
            await self._post_test(activity_id),
            await AssessmentService(self.session, self.clock).evaluation_summary(activity_id),
            recording,
        )

    async def _attendance(
        self, activity_id: int, actor: User, claims: dict[int, list[CreditClaim]]
    ) -> list[ParticipantLine]:
        roster = await AttendanceService(self.session, self.clock).roster(activity_id, actor)
        return [
            ParticipantLine(
                e.user,
                e.is_faculty,
                e.minutes,
                e.percent,
                first_joined=e.first_joined,
                last_left=e.last_left,
                claims=claims.get(e.user.id or 0, []),
            )
            for e in roster.entries
        ]

    async def _watching(
        self,
        recording: Recording | None,
        faculty_ids: set[int],
        claims: dict[int, list[CreditClaim]],
    ) -> list[ParticipantLine]:
        if recording is None:
            return []
        duration = recording.duration_seconds or 0.0
        stmt = (
            select(WatchProgress, User)
            .join(User, col(User.id) == WatchProgress.user_id)
            .where(WatchProgress.recording_id == recording.id)
        )
        lines = []
        for progress, user in (await self.session.exec(stmt)).all():
            percent = min(100.0, 100.0 * progress.watched_seconds / duration) if duration else 0.0
            lines.append(
                ParticipantLine(
                    user,
                    user.id in faculty_ids,
                    round(progress.watched_seconds / 60.0, 1),
                    round(percent, 1),
                    completed_at=progress.completed_at,
                    claims=claims.get(user.id or 0, []),
                )
            )
        return lines

    async def _people(self, course_id: int, also: set[int]) -> list[User]:
        """The course's enrolled learners, and the people in ``also`` (claimants)."""
        enrolled = select(Enrollment.user_id).where(
            Enrollment.course_id == course_id, Enrollment.status == EnrollmentStatus.ENROLLED
        )
        stmt = select(User).where(col(User.id).in_(enrolled) | col(User.id).in_(sorted(also)))
        return list((await self.session.exec(stmt)).all())

    async def _post_test(self, activity_id: int) -> PostTestResults | None:
        test = (
            await self.session.exec(
                select(Assessment).where(
                    Assessment.activity_id == activity_id,
                    Assessment.kind == AssessmentKind.POST_TEST,
                )
            )
        ).first()
        if test is None:
            return None
        attempts = (
            await self.session.exec(
                select(AssessmentAttempt).where(
                    AssessmentAttempt.assessment_id == test.id,
                    col(AssessmentAttempt.submitted_at).is_not(None),
                )
            )
        ).all()
        return PostTestResults(
            pass_percent=test.pass_percent,
            attempted=len({a.user_id for a in attempts}),
            passed=len({a.user_id for a in attempts if a.passed}),
            attempts=len(attempts),
        )
