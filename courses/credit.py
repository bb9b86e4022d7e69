"""What a learner has earned from one activity, by credit type, and what still stands in the
way of claiming it.

Live sessions: the learner's attended minutes (``courses.attendance``: merged connections,
clipped to the session's actual live window, breaks removed) against the session's
instructional minutes, through the credit rule of each type (``courses.credit_rules.award``).

On-demand activities (enduring material): the learner must have watched the activity's
threshold of its recording (``Activity.credit_threshold_percent``, else 95%) and passed the
post-test; the credit is then the activity's designated time (``duration_minutes``, else the
recording's length), capped at the designated maximum. An on-demand activity designated for
credit but without a post-test earns none: the AMA requires an assessment of enduring
material, with its pass level stated before the learner starts.

The learner's profession decides the types (``credit_rules.applicable_types``); someone no
designated type fits, and everyone at an activity with no designation, gets a certificate of
participation whose maximum is the session's hours rounded to the quarter hour.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import structlog
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from courses.accreditation import AccreditationService, threshold_of, to_rule
from courses.assessments import AssessmentService
from courses.attendance import AttendanceService
from courses.catalog import CatalogService, CourseView
from courses.clock import Clock
from courses.credit_rules import (
    RULES,
    Award,
    CreditType,
    Designation,
    applicable_types,
    award,
)
from courses.models import Activity, Assessment, Degree, Recording, User, WatchProgress
from courses.watching import COMPLETION_PERCENT, WatchService

log = structlog.get_logger(__name__)

SECONDS_PER_MINUTE = Decimal(60)


@dataclass(frozen=True)
class EarnedCredit:
    """One learner's credit for one activity, as the rules compute it now."""

    activity: Activity
    course: CourseView
    user: User
    awards: tuple[Award, ...]
    """One per credit type that applies to the learner, in the rules' table order."""
    designations: Mapping[str, Designation]
    """The designation behind each award (participation's is computed from the session)."""
    blockers: tuple[str, ...]
    """Plain sentences: what the learner must still do (or wait for) before claiming."""
    completed_on: date | None
    """Live: the session's date in its time zone. On demand: the later of finishing the
    recording and passing the post-test; None until both are done."""
    evaluation: Assessment | None = None
    evaluation_submitted: bool = False
    post_test: Assessment | None = None
    post_test_passed_at: datetime | None = None
    attended_minutes: Decimal | None = None
    session_minutes: Decimal | None = None
    watched_percent: Decimal | None = None
    threshold_percent: int | None = None
    recording_id: int | None = None

    @property
    def is_participation(self) -> bool:
        """Only a certificate of participation applies to this learner."""
        return all(a.credit_type == CreditType.PARTICIPATION for a in self.awards)

    @property
    def claimable(self) -> tuple[Award, ...]:
        """The awards that could be claimed now: nothing blocks, and above zero."""
        if self.blockers:
            return ()
        return tuple(a for a in self.awards if a.credits > 0)

    def award_for(self, credit_type: str) -> Award | None:
        return next((a for a in self.awards if a.credit_type == credit_type), None)


def degree_of(user: User) -> Degree | None:
    """The learner's profession, or None when unset or no longer a known one."""
    try:
        return Degree(user.degree) if user.degree else None
    except ValueError:
        return None


def percent_text(value: Decimal) -> str:
    """40 -> "40", 40.5 -> "40.5": what a person reads in "you have watched 40%"."""
    return format(value.normalize(), "f")


def participation(minutes: Decimal) -> Designation:
    """The participation "designation": the session's hours rounded to the rule's step (at
    least one step, so a short session still has a valid maximum; the credits themselves
    round the learner's minutes and cannot exceed the session's)."""
    rule = RULES[CreditType.PARTICIPATION]
    maximum = max(rule.step, rule.credits_for(minutes))
    return Designation(CreditType.PARTICIPATION, maximum)


def not_earned(credit_type: CreditType, reason: str) -> Award:
    rule = RULES[credit_type]
    zero = rule.quantize(Decimal(0))
    ceus = None if rule.ceus_per_credit is None else zero * rule.ceus_per_credit
    return Award(credit_type, zero, rule.unit, reason, ceus=ceus)


class CreditService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock
        self.catalog = CatalogService(session, clock)
        self.accreditation = AccreditationService(session, clock)
        self.assessments = AssessmentService(session, clock)

    async def earned(self, activity_id: int, user: User) -> EarnedCredit:
        """What ``user`` has earned from the activity (which they must be able to see: an
        unpublished course's activity is not found for anyone but its staff)."""
        activity, view = await self.catalog.activity(activity_id, user)
        designated: dict[CreditType, Designation] = {}
        for row in await self.accreditation.designations(activity_id):
            try:
                designated[CreditType(row.credit_type)] = to_rule(row)
            except ValueError:
                log.warning(
                    "credit.unknown_designation",
                    activity_id=activity_id,
                    credit_type=row.credit_type,
                )
        types = applicable_types(degree_of(user), designated)
        if activity.is_live:
            outcome = await self._live(activity, user, types, designated)
        else:
            outcome = await self._on_demand(activity, user, types, designated)
        evaluation = await self.assessments.evaluation(activity_id)
        submitted = evaluation is not None and await self.assessments.evaluation_submitted(
            activity_id, user.id or 0
        )
        if evaluation is not None and not submitted:
            outcome.blockers.append("Submit the evaluation first")
        return EarnedCredit(
            activity=activity,
            course=view,
            user=user,
            awards=tuple(outcome.awards),
            designations=outcome.designations,
            blockers=tuple(outcome.blockers),
            completed_on=outcome.completed_on,
            evaluation=evaluation,
            evaluation_submitted=submitted,
            post_test=outcome.post_test,
            post_test_passed_at=outcome.post_test_passed_at,
            attended_minutes=outcome.attended_minutes,
            session_minutes=outcome.session_minutes,
            watched_percent=outcome.watched_percent,
            threshold_percent=outcome.threshold_percent,
            recording_id=outcome.recording_id,
        )

    async def maximum(self, activity: Activity, credit_type: str, user_id: int) -> Decimal:
        """The most of ``credit_type`` anyone may hold for the activity: the designated
        maximum, or for participation the session's (or the material's) hours."""
        if credit_type == CreditType.PARTICIPATION:
            if activity.is_live:
                attendance = await AttendanceService(self.session, self.clock).learner(
                    activity.id or 0, user_id
                )
                minutes = Decimal(str(attendance.session_seconds)) / SECONDS_PER_MINUTE
            else:
                recording = await self._recording(activity.id or 0)
                minutes = self._designated_minutes(activity, recording) or Decimal(0)
            return participation(minutes).maximum
        for row in await self.accreditation.designations(activity.id or 0):
            if row.credit_type == credit_type:
                return row.maximum
        return Decimal(0)

    # -- live ----------------------------------------------------------------------------
    async def _live(
        self,
        activity: Activity,
        user: User,
        types: Sequence[CreditType],
        designated: Mapping[CreditType, Designation],
    ) -> _Outcome:
        attendance = await AttendanceService(self.session, self.clock).learner(
            activity.id or 0, user.id or 0
        )
        session = Decimal(str(attendance.session_seconds)) / SECONDS_PER_MINUTE
        attended = min(Decimal(str(attendance.seconds)) / SECONDS_PER_MINUTE, session)
        zone = ZoneInfo(activity.timezone or "UTC")
        outcome = _Outcome(
            attended_minutes=attended,
            session_minutes=session,
            completed_on=attendance.live_window.start.astimezone(zone).date(),
        )
        end = activity.live_ended_at or activity.ends_at
        if end is not None and self.clock.now() < end:
            outcome.blockers.append("The session has not ended yet")
        if session <= 0:
            outcome.blockers.append(
                "No instructional time was recorded for this session, so it earns no credit; "
                "the CME office can correct the session's times"
            )
            return outcome
        if attended <= 0 and not outcome.blockers:
            outcome.blockers.append("No attendance of this session was recorded for you")
        for credit_type in types:
            designation = (
                participation(session)
                if credit_type is CreditType.PARTICIPATION
                else designated[credit_type]
            )
            outcome.designations[credit_type] = designation
            outcome.awards.append(award(credit_type, attended, session, designation))
        return outcome

    # -- on demand -----------------------------------------------------------------------
    async def _on_demand(
        self,
        activity: Activity,
        user: User,
        types: Sequence[CreditType],
        designated: Mapping[CreditType, Designation],
    ) -> _Outcome:
        user_id = user.id or 0
        activity_id = activity.id or 0
        threshold = threshold_of(activity)
        recording = await self._recording(activity_id)
        post_test = await self.assessments.post_test(activity_id)
        passed_at = (
            await self.assessments.post_test_passed_at(activity_id, user_id)
            if post_test is not None
            else None
        )
        outcome = _Outcome(
            post_test=post_test,
            post_test_passed_at=passed_at,
            threshold_percent=threshold,
            recording_id=recording.id if recording is not None else None,
        )
        watched_at: datetime | None = None
        if recording is None:
            outcome.blockers.append("This activity has no recording to watch yet")
        else:
            state = await WatchService(self.session, self.clock).progress(recording, user_id)
            watched = Decimal(str(state.percent))
            outcome.watched_percent = watched
            if watched < threshold:
                outcome.blockers.append(
                    f"Watch at least {threshold}% (you have watched {percent_text(watched)}%)"
                )
            else:
                watched_at = await self._threshold_reached_at(recording, user_id, threshold)
        if any(t is not CreditType.PARTICIPATION for t in types) and post_test is None:
            outcome.blockers.append("The activity has no post-test yet, so it cannot award credit")
        elif post_test is not None and passed_at is None:
            outcome.blockers.append("Pass the post-test")
        minutes = self._designated_minutes(activity, recording)
        if minutes is None:
            outcome.blockers.append(
                "The activity's length is not set, so its credit cannot "
                "be computed; the CME office can set it"
            )
        done = not outcome.blockers
        for credit_type in types:
            if minutes is None:
                outcome.awards.append(not_earned(credit_type, "The activity's length is not set"))
                continue
            designation = (
                participation(minutes)
                if credit_type is CreditType.PARTICIPATION
                else designated[credit_type]
            )
            outcome.designations[credit_type] = designation
            if done:
                outcome.awards.append(award(credit_type, minutes, minutes, designation))
            else:
                outcome.awards.append(not_earned(credit_type, _pending(threshold, post_test)))
        if done and watched_at is not None:
            moment = max(watched_at, passed_at) if passed_at is not None else watched_at
            outcome.completed_on = moment.astimezone(ZoneInfo(activity.timezone or "UTC")).date()
        return outcome

    async def _recording(self, activity_id: int) -> Recording | None:
        """The recording published as this on-demand activity (the newest, should there be
        more than one)."""
        stmt = (
            select(Recording)
            .where(Recording.published_activity_id == activity_id)
            .order_by(col(Recording.id).desc())
        )
        return (await self.session.exec(stmt)).first()

    async def _threshold_reached_at(
        self, recording: Recording, user_id: int, threshold: int
    ) -> datetime:
        """When the learner had watched enough. The watch log records when 95% was reached
        (``completed_at``); a higher threshold was reached no later than the last heartbeat."""
        stmt = select(WatchProgress).where(
            WatchProgress.recording_id == recording.id, WatchProgress.user_id == user_id
        )
        row = (await self.session.exec(stmt)).first()
        if row is None:  # nothing watched: the threshold was not reached (guarded by caller)
            return self.clock.now()
        if row.completed_at is not None and threshold <= COMPLETION_PERCENT:
            return row.completed_at
        return row.last_heartbeat_at or row.updated_at

    @staticmethod
    def _designated_minutes(activity: Activity, recording: Recording | None) -> Decimal | None:
        if activity.duration_minutes:
            return Decimal(activity.duration_minutes)
        if recording is not None and recording.duration_seconds:
            return Decimal(str(recording.duration_seconds)) / SECONDS_PER_MINUTE
        return None


@dataclass
class _Outcome:
    """What the live or on-demand computation found, before the evaluation is added."""

    awards: list[Award] = field(default_factory=list)
    designations: dict[str, Designation] = field(default_factory=dict)
    blockers: list[str] = field(default_factory=list)
    completed_on: date | None = None
    post_test: Assessment | None = None
    post_test_passed_at: datetime | None = None
    attended_minutes: Decimal | None = None
    session_minutes: Decimal | None = None
    watched_percent: Decimal | None = None
    threshold_percent: int | None = None
    recording_id: int | None = None


def _pending(threshold: int, post_test: Assessment | None) -> str:
    if post_test is None:
        return f"Not earned yet: watch at least {threshold}% of the recording"
    return f"Not earned yet: watch at least {threshold}% of the recording and pass the post-test"
