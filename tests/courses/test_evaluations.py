"""The evaluation without a database: checking answers, the summary's arithmetic, the CSV rows."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from courses.errors import InvalidInput
from courses.evaluations import (
    EvaluationResponse,
    LikertSummary,
    dump_answers,
    load_answers,
    parse_answers,
    response_rows,
    summarise,
)
from courses.models import Assessment, AssessmentAttempt, Question

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
OBJECTIVES = Question(
    id=1,
    assessment_id=9,
    position=1,
    kind="likert",
    prompt="The activity met its stated objectives.",
    required=True,
)
BIAS = Question(
    id=2,
    assessment_id=9,
    position=2,
    kind="likert",
    prompt="The content was free of commercial bias.",
    required=False,
)
CHANGE = Question(
    id=3, assessment_id=9, position=3, kind="text", prompt="What will you change?", required=True
)
SUGGEST = Question(
    id=4, assessment_id=9, position=4, kind="text", prompt="Suggestions", required=False
)
QUESTIONS = [OBJECTIVES, BIAS, CHANGE, SUGGEST]
EVALUATION = Assessment(
    id=9,
    activity_id=5,
    kind="evaluation",
    title="Activity evaluation",
    created_at=NOW,
    updated_at=NOW,
)


def attempt(answers: dict[int, int | str], *, submitted: bool = True) -> AssessmentAttempt:
    return AssessmentAttempt(
        assessment_id=9,
        user_id=1,
        answers_json=dump_answers(answers),
        started_at=NOW,
        submitted_at=NOW if submitted else None,
    )


def test_answers_are_read_and_optional_blanks_left_out() -> None:
    answers = parse_answers({"q1": "5", "q2": "", "q3": "  Screen earlier.  ", "q4": ""}, QUESTIONS)
    assert answers == {1: 5, 3: "Screen earlier."}


@pytest.mark.parametrize(
    ("raw", "errors"),
    [
        ({"q1": "", "q3": "x"}, {"q1": "This question needs an answer."}),
        ({"q3": "x"}, {"q1": "This question needs an answer."}),
        ({"q1": "4", "q3": "   "}, {"q3": "This question needs an answer."}),
        (
            {"q1": "0", "q3": "x"},
            {"q1": "Choose one of the five answers, from strongly disagree to strongly agree."},
        ),
        (
            {"q1": "6", "q3": "x"},
            {"q1": "Choose one of the five answers, from strongly disagree to strongly agree."},
        ),
        (
            {"q1": "4.5", "q3": "x"},
            {"q1": "Choose one of the five answers, from strongly disagree to strongly agree."},
        ),
        (
            {"q1": "4", "q3": "x" * 2001},
            {"q3": "Keep this answer under 2000 characters (it has 2001)."},
        ),
        ({"q1": "4", "q3": "x", "q77": "5"}, {"q77": "This is not a question of this evaluation."}),
        (
            {"q1": "4", "q3": "x", "name": "Eve"},
            {"name": "This is not a question of this evaluation."},
        ),
    ],
)
def test_bad_answers_are_refused_with_a_message_per_question(
    raw: dict[str, object], errors: dict[str, str]
) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_answers(raw, QUESTIONS)
    assert caught.value.errors == errors


def test_an_answer_of_exactly_2000_characters_is_kept() -> None:
    assert parse_answers({"q1": "3", "q3": "y" * 2000}, QUESTIONS)[3] == "y" * 2000


def test_stored_answers_round_trip_and_damage_is_skipped() -> None:
    assert load_answers(dump_answers({1: 4, 3: "text"})) == {1: 4, 3: "text"}
    assert load_answers("not json") == {}
    assert load_answers("[1]") == {}
    assert load_answers('{"1": true, "x": 3, "2": 5}') == {2: 5}


def test_the_summary_counts_means_and_agreement() -> None:
    attempts = [
        attempt({1: 5, 2: 4, 3: "Order fewer scans."}),
        attempt({1: 4, 2: 2, 3: "Use the checklist.", 4: "Longer Q&A"}),
        attempt({1: 2, 3: "Nothing."}),  # skipped the optional item
        attempt({1: 5, 2: 5, 3: "Screen earlier."}),
        attempt({1: 1, 2: 3}, submitted=False),  # never submitted: not counted
    ]
    summary = summarise(5, EVALUATION, QUESTIONS, attempts)
    assert summary.responses == 4
    assert summary.title == "Activity evaluation"
    objectives, bias = summary.likert
    assert objectives.counts == (0, 1, 0, 1, 2)
    assert objectives.answered == 4
    assert objectives.mean == Decimal("4.00")  # (2 + 4 + 5 + 5) / 4
    assert objectives.percent_agree == Decimal("75.0")
    assert bias.counts == (0, 1, 0, 1, 1)
    assert bias.answered == 3  # optional: one learner left it
    assert bias.mean == Decimal("3.67")  # 11 / 3, rounded half up
    assert bias.percent_agree == Decimal("66.7")
    change, suggestions = summary.text
    assert change.answers == (
        "Order fewer scans.",
        "Use the checklist.",
        "Nothing.",
        "Screen earlier.",
    )
    assert suggestions.answers == ("Longer Q&A",)
    assert [i.question_id for i in summary.items] == [1, 2, 3, 4]


def test_chart_rows_give_each_point_its_share() -> None:
    item = LikertSummary(1, "p", (1, 0, 0, 1, 1))
    assert item.rows == [
        ("Strongly disagree", 1, Decimal("33.3")),
        ("Disagree", 0, Decimal("0.0")),
        ("Neither agree nor disagree", 0, Decimal("0.0")),
        ("Agree", 1, Decimal("33.3")),
        ("Strongly agree", 1, Decimal("33.3")),
    ]


def test_a_summary_without_answers_or_without_an_evaluation() -> None:
    empty = summarise(5, EVALUATION, QUESTIONS, [])
    assert empty.responses == 0 and empty.has_evaluation
    assert empty.likert[0].mean is None and empty.likert[0].percent_agree is None
    assert all(row[2] == Decimal("0.0") for row in empty.likert[0].rows)
    none = summarise(5, None, [], [])
    assert not none.has_evaluation and none.items == ()


def test_response_rows_name_respondents_only_when_asked() -> None:
    responses = [
        EvaluationResponse(NOW, "Lee Learner", "lee@example.org", {1: 4, 3: "=HYPERLINK(1)"})
    ]
    header, rows = response_rows(QUESTIONS, responses, identified=True)
    assert header == [
        "submitted_at",
        "name",
        "email",
        "Q1. The activity met its stated objectives.",
        "Q2. The content was free of commercial bias.",
        "Q3. What will you change?",
        "Q4. Suggestions",
    ]
    assert rows == [
        [
            "2026-12-01T12:00:00+00:00",
            "Lee Learner",
            "lee@example.org",
            "4 (Agree)",
            "",
            "=HYPERLINK(1)",
            "",
        ]
    ]
    header, rows = response_rows(QUESTIONS, responses, identified=False)
    assert "name" not in header and "email" not in header
    assert rows == [["2026-12-01T12:00:00+00:00", "4 (Agree)", "", "=HYPERLINK(1)", ""]]
