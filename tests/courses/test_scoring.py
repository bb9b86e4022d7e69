"""Post-test attempts without a database: the shown order, reading answers back, the score."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from courses.errors import InvalidInput
from courses.scoring import (
    AttemptOrder,
    answer_field,
    attempt_order,
    parse_choices,
    question_id_of,
    score,
)

QUESTIONS = [(11, 4), (12, 3), (13, 4), (14, 2), (15, 5)]
CORRECT: dict[int, int | None] = {11: 0, 12: 1, 13: 2, 14: 1, 15: 4}

question_sets = st.lists(
    st.tuples(st.integers(1, 10_000), st.integers(2, 8)),
    min_size=1,
    max_size=20,
    unique_by=lambda q: q[0],
)


def test_without_shuffling_the_authors_order_is_kept() -> None:
    order = attempt_order(QUESTIONS, shuffle=False, rng=random.Random(1))
    assert order.questions == (11, 12, 13, 14, 15)
    assert order.options == {
        11: (0, 1, 2, 3),
        12: (0, 1, 2),
        13: (0, 1, 2, 3),
        14: (0, 1),
        15: (0, 1, 2, 3, 4),
    }


def test_a_shuffled_order_is_set_by_the_generator_and_survives_storage() -> None:
    first = attempt_order(QUESTIONS, shuffle=True, rng=random.Random(2026))
    again = attempt_order(QUESTIONS, shuffle=True, rng=random.Random(2026))
    other = attempt_order(QUESTIONS, shuffle=True, rng=random.Random(7))
    assert first == again
    assert first != other
    assert first.questions != (11, 12, 13, 14, 15)
    assert AttemptOrder.from_json(first.to_json()) == first


@given(question_sets, st.randoms(use_true_random=False))
def test_shuffling_shows_every_question_and_option_exactly_once(
    questions: list[tuple[int, int]], rng: random.Random
) -> None:
    order = attempt_order(questions, shuffle=True, rng=rng)
    assert sorted(order.questions) == sorted(q for q, _ in questions)
    for qid, count in questions:
        assert sorted(order.options[qid]) == list(range(count))
    assert AttemptOrder.from_json(order.to_json()) == order


@given(question_sets, st.randoms(use_true_random=False), st.data())
def test_the_score_does_not_depend_on_the_order_shown(
    questions: list[tuple[int, int]], rng: random.Random, data: st.DataObject
) -> None:
    correct = {qid: data.draw(st.integers(0, count - 1)) for qid, count in questions}
    chosen = {qid: data.draw(st.integers(0, count - 1)) for qid, count in questions}
    plain = attempt_order(questions, shuffle=False, rng=rng)
    shuffled = attempt_order(questions, shuffle=True, rng=rng)
    assert score(plain, chosen, correct, 50) == score(shuffled, chosen, correct, 50)
    perfect = score(shuffled, correct, correct, 100)
    assert perfect.correct == perfect.total == len(questions)
    assert perfect.percent == Decimal("100.0") and perfect.passed


def test_answers_given_in_a_shuffled_order_are_read_as_original_indices() -> None:
    order = attempt_order(QUESTIONS, shuffle=True, rng=random.Random(5))
    # the learner picks, for each question, whatever is shown FIRST
    picked = {answer_field(q): str(order.options[q][0]) for q in order.questions}
    answers = parse_choices(picked, order)
    assert answers == {q: order.options[q][0] for q in order.questions}
    expected = sum(1 for q in order.questions if order.options[q][0] == CORRECT[q])
    assert score(order, answers, CORRECT, 60).correct == expected


@pytest.mark.parametrize(
    ("right", "total", "pass_percent", "percent", "passed"),
    [
        (3, 4, 75, "75.0", True),  # exactly the pass mark passes
        (2, 3, 67, "66.7", False),  # 66.67% does not reach 67%, whatever the rounding shows
        (2, 3, 66, "66.7", True),
        (4, 5, 80, "80.0", True),
        (3, 5, 80, "60.0", False),
        (0, 4, 1, "0.0", False),
        (7, 7, 100, "100.0", True),
        (6, 7, 100, "85.7", False),
    ],
)
def test_the_pass_mark_is_compared_exactly(
    right: int, total: int, pass_percent: int, percent: str, passed: bool
) -> None:
    ids = list(range(1, total + 1))
    order = AttemptOrder(tuple(ids), {q: (0, 1) for q in ids})
    correct: dict[int, int | None] = dict.fromkeys(ids, 1)
    answers = {q: (1 if n < right else 0) for n, q in enumerate(ids)}
    result = score(order, answers, correct, pass_percent)
    assert (result.correct, result.total) == (right, total)
    assert result.percent == Decimal(percent)
    assert result.passed is passed


def test_every_question_needs_an_answer() -> None:
    order = attempt_order(QUESTIONS, shuffle=False, rng=random.Random(0))
    with pytest.raises(InvalidInput) as caught:
        parse_choices({answer_field(11): "0", answer_field(12): "1"}, order)
    assert set(caught.value.errors) == {answer_field(q) for q in (13, 14, 15)}
    assert caught.value.errors[answer_field(13)] == "Question 3 has no answer."
    assert "3 are still unanswered" in caught.value.message


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("q14", "2", "Choose one of the 2 options."),  # out of range: 0 and 1 only
        ("q14", "-1", "Choose one of the 2 options."),
        ("q14", "x", "Choose one of the 2 options."),
        ("q14", "", "Choose one of the 2 options."),
        ("q99", "0", "This question is not part of your attempt."),
        ("q011", "0", "This question is not part of your attempt."),
        ("attempt", "1", "This question is not part of your attempt."),
    ],
)
def test_answers_outside_the_attempt_are_refused(field: str, value: str, message: str) -> None:
    order = attempt_order(QUESTIONS, shuffle=False, rng=random.Random(0))
    answers: dict[str, object] = {answer_field(q): "0" for q in order.questions}
    answers[field] = value
    with pytest.raises(InvalidInput) as caught:
        parse_choices(answers, order)
    assert caught.value.errors == {field: message}


def test_answer_fields_name_question_ids() -> None:
    assert question_id_of(answer_field(42)) == 42
    for bad in ("q", "q0", "q01", "qx", "42", "q1234567890", "csrf_token"):
        assert question_id_of(bad) is None


def test_a_damaged_stored_order_is_an_error_not_a_guess() -> None:
    for bad in ("[1, 2]", '{"questions": "12"}', '{"questions": ["x"]}', "not json"):
        with pytest.raises(ValueError):
            AttemptOrder.from_json(bad)
