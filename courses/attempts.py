"""Taking an activity's assessments: the evaluation once, the post-test in attempts.

- The **evaluation** is submitted once per learner, after they have taken part: for a live
  session once it has started, for an on-demand activity at any time.
- The **post-test** of an on-demand activity states its pass mark and the attempts left before
  the learner starts. Starting fixes the attempt's order (shuffled when the author asked, and
  kept in ``order_json`` so a reload shows the same); submitting scores it, once. No new
  attempt after passing or past the limit.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from courses.assessment_inputs import options_of
from courses.assessments import AssessmentNotFound, AssessmentService, Taking
from courses.clock import Clock
from courses.errors import Conflict, PermissionDenied, SessionNotYetOpen
from courses.evaluations import dump_answers, load_answers, parse_answers
from courses.models import Assessment, AssessmentAttempt, AssessmentKind, Question, User
from courses.scoring import AttemptOrder, attempt_order, new_rng, parse_choices, score

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class EvaluationPage(Taking):
    submission: AssessmentAttempt | None = None
    opens_at: datetime | None = None
    """When a live session's evaluation opens, while it has not yet."""

    @property
    def can_submit(self) -> bool:
        return (
            self.takes_part
            and not self.is_staff
            and self.submission is None
            and self.opens_at is None
            and bool(self.questions)
        )


@dataclass(frozen=True)
class ShownQuestion:
    question: Question
    options: list[tuple[int, str]]
    """(original index, text), in the order this attempt shows them."""


@dataclass(frozen=True)
class AttemptView:
    attempt: AssessmentAttempt
    questions: list[ShownQuestion]
    answers: dict[int, int]
    """Question id to the original index of the option chosen."""

    @property
    def correct(self) -> int:
        """How many answers were right."""
        return sum(
            1
            for shown in self.questions
            if self.answers.get(shown.question.id or 0) == shown.question.correct_index
        )


@dataclass(frozen=True)
class PostTestPage(Taking):
    attempts: list[AssessmentAttempt] = field(default_factory=list)
    open: AttemptView | None = None
    latest: AttemptView | None = None
    """The last submitted attempt."""

    @property
    def passed(self) -> AssessmentAttempt | None:
        return next((a for a in self.attempts if a.passed), None)

    @property
    def attempts_left(self) -> int | None:
        """None: unlimited."""
        limit = self.assessment.max_attempts if self.assessment else None
        return None if limit is None else max(0, limit - len(self.attempts))

    @property
    def can_start(self) -> bool:
        return (
            self.takes_part
            and not self.is_staff
            and self.passed is None
            and self.attempts_left != 0
            and bool(self.questions)
        )

    @property
    def shows_answers(self) -> bool:
        """The right answers are shown once no attempt is left to use them in."""
        return self.passed is not None or self.attempts_left == 0


def _local(moment: datetime, zone: str | None) -> str:
    return moment.astimezone(ZoneInfo(zone or "UTC")).strftime("%a %d %b %Y, %H:%M %Z")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


class AttemptService:
    """Learners' evaluations and post-test attempts. ``rng`` makes the generator each new
    attempt is shuffled with (tests pass a seeded one)."""

    def __init__(
        self,
        session: AsyncSession,
        clock: Clock,
        *,
        rng: Callable[[], random.Random] = new_rng,
    ) -> None:
        self.session = session
        self.clock = clock
        self.rng = rng
        self.assessments = AssessmentService(session, clock)

    # -- the evaluation ------------------------------------------------------------------
    async def evaluation_page(self, activity_id: int, user: User) -> EvaluationPage:
        taking = await self.assessments.taking(activity_id, user, AssessmentKind.EVALUATION)
        activity = taking.activity
        submission = None
        if taking.assessment is not None and not taking.is_staff:
            submission = next(
                iter(await self.assessments.attempts_of(taking.assessment, user)), None
            )
        opens_at = None
        if activity.is_live and activity.starts_at and self.clock.now() < activity.starts_at:
            opens_at = activity.starts_at
        return EvaluationPage(**vars_of(taking), submission=submission, opens_at=opens_at)

    async def submit_evaluation(
        self, activity_id: int, user: User, raw: Mapping[str, object]
    ) -> AssessmentAttempt:
        """Record ``user``'s answers (``q<question id>`` fields), once."""
        page = await self.evaluation_page(activity_id, user)
        assessment = self._ready(page, "evaluation", "submit")
        if page.submission is not None and page.submission.submitted_at is not None:
            raise Conflict(
                "You submitted this evaluation on "
                f"{_local(page.submission.submitted_at, page.activity.timezone)}; each learner "
                "submits it once."
            )
        if page.opens_at is not None:
            raise SessionNotYetOpen(
                "The evaluation opens when the session starts, "
                f"{_local(page.opens_at, page.activity.timezone)}."
            )
        answers = parse_answers(raw, page.questions)
        now = self.clock.now()
        order = AttemptOrder(tuple(q.id or 0 for q in page.questions), {})
        attempt = AssessmentAttempt(
            assessment_id=assessment.id or 0,
            user_id=user.id or 0,
            number=1,
            order_json=order.to_json(),
            answers_json=dump_answers(answers),
            started_at=now,
            submitted_at=now,
        )
        try:
            async with self.session.begin_nested():
                self.session.add(attempt)
        except IntegrityError:  # the same learner's second submission, at the same moment
            raise Conflict(
                "You submitted this evaluation already; each learner submits it once."
            ) from None
        log.info(
            "evaluation.submitted",
            activity_id=activity_id,
            user_id=user.id,
            assessment_id=assessment.id,
            answered=len(answers),
        )
        return attempt

    # -- the post-test -------------------------------------------------------------------
    async def post_test_page(self, activity_id: int, user: User) -> PostTestPage:
        taking = await self.assessments.taking(activity_id, user, AssessmentKind.POST_TEST)
        attempts: list[AssessmentAttempt] = []
        open_view = latest = None
        if taking.assessment is not None and not taking.is_staff:
            attempts = await self.assessments.attempts_of(taking.assessment, user)
            by_id = {q.id: q for q in taking.questions}
            for attempt in attempts:
                shown = _attempt_view(attempt, by_id)
                if attempt.submitted_at is None:
                    open_view = shown
                else:
                    latest = shown
        return PostTestPage(**vars_of(taking), attempts=attempts, open=open_view, latest=latest)

    async def start_post_test(self, activity_id: int, user: User) -> AssessmentAttempt:
        """A new attempt in a fixed order; the open one again if there is one."""
        page = await self.post_test_page(activity_id, user)
        assessment = self._ready(page, "post-test", "take")
        if page.open is not None:
            return page.open.attempt
        self._may_try(page)
        order = attempt_order(
            [(q.id or 0, len(options_of(q))) for q in page.questions],
            shuffle=assessment.shuffle,
            rng=self.rng(),
        )
        attempt = AssessmentAttempt(
            assessment_id=assessment.id or 0,
            user_id=user.id or 0,
            number=len(page.attempts) + 1,
            order_json=order.to_json(),
            started_at=self.clock.now(),
        )
        try:
            async with self.session.begin_nested():
                self.session.add(attempt)
        except IntegrityError:  # started twice at once: the other request's attempt is it
            again = await self.post_test_page(activity_id, user)
            if again.open is None:
                raise Conflict("Your attempt could not be started; reload the page.") from None
            return again.open.attempt
        log.info(
            "post_test.started",
            activity_id=activity_id,
            user_id=user.id,
            attempt_id=attempt.id,
            number=attempt.number,
            shuffled=assessment.shuffle,
        )
        return attempt

    async def submit_post_test(
        self, activity_id: int, user: User, attempt_id: int, raw: Mapping[str, object]
    ) -> AssessmentAttempt:
        """Score attempt ``attempt_id`` from ``q<question id>`` fields naming original option
        indices; each attempt is scored once."""
        page = await self.post_test_page(activity_id, user)
        assessment = self._ready(page, "post-test", "take")
        attempt = next((a for a in page.attempts if a.id == attempt_id), None)
        if attempt is None:
            raise AssessmentNotFound(f"You have no attempt {attempt_id} at this post-test.")
        limit = assessment.max_attempts
        if attempt.submitted_at is not None:
            raise Conflict(
                f"Attempt {attempt.number} was submitted already. " + self._next_step(page)
            )
        if page.passed is not None:
            raise Conflict(self._next_step(page))
        if limit is not None and attempt.number > limit:
            raise Conflict(f"You have used all {_plural(limit, 'attempt')} at this post-test.")
        order = AttemptOrder.from_json(attempt.order_json)
        answers = parse_choices(raw, order)
        correct = {q.id or 0: q.correct_index for q in page.questions}
        result = score(order, answers, correct, assessment.pass_percent or 100)
        now = self.clock.now()
        done = await self.session.exec(
            update(AssessmentAttempt)
            .where(
                col(AssessmentAttempt.id) == attempt_id,
                col(AssessmentAttempt.submitted_at).is_(None),
            )
            .values(
                answers_json=dump_answers(answers),
                score_percent=float(result.percent),
                passed=result.passed,
                submitted_at=now,
            )
        )
        if done.rowcount == 0:  # the same attempt, submitted twice at once
            raise Conflict(f"Attempt {attempt.number} was submitted already.")
        await self.session.refresh(attempt)
        log.info(
            "post_test.submitted",
            activity_id=activity_id,
            user_id=user.id,
            attempt_id=attempt_id,
            number=attempt.number,
            score=str(result.percent),
            passed=result.passed,
        )
        return attempt

    def _may_try(self, page: PostTestPage) -> None:
        if page.passed is not None or page.attempts_left == 0:
            raise Conflict(self._next_step(page))

    @staticmethod
    def _next_step(page: PostTestPage) -> str:
        passed, limit = page.passed, page.assessment.max_attempts if page.assessment else None
        if passed is not None:
            return (
                f"You have passed already ({passed.score_percent:.1f}% on attempt "
                f"{passed.number}); there is nothing more to take."
            )
        if limit is not None and page.attempts_left == 0:
            return f"You have used all {_plural(limit, 'attempt')} at this post-test."
        return "Start a new attempt to try again."

    @staticmethod
    def _ready(page: Taking, name: str, verb: str) -> Assessment:
        """The assessment, when ``page``'s viewer may ``verb`` it now."""
        if page.is_staff:
            raise PermissionDenied(
                f"Faculty and administrators preview the {name}; only learners {verb} it."
            )
        if page.assessment is None:
            raise AssessmentNotFound(f"This activity has no {name}.")
        if not page.takes_part:
            raise PermissionDenied(
                f"Only learners enrolled in this course {verb} its {name}: "
                "enroll from the course page first."
            )
        if not page.questions:
            raise Conflict(f"The {name} is not ready yet: it has no questions.")
        return page.assessment


def vars_of(taking: Taking) -> dict[str, Any]:
    return {name: getattr(taking, name) for name in Taking.__dataclass_fields__}


def _attempt_view(attempt: AssessmentAttempt, by_id: Mapping[int | None, Question]) -> AttemptView:
    order = AttemptOrder.from_json(attempt.order_json)
    shown: list[ShownQuestion] = []
    for qid in order.questions:
        question = by_id.get(qid)
        if question is None:
            continue
        texts = options_of(question)
        shown.append(
            ShownQuestion(
                question, [(i, texts[i]) for i in order.options.get(qid, ()) if 0 <= i < len(texts)]
            )
        )
    answers = {k: v for k, v in load_answers(attempt.answers_json).items() if isinstance(v, int)}
    return AttemptView(attempt=attempt, questions=shown, answers=answers)
