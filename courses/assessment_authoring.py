"""Writing an activity's evaluation and post-test: the course's faculty and administrators.

Every activity may have an evaluation (Likert and free-text items); on-demand activities may
also have a post-test (one right option per question) with a pass mark, an attempt limit and
shuffling. Once any learner has an attempt, the questions (and a post-test's pass mark) are
frozen: every attempt must be scored, and every response summarised, on the same questions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import structlog
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from courses import permissions
from courses.assessment_inputs import NAMES, allowed_kinds, parse_question, parse_settings
from courses.assessments import AssessmentLocked, AssessmentNotFound
from courses.catalog import CatalogService, CourseView
from courses.clock import Clock
from courses.errors import Conflict, InvalidInput, PermissionDenied
from courses.models import (
    Activity,
    Assessment,
    AssessmentAttempt,
    AssessmentKind,
    Question,
    QuestionKind,
    User,
)

log = structlog.get_logger(__name__)

MAX_QUESTIONS = 100

STANDARD_EVALUATION: tuple[tuple[QuestionKind, str, bool], ...] = (
    (QuestionKind.LIKERT, "The activity met its stated objectives.", True),
    (QuestionKind.LIKERT, "The content was free of commercial bias.", True),
    (QuestionKind.LIKERT, "I will change my practice as a result of this activity.", True),
    (QuestionKind.TEXT, "What will you change?", True),
    (QuestionKind.TEXT, "Suggestions", False),
)
"""The usual CME evaluation items: (kind, prompt, required)."""


@dataclass(frozen=True)
class Authored:
    """One assessment with its questions and how many attempts learners have made."""

    assessment: Assessment
    questions: list[Question]
    attempts: int

    @property
    def locked(self) -> bool:
        return self.attempts > 0


@dataclass(frozen=True)
class AuthoringView:
    activity: Activity
    view: CourseView
    evaluation: Authored | None = None
    post_test: Authored | None = None
    kinds: tuple[AssessmentKind, ...] = field(default_factory=tuple)
    """The kinds this activity may have."""


class AuthoringService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock
        self.catalog = CatalogService(session, clock)

    # -- reading -----------------------------------------------------------------------
    async def managed_activity(self, activity_id: int, actor: User) -> tuple[Activity, CourseView]:
        """The activity, when ``actor`` is its course's faculty or an administrator."""
        activity, view = await self.catalog.activity(activity_id, actor)
        if not permissions.can_manage_course(actor, view.faculty_ids):
            raise PermissionDenied("Only this course's faculty and administrators may do that.")
        return activity, view

    async def overview(self, activity_id: int, actor: User) -> AuthoringView:
        activity, view = await self.managed_activity(activity_id, actor)
        found: dict[AssessmentKind, Authored] = {}
        for kind in AssessmentKind:
            row = await self._find(activity_id, kind)
            if row is not None:
                found[kind] = await self._authored(row)
        return AuthoringView(
            activity=activity,
            view=view,
            evaluation=found.get(AssessmentKind.EVALUATION),
            post_test=found.get(AssessmentKind.POST_TEST),
            kinds=allowed_kinds(activity),
        )

    async def _find(self, activity_id: int, kind: AssessmentKind) -> Assessment | None:
        stmt = select(Assessment).where(
            Assessment.activity_id == activity_id, Assessment.kind == kind.value
        )
        return (await self.session.exec(stmt)).first()

    async def _authored(self, assessment: Assessment) -> Authored:
        questions = await self.session.exec(
            select(Question)
            .where(Question.assessment_id == assessment.id)
            .order_by(col(Question.position), col(Question.id))
        )
        attempts = await self.session.exec(
            select(func.count()).where(AssessmentAttempt.assessment_id == assessment.id)
        )
        return Authored(assessment, list(questions.all()), attempts.one())

    async def _existing(self, activity_id: int, kind: AssessmentKind, actor: User) -> Authored:
        await self.managed_activity(activity_id, actor)
        row = await self._find(activity_id, kind)
        if row is None:
            raise AssessmentNotFound(f"This activity has no {NAMES[kind]} yet.")
        return await self._authored(row)

    # -- the assessment ------------------------------------------------------------------
    async def save(
        self, activity_id: int, kind: AssessmentKind, data: Mapping[str, Any], actor: User
    ) -> Assessment:
        """Create the activity's evaluation or post-test, or change its settings."""
        activity, _ = await self.managed_activity(activity_id, actor)
        if kind not in allowed_kinds(activity):
            raise InvalidInput(
                {
                    "kind": "Live sessions have no post-test: their credit comes "
                    "from attendance. Add an evaluation instead."
                }
            )
        row = await self._find(activity_id, kind)
        current = await self._authored(row) if row is not None else None
        values, errors = parse_settings(kind, data)
        if (
            current is not None
            and current.locked
            and kind == AssessmentKind.POST_TEST
            and values["pass_percent"] != current.assessment.pass_percent
        ):
            errors["pass_percent"] = (
                f"Learners have taken this post-test, so its pass mark stays at "
                f"{current.assessment.pass_percent}%: it was stated to them before they began."
            )
        if errors:
            raise InvalidInput(errors)
        now = self.clock.now()
        if row is None:
            row = Assessment(
                activity_id=activity_id, kind=kind.value, created_at=now, updated_at=now, **values
            )
            try:
                async with self.session.begin_nested():
                    self.session.add(row)
            except IntegrityError:  # created by another request a moment ago
                raise Conflict(
                    f"This activity has a {NAMES[kind]} already: reload the page to see it."
                ) from None
        else:
            for name, value in values.items():
                setattr(row, name, value)
            row.updated_at = now
            self.session.add(row)
            await self.session.flush()
        log.info(
            "assessment.saved",
            activity_id=activity_id,
            assessment_id=row.id,
            kind=kind.value,
            actor_id=actor.id,
            created=current is None,
        )
        return row

    async def add_standard_evaluation(self, activity_id: int, actor: User) -> Assessment:
        """The standard CME evaluation in one step: three Likert items and two questions."""
        await self.managed_activity(activity_id, actor)
        if await self._find(activity_id, AssessmentKind.EVALUATION) is not None:
            raise Conflict(
                "This activity has an evaluation already: change its questions "
                "below, or remove it first."
            )
        assessment = await self.save(
            activity_id,
            AssessmentKind.EVALUATION,
            {
                "title": "Activity evaluation",
                "instructions": "Your answers help us plan future activities. They are required "
                "before you can claim credit.",
            },
            actor,
        )
        for position, (kind, prompt, required) in enumerate(STANDARD_EVALUATION, start=1):
            self.session.add(
                Question(
                    assessment_id=assessment.id or 0,
                    position=position,
                    kind=kind.value,
                    prompt=prompt,
                    required=required,
                )
            )
        await self.session.flush()
        return assessment

    async def delete(self, activity_id: int, kind: AssessmentKind, actor: User) -> None:
        authored = await self._existing(activity_id, kind, actor)
        if authored.locked:
            raise AssessmentLocked(
                f"Learners have taken this {NAMES[kind]} ({authored.attempts} "
                f"{'attempt' if authored.attempts == 1 else 'attempts'}); it is kept with "
                "their records and cannot be removed."
            )
        await self.session.delete(authored.assessment)
        await self.session.flush()
        log.info("assessment.deleted", activity_id=activity_id, kind=kind.value, actor_id=actor.id)

    # -- questions -----------------------------------------------------------------------
    async def add_question(
        self, activity_id: int, kind: AssessmentKind, data: Mapping[str, Any], actor: User
    ) -> Question:
        authored = await self._unlocked(activity_id, kind, actor)
        if len(authored.questions) >= MAX_QUESTIONS:
            raise InvalidInput({"prompt": f"An assessment has at most {MAX_QUESTIONS} questions."})
        values = parse_question(kind, data)
        position = max((q.position for q in authored.questions), default=0) + 1
        question = Question(assessment_id=authored.assessment.id or 0, position=position, **values)
        self.session.add(question)
        await self.session.flush()
        log.info(
            "assessment.question_added",
            activity_id=activity_id,
            kind=kind.value,
            question_id=question.id,
            actor_id=actor.id,
        )
        return question

    async def update_question(
        self,
        activity_id: int,
        kind: AssessmentKind,
        question_id: int,
        data: Mapping[str, Any],
        actor: User,
    ) -> Question:
        authored = await self._unlocked(activity_id, kind, actor)
        question = _one(authored, question_id)
        for name, value in parse_question(kind, data).items():
            setattr(question, name, value)
        self.session.add(question)
        await self.session.flush()
        log.info(
            "assessment.question_changed",
            activity_id=activity_id,
            kind=kind.value,
            question_id=question_id,
            actor_id=actor.id,
        )
        return question

    async def delete_question(
        self, activity_id: int, kind: AssessmentKind, question_id: int, actor: User
    ) -> None:
        authored = await self._unlocked(activity_id, kind, actor)
        await self.session.delete(_one(authored, question_id))
        await self.session.flush()
        log.info(
            "assessment.question_removed",
            activity_id=activity_id,
            kind=kind.value,
            question_id=question_id,
            actor_id=actor.id,
        )

    async def _unlocked(self, activity_id: int, kind: AssessmentKind, actor: User) -> Authored:
        authored = await self._existing(activity_id, kind, actor)
        if authored.locked:
            who = (
                f"{authored.attempts} "
                f"{'learner has' if authored.attempts == 1 else 'learners have'} submitted "
                "this evaluation"
                if kind == AssessmentKind.EVALUATION
                else f"Learners have made {authored.attempts} "
                f"{'attempt' if authored.attempts == 1 else 'attempts'} at this post-test"
            )
            raise AssessmentLocked(
                f"{who[:1].upper()}{who[1:]}, so its questions can no longer change: every "
                "response must be counted on the same questions."
            )
        return authored


def _one(authored: Authored, question_id: int) -> Question:
    for question in authored.questions:
        if question.id == question_id:
            return question
    raise AssessmentNotFound(
        f"Question {question_id} is not part of this "
        f"{NAMES[AssessmentKind(authored.assessment.kind)]}."
    )
