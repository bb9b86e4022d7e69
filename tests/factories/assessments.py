"""Evaluations and post-tests, written and taken through the real services; and, for the
credit, report and claim tests, attempts recorded straight to the table at a given moment
(``record_evaluation``, ``record_post_test``: no enrollment or viewing needed)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlmodel import col, select

from app.wiring import Services
from courses.assessment_authoring import AuthoringService
from courses.assessments import AssessmentService
from courses.attempts import AttemptService
from courses.models import (
    Activity,
    Assessment,
    AssessmentAttempt,
    AssessmentKind,
    Question,
    Role,
    User,
)
from courses.scoring import AttemptOrder, answer_field

ChoiceQuestion = tuple[str, Sequence[str], int]
"""(prompt, options, index of the right option counted from 0)."""

POST_TEST_QUESTIONS: tuple[ChoiceQuestion, ...] = (
    (
        "First-line treatment of uncomplicated hypertension in a 50-year-old?",
        ("Thiazide diuretic", "Beta blocker", "Loop diuretic", "Alpha blocker"),
        0,
    ),
    (
        "Target HbA1c for most non-pregnant adults with diabetes?",
        ("Below 6.0%", "Below 7.0%", "Below 8.5%"),
        1,
    ),
    (
        "Which test confirms a suspected pulmonary embolism?",
        ("Chest X-ray", "D-dimer alone", "CT pulmonary angiography", "ECG"),
        2,
    ),
    ("How long must CME records be kept?", ("1 year", "3 years", "6 years"), 2),
)


async def make_evaluation(
    services: Services,
    author: User,
    activity: Activity,
    *,
    questions: Sequence[tuple[str, str, bool]] | None = None,
    title: str = "Evaluation",
) -> Assessment:
    """The standard CME evaluation, or one of ``questions`` ((kind, prompt, required))."""
    async with services.unit() as unit:
        authoring = AuthoringService(unit.session, unit.clock)
        if questions is None:
            return await authoring.add_standard_evaluation(activity.id or 0, author)
        assessment = await authoring.save(
            activity.id or 0, AssessmentKind.EVALUATION, {"title": title}, author
        )
        for kind, prompt, required in questions:
            await authoring.add_question(
                activity.id or 0,
                AssessmentKind.EVALUATION,
                {"kind": kind, "prompt": prompt, "required": required},
                author,
            )
        return assessment


async def make_post_test(
    services: Services,
    author: User,
    activity: Activity,
    *,
    questions: Sequence[ChoiceQuestion] = POST_TEST_QUESTIONS,
    pass_percent: int = 75,
    max_attempts: int | None = 3,
    shuffle: bool = True,
) -> Assessment:
    async with services.unit() as unit:
        authoring = AuthoringService(unit.session, unit.clock)
        assessment = await authoring.save(
            activity.id or 0,
            AssessmentKind.POST_TEST,
            {
                "title": "Post-test",
                "pass_percent": pass_percent,
                "max_attempts": max_attempts or "",
                "shuffle": shuffle,
            },
            author,
        )
        for prompt, options, correct in questions:
            await authoring.add_question(
                activity.id or 0,
                AssessmentKind.POST_TEST,
                {"prompt": prompt, "options": list(options), "correct": correct + 1},
                author,
            )
        return assessment


async def questions_of(
    services: Services, activity: Activity, kind: AssessmentKind
) -> list[Question]:
    async with services.unit() as unit:
        reading = AssessmentService(unit.session, unit.clock)
        row = await reading.assessment(activity.id or 0, kind)
        return await reading.questions(row.id or 0) if row else []


def standard_answers(questions: Sequence[Question], likert: int = 4) -> dict[str, object]:
    """Every required question answered: Likert items with ``likert``, text with a sentence."""
    return {
        answer_field(q.id or 0): likert if q.kind == "likert" else "More case discussion."
        for q in questions
        if q.required
    }


async def submit_evaluation(
    services: Services,
    learner: User,
    activity: Activity,
    answers: Mapping[str, object] | None = None,
) -> AssessmentAttempt:
    """``learner``'s evaluation: ``answers`` as the form sends them, or ``standard_answers``."""
    if answers is None:
        answers = standard_answers(
            await questions_of(services, activity, AssessmentKind.EVALUATION)
        )
    async with services.unit() as unit:
        return await AttemptService(unit.session, unit.clock).submit_evaluation(
            activity.id or 0, learner, answers
        )


async def take_post_test(
    services: Services, learner: User, activity: Activity, *, right: int | None = None
) -> AssessmentAttempt:
    """Start an attempt and answer it: the first ``right`` questions (in the order shown)
    correctly and the rest wrongly; all of them correctly when ``right`` is None."""
    by_id = {q.id: q for q in await questions_of(services, activity, AssessmentKind.POST_TEST)}
    async with services.unit() as unit:
        attempt = await AttemptService(unit.session, unit.clock).start_post_test(
            activity.id or 0, learner
        )
    order = AttemptOrder.from_json(attempt.order_json)
    answers: dict[str, object] = {}
    for n, qid in enumerate(order.questions):
        correct = by_id[qid].correct_index or 0
        good = right is None or n < right
        answers[answer_field(qid)] = correct if good else (correct + 1) % len(order.options[qid])
    async with services.unit() as unit:
        return await AttemptService(unit.session, unit.clock).submit_post_test(
            activity.id or 0, learner, attempt.id or 0, answers
        )


async def pass_post_test(
    services: Services, learner: User, activity: Activity
) -> AssessmentAttempt:
    return await take_post_test(services, learner, activity)


async def fail_post_test(
    services: Services, learner: User, activity: Activity
) -> AssessmentAttempt:
    return await take_post_test(services, learner, activity, right=0)


# -- one-question assessments, and attempts recorded at a moment --------------------------
OBJECTIVES = "The activity met its stated objectives."


async def _administrator(services: Services) -> User:
    """The first administrator: the author of ``add_evaluation`` and ``add_post_test``."""
    async with services.unit() as unit:
        found = await unit.session.exec(
            select(User).where(User.role == Role.ADMIN.value).order_by(col(User.id))
        )
        admin = found.first()
    assert admin is not None, "add an administrator first"
    return admin


async def add_evaluation(services: Services, activity: Activity) -> Assessment:
    """An evaluation of one required Likert item, ``OBJECTIVES``."""
    return await make_evaluation(
        services,
        await _administrator(services),
        activity,
        questions=[("likert", OBJECTIVES, True)],
        title="Activity evaluation",
    )


async def add_post_test(
    services: Services, activity: Activity, *, pass_percent: int = 80
) -> Assessment:
    """A post-test of one question, three attempts; ``record_post_test`` passes or fails it."""
    return await make_post_test(
        services,
        await _administrator(services),
        activity,
        questions=[("Which is right?", ("This", "That"), 0)],
        pass_percent=pass_percent,
        max_attempts=3,
    )


async def _record(
    services: Services,
    assessment: Assessment,
    user: User,
    answers: dict[str, int],
    at: datetime | None,
    **result: Any,
) -> AssessmentAttempt:
    moment = at or services.clock.now()
    async with services.unit() as unit:
        attempt = AssessmentAttempt(
            assessment_id=assessment.id or 0,
            user_id=user.id or 0,
            answers_json=json.dumps(answers),
            started_at=moment,
            submitted_at=moment,
            **result,
        )
        unit.session.add(attempt)
    return attempt


async def record_evaluation(
    services: Services, assessment: Assessment, user: User, at: datetime | None = None
) -> AssessmentAttempt:
    """``user``'s evaluation, submitted ``at`` (now by default)."""
    return await _record(services, assessment, user, {"1": 5}, at)


async def record_post_test(
    services: Services,
    assessment: Assessment,
    user: User,
    *,
    passed: bool,
    at: datetime | None = None,
    number: int = 1,
) -> AssessmentAttempt:
    """Attempt ``number`` at the post-test, submitted ``at`` (now by default): 100% or 0%."""
    return await _record(
        services,
        assessment,
        user,
        {"1": 0 if passed else 1},
        at,
        number=number,
        score_percent=100.0 if passed else 0.0,
        passed=passed,
    )
