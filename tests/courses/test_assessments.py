"""Assessments on SQLite and PostgreSQL: writing them (validation, the lock once learners have
answered), the evaluation once per learner, post-test attempts (order, limits, passing), and
what the credit rules and the CME office read."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

import pytest

from app.wiring import Services, Unit
from courses.assessment_authoring import AuthoringService
from courses.assessments import AssessmentLocked, AssessmentNotFound, AssessmentService
from courses.attempts import AttemptService
from courses.attendance import AttendanceService
from courses.errors import (
    ActivityNotFound,
    Conflict,
    InvalidInput,
    PermissionDenied,
    SessionNotYetOpen,
)
from courses.models import Activity, Assessment, AssessmentKind, Course, Role, User
from courses.scoring import AttemptOrder, answer_field
from tests.conftest import START, MovableClock
from tests.factories.assessments import (
    fail_post_test,
    make_evaluation,
    make_post_test,
    pass_post_test,
    questions_of,
    standard_answers,
    submit_evaluation,
    take_post_test,
)
from tests.factories.catalog import make_course, make_live, make_on_demand
from tests.factories.people import make_user

EVAL = AssessmentKind.EVALUATION
TEST = AssessmentKind.POST_TEST


@dataclass
class Scene:
    course: Course
    live: Activity
    module: Activity
    faculty: User
    other_faculty: User
    learner: User
    stranger: User
    admin: User


@pytest.fixture
async def scene(services: Services, admin: User) -> Scene:
    faculty = await make_user(services, Role.FACULTY, name="Fay Faculty")
    other = await make_user(services, Role.FACULTY, name="Otto Other")
    course = await make_course(services, admin, faculty_ids=[faculty.id])
    live = await make_live(services, admin, course, starts_at=START + timedelta(hours=1))
    module = await make_on_demand(services, admin, course, title="Sepsis module")
    learner = await make_user(services, name="Lee Learner")
    stranger = await make_user(services, name="Sam Stranger")
    async with services.unit() as unit:
        await unit.enrollment.enroll(course.id or 0, learner.id or 0, actor=learner)
    return Scene(course, live, module, faculty, other, learner, stranger, admin)


def authoring(unit: Unit) -> AuthoringService:
    return AuthoringService(unit.session, unit.clock)


async def save(
    services: Services,
    scene: Scene,
    kind: AssessmentKind,
    data: Mapping[str, object],
    actor: User | None = None,
) -> Assessment:
    async with services.unit() as unit:
        return await authoring(unit).save(scene.module.id or 0, kind, data, actor or scene.faculty)


async def add_question(
    services: Services,
    activity: Activity,
    kind: AssessmentKind,
    data: Mapping[str, object],
    actor: User,
) -> object:
    async with services.unit() as unit:
        return await authoring(unit).add_question(activity.id or 0, kind, data, actor)


# -- writing ---------------------------------------------------------------------------------
async def test_the_standard_evaluation_comes_in_one_step(services: Services, scene: Scene) -> None:
    await make_evaluation(services, scene.faculty, scene.live)
    questions = await questions_of(services, scene.live, EVAL)
    assert [(q.kind, q.prompt, q.required) for q in questions] == [
        ("likert", "The activity met its stated objectives.", True),
        ("likert", "The content was free of commercial bias.", True),
        ("likert", "I will change my practice as a result of this activity.", True),
        ("text", "What will you change?", True),
        ("text", "Suggestions", False),
    ]
    with pytest.raises(Conflict, match="has an evaluation already"):
        await make_evaluation(services, scene.faculty, scene.live)


async def test_only_the_courses_faculty_and_administrators_write_assessments(
    services: Services, scene: Scene
) -> None:
    for outsider in (scene.other_faculty, scene.learner):
        with pytest.raises(PermissionDenied):
            await make_evaluation(services, outsider, scene.module)
    await make_evaluation(services, scene.admin, scene.module)


async def test_live_sessions_have_no_post_test(services: Services, scene: Scene) -> None:
    async with services.unit() as unit:
        with pytest.raises(InvalidInput) as caught:
            await authoring(unit).save(
                scene.live.id or 0, TEST, {"title": "Quiz", "pass_percent": "80"}, scene.faculty
            )
    assert caught.value.errors["kind"].startswith("Live sessions have no post-test")


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"title": "", "pass_percent": "80"}, {"title": "Give the post-test a title."}),
        (
            {"title": "T", "pass_percent": ""},
            {"pass_percent": "Give the pass mark as a whole percent from 1 to 100."},
        ),
        (
            {"title": "T", "pass_percent": "0"},
            {"pass_percent": "Give the pass mark as a whole percent from 1 to 100."},
        ),
        (
            {"title": "T", "pass_percent": "101"},
            {"pass_percent": "Give the pass mark as a whole percent from 1 to 100."},
        ),
        (
            {"title": "T", "pass_percent": "80", "max_attempts": "11"},
            {
                "max_attempts": "Allow from 1 to 10 attempts, or leave it empty for unlimited "
                "attempts."
            },
        ),
        (
            {"title": "T", "pass_percent": "80", "max_attempts": "0"},
            {
                "max_attempts": "Allow from 1 to 10 attempts, or leave it empty for unlimited "
                "attempts."
            },
        ),
        (
            {"title": "T" * 201, "pass_percent": "80"},
            {"title": "Keep the title under 200 characters."},
        ),
    ],
)
async def test_post_test_settings_are_checked(
    services: Services, scene: Scene, data: dict[str, object], errors: dict[str, str]
) -> None:
    with pytest.raises(InvalidInput) as caught:
        await save(services, scene, TEST, data)
    assert caught.value.errors == errors


async def test_post_test_settings_are_kept(services: Services, scene: Scene) -> None:
    row = await save(
        services,
        scene,
        TEST,
        {"title": " Sepsis quiz ", "pass_percent": "80", "max_attempts": "", "shuffle": "on"},
    )
    assert (row.title, row.pass_percent, row.max_attempts, row.shuffle) == (
        "Sepsis quiz",
        80,
        None,
        True,
    )
    row = await save(
        services, scene, TEST, {"title": "Sepsis quiz", "pass_percent": "70", "max_attempts": "2"}
    )
    assert (row.pass_percent, row.max_attempts, row.shuffle) == (70, 2, False)
    async with services.unit() as unit:
        stored = await AssessmentService(unit.session, unit.clock).post_test(scene.module.id or 0)
    assert stored is not None and stored.id == row.id and stored.max_attempts == 2


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"prompt": "", "options": ["A", "B"], "correct": 1}, {"prompt": "Write the question."}),
        ({"prompt": "Q", "options": ["A"], "correct": 1}, {"options": "Give at least 2 options."}),
        (
            {"prompt": "Q", "options": ["A", "  ", ""], "correct": 1},
            {"options": "Give at least 2 options."},
        ),
        (
            {"prompt": "Q", "options": [str(n) for n in range(9)], "correct": 1},
            {"options": "Give at most 8 options."},
        ),
        (
            {"prompt": "Q", "options": ["Yes", "yes"], "correct": 1},
            {"options": "Two options read the same: make each one different."},
        ),
        (
            {"prompt": "Q", "options": ["A", "B"], "correct": 3},
            {"correct": "Choose the correct option: a number from 1 to 2."},
        ),
        (
            {"prompt": "Q", "options": ["A", "B"], "correct": 0},
            {"correct": "Choose the correct option: a number from 1 to 2."},
        ),
        (
            {"prompt": "Q", "options": ["A", "B"], "correct": "x"},
            {"correct": "Choose the correct option: a number from 1 to 2."},
        ),
        (
            {"prompt": "Q", "options": ["A", "B"], "correct": ""},
            {"correct": "Mark the correct option."},
        ),
        (
            {"prompt": "Q", "options": ["A", "", "C"], "correct": 2},
            {"correct": "The option marked correct is empty: mark one you wrote."},
        ),
        (
            {"prompt": "Q", "options": ["A", "B" * 301], "correct": 1},
            {"options": "Keep each option under 300 characters."},
        ),
        (
            {"prompt": "Q" * 1001, "options": ["A", "B"], "correct": 1},
            {"prompt": "Keep the question under 1000 characters."},
        ),
        (
            {"kind": "likert", "prompt": "Q", "options": ["A", "B"], "correct": 1},
            {"kind": "Post-test questions have options with one right answer."},
        ),
    ],
)
async def test_post_test_questions_are_checked(
    services: Services, scene: Scene, data: dict[str, object], errors: dict[str, str]
) -> None:
    await make_post_test(services, scene.faculty, scene.module, questions=())
    with pytest.raises(InvalidInput) as caught:
        await add_question(services, scene.module, TEST, data, scene.faculty)
    assert caught.value.errors == errors


async def test_blank_option_fields_close_up_and_the_marked_one_stays_correct(
    services: Services, scene: Scene
) -> None:
    await make_post_test(services, scene.faculty, scene.module, questions=())
    form = {
        "prompt": "Which drug?",
        "option_1": "Aspirin",
        "option_2": "",
        "option_3": "Heparin",
        "option_4": "Warfarin",
        "correct": "3",
    }
    await add_question(services, scene.module, TEST, form, scene.faculty)
    (question,) = await questions_of(services, scene.module, TEST)
    assert json.loads(question.options_json) == ["Aspirin", "Heparin", "Warfarin"]
    assert question.correct_index == 1


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"kind": "likert", "prompt": "  "}, {"prompt": "Write the question."}),
        (
            {"kind": "choice", "prompt": "Q"},
            {
                "kind": "An evaluation question is a Likert item (strongly disagree to strongly "
                "agree) or free text."
            },
        ),
    ],
)
async def test_evaluation_questions_are_checked(
    services: Services, scene: Scene, data: dict[str, object], errors: dict[str, str]
) -> None:
    await make_evaluation(services, scene.faculty, scene.module, questions=())
    with pytest.raises(InvalidInput) as caught:
        await add_question(services, scene.module, EVAL, data, scene.faculty)
    assert caught.value.errors == errors


async def test_questions_change_until_a_learner_answers_then_are_locked(
    services: Services, scene: Scene
) -> None:
    await make_evaluation(services, scene.faculty, scene.module)
    first, *_ = await questions_of(services, scene.module, EVAL)
    async with services.unit() as unit:
        await authoring(unit).update_question(
            scene.module.id or 0,
            EVAL,
            first.id or 0,
            {"kind": "likert", "prompt": "The objectives were met.", "required": "on"},
            scene.faculty,
        )
    assert (await questions_of(services, scene.module, EVAL))[
        0
    ].prompt == "The objectives were met."
    await submit_evaluation(services, scene.learner, scene.module)
    async with services.unit() as unit:
        with pytest.raises(
            AssessmentLocked,
            match="1 learner has submitted this evaluation, so its questions can no longer change",
        ):
            await authoring(unit).update_question(
                scene.module.id or 0,
                EVAL,
                first.id or 0,
                {"kind": "text", "prompt": "Changed"},
                scene.faculty,
            )
    with pytest.raises(AssessmentLocked):
        await add_question(
            services, scene.module, EVAL, {"kind": "text", "prompt": "More?"}, scene.faculty
        )
    async with services.unit() as unit:
        with pytest.raises(AssessmentLocked):
            await authoring(unit).delete_question(
                scene.module.id or 0, EVAL, first.id or 0, scene.faculty
            )
        with pytest.raises(AssessmentLocked, match="cannot be removed"):
            await authoring(unit).delete(scene.module.id or 0, EVAL, scene.faculty)
    # the title and instructions may still be corrected
    row = await save(services, scene, EVAL, {"title": "Evaluation of the sepsis module"})
    assert row.title == "Evaluation of the sepsis module"
    assert len(await questions_of(services, scene.module, EVAL)) == 5


async def test_a_started_post_test_keeps_its_questions_and_pass_mark(
    services: Services, scene: Scene
) -> None:
    await make_post_test(services, scene.faculty, scene.module, pass_percent=75)
    async with services.unit() as unit:
        await AttemptService(unit.session, unit.clock).start_post_test(
            scene.module.id or 0, scene.learner
        )
    with pytest.raises(AssessmentLocked, match="Learners have made 1 attempt at this post-test"):
        await add_question(
            services,
            scene.module,
            TEST,
            {"prompt": "Q", "options": ["A", "B"], "correct": 1},
            scene.faculty,
        )
    with pytest.raises(InvalidInput) as caught:
        await save(services, scene, TEST, {"title": "Post-test", "pass_percent": "60"})
    assert "its pass mark stays at 75%" in caught.value.errors["pass_percent"]
    row = await save(
        services, scene, TEST, {"title": "Post-test", "pass_percent": "75", "max_attempts": "5"}
    )
    assert row.max_attempts == 5


async def test_an_unanswered_assessment_can_be_removed(services: Services, scene: Scene) -> None:
    await make_post_test(services, scene.faculty, scene.module)
    async with services.unit() as unit:
        await authoring(unit).delete(scene.module.id or 0, TEST, scene.faculty)
    async with services.unit() as unit:
        assert (
            await AssessmentService(unit.session, unit.clock).post_test(scene.module.id or 0)
            is None
        )
        with pytest.raises(AssessmentNotFound, match="has no post-test yet"):
            await authoring(unit).delete(scene.module.id or 0, TEST, scene.faculty)


async def test_a_question_of_another_assessment_is_not_found(
    services: Services, scene: Scene
) -> None:
    await make_evaluation(services, scene.faculty, scene.module)
    await make_post_test(services, scene.faculty, scene.module)
    evaluation_question = (await questions_of(services, scene.module, EVAL))[0]
    async with services.unit() as unit:
        with pytest.raises(AssessmentNotFound, match="is not part of this post-test"):
            await authoring(unit).delete_question(
                scene.module.id or 0, TEST, evaluation_question.id or 0, scene.faculty
            )


# -- the evaluation --------------------------------------------------------------------------
async def test_each_learner_submits_the_evaluation_once(services: Services, scene: Scene) -> None:
    await make_evaluation(services, scene.faculty, scene.module)
    async with services.unit() as unit:
        reading = AssessmentService(unit.session, unit.clock)
        assert not await reading.evaluation_submitted(scene.module.id or 0, scene.learner.id or 0)
    attempt = await submit_evaluation(services, scene.learner, scene.module)
    assert attempt.submitted_at == START
    async with services.unit() as unit:
        reading = AssessmentService(unit.session, unit.clock)
        assert await reading.evaluation_submitted(scene.module.id or 0, scene.learner.id or 0)
        assert not await reading.evaluation_submitted(scene.live.id or 0, scene.learner.id or 0)
    with pytest.raises(
        Conflict,
        match=r"You submitted this evaluation on .*; each learner "
        r"submits it once\.",
    ):
        await submit_evaluation(services, scene.learner, scene.module)


async def test_required_items_need_answers(services: Services, scene: Scene) -> None:
    await make_evaluation(services, scene.faculty, scene.module)
    questions = await questions_of(services, scene.module, EVAL)
    answers = standard_answers(questions)
    del answers[answer_field(questions[3].id or 0)]  # "What will you change?"
    answers[answer_field(questions[0].id or 0)] = "7"
    with pytest.raises(InvalidInput) as caught:
        await submit_evaluation(services, scene.learner, scene.module, answers)
    assert set(caught.value.errors) == {
        answer_field(questions[0].id or 0),
        answer_field(questions[3].id or 0),
    }
    async with services.unit() as unit:
        assert not await AssessmentService(unit.session, unit.clock).evaluation_submitted(
            scene.module.id or 0, scene.learner.id or 0
        )


async def test_a_live_sessions_evaluation_opens_when_it_starts(
    services: Services, scene: Scene, clock: MovableClock
) -> None:
    await make_evaluation(services, scene.faculty, scene.live)
    with pytest.raises(SessionNotYetOpen, match="The evaluation opens when the session starts"):
        await submit_evaluation(services, scene.learner, scene.live)
    assert scene.live.starts_at is not None
    clock.at = scene.live.starts_at
    await submit_evaluation(services, scene.learner, scene.live)


async def test_who_may_submit_the_evaluation(
    services: Services, scene: Scene, clock: MovableClock
) -> None:
    await make_evaluation(services, scene.faculty, scene.live)
    assert scene.live.starts_at is not None
    clock.at = scene.live.starts_at + timedelta(minutes=90)
    with pytest.raises(PermissionDenied, match="Only learners enrolled in this course submit"):
        await submit_evaluation(services, scene.stranger, scene.live)
    for staff in (scene.faculty, scene.admin):
        with pytest.raises(PermissionDenied, match="Faculty and administrators preview"):
            await submit_evaluation(services, staff, scene.live)
    # someone who attended and has withdrawn since still evaluates what they attended
    async with services.unit() as unit:
        await unit.enrollment.enroll(
            scene.course.id or 0, scene.stranger.id or 0, actor=scene.stranger
        )
        await AttendanceService(unit.session, unit.clock).joined(
            activity_id=scene.live.id or 0,
            room_id=f"activity-{scene.live.id}",
            participant_id="p-stranger",
            user_id=scene.stranger.id or 0,
            role="participant",
            at=scene.live.starts_at,
        )
        await unit.enrollment.withdraw(
            scene.course.id or 0, scene.stranger.id or 0, actor=scene.stranger
        )
    await submit_evaluation(services, scene.stranger, scene.live)


async def test_an_unpublished_courses_evaluation_does_not_exist_for_learners(
    services: Services, scene: Scene
) -> None:
    draft = await make_course(
        services, scene.admin, published=False, faculty_ids=[scene.faculty.id]
    )
    module = await make_on_demand(services, scene.admin, draft)
    await make_evaluation(services, scene.faculty, module)
    with pytest.raises(ActivityNotFound):
        await submit_evaluation(services, scene.learner, module)


async def test_an_evaluation_without_questions_cannot_be_submitted(
    services: Services, scene: Scene
) -> None:
    await make_evaluation(services, scene.faculty, scene.module, questions=())
    with pytest.raises(Conflict, match="not ready yet: it has no questions"):
        await submit_evaluation(services, scene.learner, scene.module, {})


async def test_the_summary_counts_what_learners_said(services: Services, scene: Scene) -> None:
    await make_evaluation(services, scene.faculty, scene.module)
    questions = await questions_of(services, scene.module, EVAL)
    learners = [scene.learner]
    for n in range(3):
        other = await make_user(services, name=f"Learner {n}")
        async with services.unit() as unit:
            await unit.enrollment.enroll(scene.course.id or 0, other.id or 0, actor=other)
        learners.append(other)
    for likert, learner in zip((5, 4, 2, 5), learners, strict=True):
        answers = standard_answers(questions, likert)
        answers[answer_field(questions[4].id or 0)] = f"Suggestion {likert}"
        await submit_evaluation(services, learner, scene.module, answers)
    async with services.unit() as unit:
        reading = AssessmentService(unit.session, unit.clock)
        summary = await reading.evaluation_summary(scene.module.id or 0)
        responses = await reading.responses(scene.module.id or 0)
        empty = await reading.evaluation_summary(scene.live.id or 0)
    assert summary.responses == 4
    assert [i.counts for i in summary.likert] == [(0, 1, 0, 1, 2)] * 3
    assert str(summary.likert[0].mean) == "4.00"
    assert str(summary.likert[0].percent_agree) == "75.0"
    assert summary.text[0].answers == ("More case discussion.",) * 4
    assert summary.text[1].answers == (
        "Suggestion 5",
        "Suggestion 4",
        "Suggestion 2",
        "Suggestion 5",
    )
    assert [r.name for r in responses] == ["Lee Learner", "Learner 0", "Learner 1", "Learner 2"]
    assert not empty.has_evaluation and empty.responses == 0


# -- the post-test ---------------------------------------------------------------------------
def seeded(unit: Unit, seed: int) -> AttemptService:
    return AttemptService(unit.session, unit.clock, rng=lambda: random.Random(seed))


async def test_an_attempts_order_is_stored_and_the_same_on_every_visit(
    services: Services, scene: Scene
) -> None:
    await make_post_test(services, scene.faculty, scene.module, shuffle=True)
    authored = [q.id for q in await questions_of(services, scene.module, TEST)]
    async with services.unit() as unit:
        attempt = await seeded(unit, 6).start_post_test(scene.module.id or 0, scene.learner)
    order = AttemptOrder.from_json(attempt.order_json)
    assert list(order.questions) == authored[::-1]  # what seed 6 does to four questions
    async with services.unit() as unit:
        # starting again (a reload, a second tab) returns the same attempt, in the same order
        again = await seeded(unit, 99).start_post_test(scene.module.id or 0, scene.learner)
        page = await AttemptService(unit.session, unit.clock).post_test_page(
            scene.module.id or 0, scene.learner
        )
    assert again.id == attempt.id and again.order_json == attempt.order_json
    assert page.open is not None
    assert [s.question.id for s in page.open.questions] == list(order.questions)
    for shown in page.open.questions:
        options = json.loads(shown.question.options_json)
        assert shown.options == [(i, options[i]) for i in order.options[shown.question.id or 0]]


async def test_without_shuffling_the_authors_order_is_shown(
    services: Services, scene: Scene
) -> None:
    await make_post_test(services, scene.faculty, scene.module, shuffle=False)
    authored = [q.id for q in await questions_of(services, scene.module, TEST)]
    async with services.unit() as unit:
        attempt = await seeded(unit, 11).start_post_test(scene.module.id or 0, scene.learner)
    order = AttemptOrder.from_json(attempt.order_json)
    assert list(order.questions) == authored
    assert all(list(o) == sorted(o) for o in order.options.values())


async def test_answers_are_scored_by_original_option_whatever_the_shuffle(
    services: Services, scene: Scene, clock: MovableClock
) -> None:
    await make_post_test(services, scene.faculty, scene.module, pass_percent=75)
    clock.at = START + timedelta(minutes=40)
    attempt = await take_post_test(services, scene.learner, scene.module, right=3)
    assert attempt.submitted_at == clock.at
    assert (attempt.score_percent, attempt.passed) == (75.0, True)
    stored = json.loads(attempt.answers_json)
    by_id = {q.id: q for q in await questions_of(services, scene.module, TEST)}
    assert sum(1 for qid, a in stored.items() if by_id[int(qid)].correct_index == a) == 3
    async with services.unit() as unit:
        passed_at = await AssessmentService(unit.session, unit.clock).post_test_passed_at(
            scene.module.id or 0, scene.learner.id or 0
        )
    assert passed_at == clock.at


async def test_the_attempt_limit(services: Services, scene: Scene, clock: MovableClock) -> None:
    await make_post_test(services, scene.faculty, scene.module, max_attempts=3)
    for n in range(1, 4):
        clock.at = START + timedelta(minutes=n)
        attempt = await fail_post_test(services, scene.learner, scene.module)
        assert (attempt.number, attempt.passed, attempt.score_percent) == (n, False, 0.0)
    async with services.unit() as unit:
        page = await AttemptService(unit.session, unit.clock).post_test_page(
            scene.module.id or 0, scene.learner
        )
        assert page.attempts_left == 0 and not page.can_start and page.shows_answers
        with pytest.raises(
            Conflict, match=re.escape("You have used all 3 attempts at this post-test.")
        ):
            await AttemptService(unit.session, unit.clock).start_post_test(
                scene.module.id or 0, scene.learner
            )
        # a resubmission of the last attempt says so too
        with pytest.raises(
            Conflict,
            match=re.escape("Attempt 3 was submitted already. You have used all 3 attempts"),
        ):
            await AttemptService(unit.session, unit.clock).submit_post_test(
                scene.module.id or 0, scene.learner, attempt.id or 0, {}
            )
        assert (
            await AssessmentService(unit.session, unit.clock).post_test_passed_at(
                scene.module.id or 0, scene.learner.id or 0
            )
            is None
        )


async def test_an_attempt_left_open_past_a_lowered_limit_cannot_be_submitted(
    services: Services, scene: Scene
) -> None:
    await make_post_test(services, scene.faculty, scene.module, max_attempts=3)
    await fail_post_test(services, scene.learner, scene.module)
    async with services.unit() as unit:
        attempt = await AttemptService(unit.session, unit.clock).start_post_test(
            scene.module.id or 0, scene.learner
        )
    await save(
        services, scene, TEST, {"title": "Post-test", "pass_percent": "75", "max_attempts": "1"}
    )
    with pytest.raises(Conflict, match="You have used all 1 attempt at this post-test"):
        async with services.unit() as unit:
            await AttemptService(unit.session, unit.clock).submit_post_test(
                scene.module.id or 0, scene.learner, attempt.id or 0, {}
            )


async def test_after_passing_there_is_nothing_more_to_take(
    services: Services, scene: Scene, clock: MovableClock
) -> None:
    await make_post_test(services, scene.faculty, scene.module, max_attempts=None)
    await fail_post_test(services, scene.learner, scene.module)
    clock.at = START + timedelta(minutes=30)
    await pass_post_test(services, scene.learner, scene.module)
    clock.at = START + timedelta(minutes=60)
    async with services.unit() as unit:
        attempts = AttemptService(unit.session, unit.clock)
        with pytest.raises(Conflict, match=r"You have passed already \(100\.0% on attempt 2\)"):
            await attempts.start_post_test(scene.module.id or 0, scene.learner)
        page = await attempts.post_test_page(scene.module.id or 0, scene.learner)
        assert page.passed is not None and page.passed.number == 2
        assert page.attempts_left is None and page.shows_answers
        assert await AssessmentService(unit.session, unit.clock).post_test_passed_at(
            scene.module.id or 0, scene.learner.id or 0
        ) == START + timedelta(minutes=30)


async def test_bad_submissions_are_refused_and_leave_the_attempt_open(
    services: Services, scene: Scene
) -> None:
    await make_post_test(services, scene.faculty, scene.module)
    async with services.unit() as unit:
        attempt = await AttemptService(unit.session, unit.clock).start_post_test(
            scene.module.id or 0, scene.learner
        )
    order = AttemptOrder.from_json(attempt.order_json)
    good = {answer_field(q): "0" for q in order.questions}
    first = answer_field(order.questions[0])
    evaluation_like = answer_field(max(order.questions) + 1000)
    for answers, field in (
        ({**good, first: "9"}, first),  # no such option
        ({**good, evaluation_like: "0"}, evaluation_like),  # not in this attempt
        ({k: v for k, v in good.items() if k != first}, first),  # unanswered
    ):
        async with services.unit() as unit:
            with pytest.raises(InvalidInput) as caught:
                await AttemptService(unit.session, unit.clock).submit_post_test(
                    scene.module.id or 0, scene.learner, attempt.id or 0, answers
                )
        assert field in caught.value.errors
    async with services.unit() as unit:
        with pytest.raises(AssessmentNotFound, match="You have no attempt"):
            await AttemptService(unit.session, unit.clock).submit_post_test(
                scene.module.id or 0, scene.learner, (attempt.id or 0) + 1, good
            )
    async with services.unit() as unit:
        done = await AttemptService(unit.session, unit.clock).submit_post_test(
            scene.module.id or 0, scene.learner, attempt.id or 0, good
        )
    assert done.submitted_at is not None
    async with services.unit() as unit:
        with pytest.raises(
            Conflict,
            match=re.escape("Attempt 1 was submitted already. Start a new attempt to try again."),
        ):
            await AttemptService(unit.session, unit.clock).submit_post_test(
                scene.module.id or 0, scene.learner, attempt.id or 0, good
            )


async def test_another_learners_attempt_is_not_theirs_to_submit(
    services: Services, scene: Scene
) -> None:
    await make_post_test(services, scene.faculty, scene.module)
    async with services.unit() as unit:
        await unit.enrollment.enroll(
            scene.course.id or 0, scene.stranger.id or 0, actor=scene.stranger
        )
        attempt = await AttemptService(unit.session, unit.clock).start_post_test(
            scene.module.id or 0, scene.learner
        )
    with pytest.raises(AssessmentNotFound, match=f"You have no attempt {attempt.id}"):
        async with services.unit() as unit:
            await AttemptService(unit.session, unit.clock).submit_post_test(
                scene.module.id or 0, scene.stranger, attempt.id or 0, {}
            )


async def test_who_may_take_the_post_test(services: Services, scene: Scene) -> None:
    await make_post_test(services, scene.faculty, scene.module)
    for person, error, message in (
        (scene.stranger, PermissionDenied, "Only learners enrolled in this course take"),
        (scene.faculty, PermissionDenied, "Faculty and administrators preview the post-test"),
        (scene.admin, PermissionDenied, "Faculty and administrators preview the post-test"),
    ):
        with pytest.raises(error, match=message):
            await pass_post_test(services, person, scene.module)
    async with services.unit() as unit:
        with pytest.raises(AssessmentNotFound, match="This activity has no post-test"):
            await AttemptService(unit.session, unit.clock).start_post_test(
                scene.live.id or 0, scene.learner
            )
