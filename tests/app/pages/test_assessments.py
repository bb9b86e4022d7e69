"""The assessment pages through HTTP: faculty write the evaluation and post-test, learners take
them (pass mark first, attempts, one evaluation each), the CME office reads the summary."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import timedelta
from xml.etree import ElementTree

import pytest

from app.wiring import Services
from courses.models import Activity, AssessmentKind, Course, User
from tests.app.pages.conftest import SignedIn
from tests.app.pages.helpers import Cast, flashes, text_of
from tests.conftest import START, Client, MovableClock
from tests.factories.assessments import (
    fail_post_test,
    make_evaluation,
    make_post_test,
    questions_of,
    standard_answers,
    submit_evaluation,
)
from tests.factories.catalog import make_course, make_live, make_on_demand
from tests.factories.people import make_user


@pytest.fixture
async def course(services: Services, cast: Cast) -> Course:
    course = await make_course(
        services, cast.admin, title="Grand Rounds", faculty_ids=[cast.faculty.id]
    )
    async with services.unit() as unit:
        await unit.enrollment.enroll(course.id or 0, cast.learner.id or 0, actor=cast.learner)
    return course


@pytest.fixture
async def module(services: Services, cast: Cast, course: Course) -> Activity:
    return await make_on_demand(services, cast.admin, course, title="Sepsis module")


@pytest.fixture
async def live(services: Services, cast: Cast, course: Course) -> Activity:
    return await make_live(
        services, cast.admin, course, starts_at=START + timedelta(days=1), title="Stroke update"
    )


def error_of(page: str, form: str, name: str) -> str | None:
    found = re.search(
        rf'<p class="error" id="e-{re.escape(form)}-{re.escape(name)}">(.*?)</p>', page, re.S
    )
    return text_of(found.group(1)) if found else None


def shown_order(page: str) -> list[tuple[str, list[str]]]:
    """Each question's legend and its option labels, in page order."""
    found = []
    for block in re.findall(r"<fieldset[^>]*>(.*?)</fieldset>", page, re.S):
        legend = re.search(r"<legend>(.*?)</legend>", block, re.S)
        values = re.findall(r'<input type="radio" name="(q\d+)" value="(\d+)"', block)
        if legend and values:
            found.append((text_of(legend.group(1)), [v for _, v in values]))
    return found


# -- writing ---------------------------------------------------------------------------------
async def test_faculty_add_the_standard_evaluation_and_a_question(
    cast: Cast, module: Activity, signed_in: SignedIn
) -> None:
    http = await signed_in(cast.faculty)
    url = f"/admin/activities/{module.id}/assessments"
    page = (await http.get(url)).text
    assert "This activity has no evaluation yet." in text_of(page)
    assert "Add the standard CME evaluation" in page
    response = await http.form(f"{url}/evaluation/standard")
    assert response.status_code == 303 and response.headers["location"] == url
    page = (await http.get(url)).text
    text = text_of(page)
    assert "The standard evaluation is added" in " ".join(flashes(page))
    for prompt in (
        "The activity met its stated objectives.",
        "What will you change?",
        "Suggestions",
    ):
        assert prompt in text
    refused = await http.form(f"{url}/evaluation/questions", {"kind": "text", "prompt": "  "})
    assert refused.status_code == 422
    assert error_of(refused.text, "evaluation-new", "prompt") == "Write the question."
    added = await http.form(
        f"{url}/evaluation/questions",
        {"kind": "likert", "prompt": "The speaker was clear.", "required": "on"},
    )
    assert added.status_code == 303
    assert "The speaker was clear." in text_of((await http.get(url)).text)


async def test_post_test_questions_are_checked_on_the_page(
    cast: Cast, module: Activity, signed_in: SignedIn
) -> None:
    http = await signed_in(cast.faculty)
    url = f"/admin/activities/{module.id}/assessments"
    bad = await http.form(f"{url}/post-test", {"title": "Quiz", "pass_percent": "150"})
    assert bad.status_code == 422
    assert (
        error_of(bad.text, "post-test", "pass_percent")
        == "Give the pass mark as a whole percent from 1 to 100."
    )
    created = await http.form(
        f"{url}/post-test",
        {"title": "Quiz", "pass_percent": "80", "max_attempts": "2", "shuffle": "on"},
    )
    assert created.status_code == 303
    bad = await http.form(
        f"{url}/post-test/questions", {"prompt": "Which?", "option_1": "Only one", "correct": "4"}
    )
    assert bad.status_code == 422
    assert error_of(bad.text, "post-test-new", "options") == "Give at least 2 options."
    assert (
        error_of(bad.text, "post-test-new", "correct")
        == "Choose the correct option: a number from 1 to 2."
    )
    # what was typed comes back
    assert 'value="Only one"' in bad.text
    good = await http.form(
        f"{url}/post-test/questions",
        {"prompt": "Which?", "option_1": "Left", "option_2": "Right", "correct": "2"},
    )
    assert good.status_code == 303
    page = text_of((await http.get(url)).text)
    assert "Which?" in page and "Right (correct)" in page


async def test_live_sessions_say_they_have_no_post_test(
    cast: Cast, live: Activity, signed_in: SignedIn
) -> None:
    http = await signed_in(cast.faculty)
    url = f"/admin/activities/{live.id}/assessments"
    page = text_of((await http.get(url)).text)
    assert "Live sessions have no post-test: their credit comes from attendance." in page
    refused = await http.form(f"{url}/post-test", {"title": "Quiz", "pass_percent": "80"})
    assert refused.status_code == 422
    assert "Live sessions have no post-test" in text_of(refused.text)


async def test_questions_are_locked_once_a_learner_answered(
    services: Services, cast: Cast, module: Activity, signed_in: SignedIn
) -> None:
    await make_evaluation(services, cast.faculty, module)
    await submit_evaluation(services, cast.learner, module)
    question = (await questions_of(services, module, AssessmentKind.EVALUATION))[0]
    http = await signed_in(cast.faculty)
    url = f"/admin/activities/{module.id}/assessments"
    page = text_of((await http.get(url)).text)
    assert "1 learner has submitted this evaluation, so its questions can no longer change" in page
    assert "Add a question" not in page
    refused = await http.form(f"{url}/evaluation/questions/{question.id}/delete")
    assert refused.status_code == 303
    assert any("can no longer change" in f for f in flashes((await http.get(url)).text))
    assert len(await questions_of(services, module, AssessmentKind.EVALUATION)) == 5


async def test_an_unknown_kind_or_question_is_not_found(
    services: Services, cast: Cast, module: Activity, signed_in: SignedIn
) -> None:
    await make_evaluation(services, cast.faculty, module)
    http = await signed_in(cast.faculty)
    url = f"/admin/activities/{module.id}/assessments"
    response = await http.form(f"{url}/quiz", {"title": "Quiz"})
    assert response.status_code == 404
    assert "There is no “quiz” assessment" in text_of(response.text)
    response = await http.form(f"{url}/evaluation/questions/999999/delete")
    assert response.status_code == 404


# -- the evaluation --------------------------------------------------------------------------
async def test_a_learner_submits_the_evaluation_once(
    services: Services, cast: Cast, module: Activity, signed_in: SignedIn
) -> None:
    await make_evaluation(services, cast.faculty, module)
    questions = await questions_of(services, module, AssessmentKind.EVALUATION)
    http = await signed_in(cast.learner)
    url = f"/activities/{module.id}/evaluation"
    page = (await http.get(url)).text
    assert "Submit the evaluation" in page
    assert page.count('type="radio"') == 3 * 5  # three Likert items, five points each
    assert "Strongly disagree" in page and "Strongly agree" in page

    answers = standard_answers(questions)
    missing = {k: v for k, v in answers.items() if k != f"q{questions[3].id}"}
    refused = await http.form(url, missing)
    assert refused.status_code == 422
    assert "This question needs an answer." in text_of(refused.text)
    assert 'value="4" checked' in refused.text  # the answers given are kept

    done = await http.form(url, answers)
    assert done.status_code == 303 and done.headers["location"] == url
    page = (await http.get(url)).text
    assert "Thank you: your evaluation is recorded." in flashes(page)
    assert "You submitted this evaluation on" in text_of(page)
    assert "Submit the evaluation" not in page
    assert f'href="/activities/{module.id}/credit"' in page

    again = await http.form(url, answers)
    assert again.status_code == 409
    assert "each learner submits it once" in text_of(again.text)


async def test_faculty_preview_the_evaluation(
    services: Services, cast: Cast, module: Activity, signed_in: SignedIn
) -> None:
    await make_evaluation(services, cast.faculty, module)
    http = await signed_in(cast.faculty)
    page = (await http.get(f"/activities/{module.id}/evaluation")).text
    assert "Preview: this is what learners see." in text_of(page)
    assert "<fieldset disabled>" in page
    assert "Submit the evaluation" not in page


async def test_the_evaluation_of_a_live_session_waits_for_its_start(
    services: Services, cast: Cast, live: Activity, signed_in: SignedIn, clock: MovableClock
) -> None:
    await make_evaluation(services, cast.faculty, live)
    http = await signed_in(cast.learner)
    url = f"/activities/{live.id}/evaluation"
    assert "The evaluation opens when the session starts" in text_of((await http.get(url)).text)
    questions = await questions_of(services, live, AssessmentKind.EVALUATION)
    early = await http.form(url, standard_answers(questions))
    assert early.status_code == 409
    assert live.starts_at is not None
    clock.at = live.starts_at + timedelta(minutes=5)
    assert (await http.form(url, standard_answers(questions))).status_code == 303


async def test_someone_not_enrolled_is_told_how_to_take_part(
    services: Services, cast: Cast, module: Activity, signed_in: SignedIn
) -> None:
    await make_evaluation(services, cast.faculty, module)
    stranger = await make_user(services, name="Sam Stranger")
    http = await signed_in(stranger)
    page = text_of((await http.get(f"/activities/{module.id}/evaluation")).text)
    assert "Enroll in the course to take part." in page
    refused = await http.form(f"/activities/{module.id}/evaluation", {})
    assert refused.status_code == 403


# -- the post-test -------------------------------------------------------------------------
async def test_the_pass_mark_and_attempts_are_shown_before_starting(
    services: Services, cast: Cast, module: Activity, signed_in: SignedIn
) -> None:
    await make_post_test(services, cast.faculty, module, pass_percent=75, max_attempts=3)
    http = await signed_in(cast.learner)
    page = (await http.get(f"/activities/{module.id}/post-test")).text
    text = text_of(page)
    assert "Pass mark 75% of the answers correct" in text
    assert "Attempts left 3" in text
    assert "You pass with 75% of the answers correct. You have 3 attempts left." in text
    assert "Start the post-test" in text
    assert 'name="q' not in page  # no question before the start


async def test_an_attempt_keeps_its_order_and_is_scored(
    services: Services, cast: Cast, module: Activity, signed_in: SignedIn
) -> None:
    await make_post_test(services, cast.faculty, module, pass_percent=75, max_attempts=2)
    http = await signed_in(cast.learner)
    url = f"/activities/{module.id}/post-test"
    started = await http.form(f"{url}/start")
    assert started.status_code == 303 and started.headers["location"] == url
    first = (await http.get(url)).text
    order = shown_order(first)
    assert len(order) == 4
    assert shown_order((await http.get(url)).text) == order  # a reload shows the same
    again = await http.form(f"{url}/start")  # a second tab does not burn an attempt
    assert again.status_code == 303 and shown_order((await http.get(url)).text) == order

    attempt_id = re.search(r'name="attempt" value="(\d+)"', first)
    assert attempt_id
    questions = {q.id: q for q in await questions_of(services, module, AssessmentKind.POST_TEST)}
    field_ids = [int(name[1:]) for name in re.findall(r'name="(q\d+)"', first)[::1]]
    ids = list(dict.fromkeys(field_ids))
    # two right, two wrong: 50%, below the 75% pass mark
    answers: dict[str, object] = {"attempt": attempt_id.group(1)}
    for n, qid in enumerate(ids):
        correct = questions[qid].correct_index or 0
        answers[f"q{qid}"] = str(correct if n < 2 else (correct + 1) % 2)
    unanswered = await http.form(f"{url}/submit", {"attempt": attempt_id.group(1)})
    assert unanswered.status_code == 422
    assert "Answer every question before submitting" in text_of(
        unanswered.text
    ) or "has no answer" in text_of(unanswered.text)
    submitted = await http.form(f"{url}/submit", answers)
    assert submitted.status_code == 303
    page = (await http.get(url)).text
    text = text_of(page)
    assert "You did not pass this time: 50.0% on attempt 1." in flashes(page)
    assert "Attempt 1: 50.0% (2 of 4 correct): not passed" in text
    assert "The pass mark is 75%." in text
    assert "The right answers are not shown while you have attempts left." in text
    assert "(the right answer)" not in text
    assert "You have 1 attempt left." in text

    resubmitted = await http.form(f"{url}/submit", answers)
    assert resubmitted.status_code == 409
    assert "Attempt 1 was submitted already." in text_of(resubmitted.text)


async def test_after_the_last_attempt_the_answers_are_shown_and_no_more_allowed(
    services: Services, cast: Cast, module: Activity, signed_in: SignedIn
) -> None:
    await make_post_test(services, cast.faculty, module, max_attempts=2)
    await fail_post_test(services, cast.learner, module)
    await fail_post_test(services, cast.learner, module)
    http = await signed_in(cast.learner)
    url = f"/activities/{module.id}/post-test"
    text = text_of((await http.get(url)).text)
    assert "You have used all 2 attempts at this post-test without passing." in text
    assert "(the right answer)" in text
    assert "Start attempt" not in text
    refused = await http.form(f"{url}/start")
    assert refused.status_code == 409
    assert "You have used all 2 attempts at this post-test." in text_of(refused.text)


async def test_a_forged_answer_is_refused(
    services: Services, cast: Cast, module: Activity, signed_in: SignedIn
) -> None:
    await make_post_test(services, cast.faculty, module)
    http = await signed_in(cast.learner)
    url = f"/activities/{module.id}/post-test"
    await http.form(f"{url}/start")
    page = (await http.get(url)).text
    attempt_id = re.search(r'name="attempt" value="(\d+)"', page)
    assert attempt_id
    names = list(dict.fromkeys(re.findall(r'name="(q\d+)"', page)))
    answers: dict[str, object] = {"attempt": attempt_id.group(1), **dict.fromkeys(names, "0")}
    answers[names[0]] = "17"
    refused = await http.form(f"{url}/submit", answers)
    assert refused.status_code == 422
    assert "Choose one of the" in text_of(refused.text)
    bad_attempt = await http.form(f"{url}/submit", {**answers, "attempt": "x"})
    assert bad_attempt.status_code == 422
    assert "Start the post-test from its page" in text_of(bad_attempt.text)


async def test_faculty_preview_the_post_test_with_its_answers(
    services: Services, cast: Cast, module: Activity, signed_in: SignedIn
) -> None:
    await make_post_test(services, cast.faculty, module)
    http = await signed_in(cast.admin)
    text = text_of((await http.get(f"/activities/{module.id}/post-test")).text)
    assert "Preview: learners see these questions in a shuffled order" in text
    assert "Thiazide diuretic (correct)" in text
    refused = await http.form(f"/activities/{module.id}/post-test/start")
    assert refused.status_code == 403


# -- for the CME office ----------------------------------------------------------------------
async def _responses(services: Services, cast: Cast, course: Course, module: Activity) -> None:
    await make_evaluation(services, cast.faculty, module)
    questions = await questions_of(services, module, AssessmentKind.EVALUATION)
    people: list[User] = [cast.learner]
    for name in ("Ann Other", "Ben Third"):
        user = await make_user(services, name=name)
        async with services.unit() as unit:
            await unit.enrollment.enroll(course.id or 0, user.id or 0, actor=user)
        people.append(user)
    for likert, person in zip((5, 4, 1), people, strict=True):
        answers = standard_answers(questions, likert)
        answers[f"q{questions[3].id}"] = f"=Change {likert} <b>"
        await submit_evaluation(services, person, module, answers)


async def test_the_summary_page_draws_accessible_charts(
    services: Services, cast: Cast, course: Course, module: Activity, signed_in: SignedIn
) -> None:
    await _responses(services, cast, course, module)
    http = await signed_in(cast.faculty)
    page = (await http.get(f"/admin/activities/{module.id}/evaluation-summary")).text
    text = text_of(page)
    assert "3 evaluations submitted." in text
    assert page.count("<svg") == 3
    assert page.count('role="img"') == 3
    assert re.search(
        r"<title id=\"[^\"]+\">Answers to “The activity met its stated "
        r"objectives.”</title>",
        html.unescape(page),
    )
    assert (
        "Strongly disagree: 1 (33.3%); Disagree: 0 (0.0%); Neither agree nor disagree: "
        "0 (0.0%); Agree: 1 (33.3%); Strongly agree: 1 (33.3%). Mean 3.33 of 5; 66.7% agree "
        "or strongly agree."
    ) in text
    assert "mean 3.33 of 5 · 66.7% agree or strongly agree" in text
    assert "=Change 5 &lt;b&gt;" in page  # a learner's text is escaped, never markup
    for svg in re.findall(r"<svg.*?</svg>", page, re.S):  # each chart is well-formed SVG
        root = ElementTree.fromstring(svg)  # noqa: S314 (our own page)
        assert root.find("{http://www.w3.org/2000/svg}title") is not None
        widths = [float(r.get("width", "")) for r in root.iter("{http://www.w3.org/2000/svg}rect")]
        assert len(widths) == 5 and max(widths) <= 220
    assert "without the respondents' names" in text
    assert "<script" not in page


async def test_the_responses_csv_names_respondents_for_administrators_only(
    services: Services, cast: Cast, course: Course, module: Activity, signed_in: SignedIn
) -> None:
    await _responses(services, cast, course, module)
    url = f"/admin/activities/{module.id}/evaluations.csv"
    admin = await signed_in(cast.admin)
    response = await admin.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0][:4] == [
        "submitted_at",
        "name",
        "email",
        "Q1. The activity met its stated objectives.",
    ]
    assert [r[1] for r in rows[1:]] == ["Lea Learner", "Ann Other", "Ben Third"]
    assert rows[1][3] == "5 (Strongly agree)"
    assert rows[1][6] == "'=Change 5 <b>"  # a formula is defused
    faculty = await signed_in(cast.faculty)
    rows = list(csv.reader(io.StringIO((await faculty.get(url)).text)))
    assert "name" not in rows[0] and "email" not in rows[0]
    assert all("Lea Learner" not in cell for row in rows for cell in row)


async def test_no_evaluation_and_no_responses_are_said_plainly(
    services: Services, cast: Cast, module: Activity, live: Activity, signed_in: SignedIn
) -> None:
    await make_evaluation(services, cast.faculty, live)
    http = await signed_in(cast.admin)
    assert "This activity has no evaluation." in text_of(
        (await http.get(f"/admin/activities/{module.id}/evaluation-summary")).text
    )
    assert "No evaluations have been submitted yet." in text_of(
        (await http.get(f"/admin/activities/{live.id}/evaluation-summary")).text
    )


async def test_outsiders_cannot_read_the_summary(
    cast: Cast, module: Activity, signed_in: SignedIn
) -> None:
    for person in (cast.learner, cast.other_faculty):
        http: Client = await signed_in(person)
        assert (
            await http.get(f"/admin/activities/{module.id}/evaluation-summary")
        ).status_code == 403
        assert (await http.get(f"/admin/activities/{module.id}/evaluations.csv")).status_code == 403
