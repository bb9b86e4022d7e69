"""Post-test attempts without I/O: the order a learner is shown, their answers, their score.

An attempt fixes its order when it starts (``AttemptOrder``, stored as the attempt's
``order_json``), so reloading the page shows the same questions in the same order. Answers
name each option by its ORIGINAL index, the one the author gave it, never by where the shuffle
put it: the score depends on what the learner chose, not on the order they saw it in.
"""

from __future__ import annotations

import json
import random
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from courses.errors import InvalidInput

FIELD_PREFIX = "q"
"""Form fields carry answers as ``q<question id>``."""


def answer_field(question_id: int) -> str:
    return f"{FIELD_PREFIX}{question_id}"


def question_id_of(field: str) -> int | None:
    """The question id an answer field names; None for anything else."""
    digits = field[len(FIELD_PREFIX) :] if field.startswith(FIELD_PREFIX) else ""
    if not digits.isdigit() or len(digits) > 9 or digits.startswith("0"):
        return None
    return int(digits)


def new_rng() -> random.Random:
    """A generator seeded from the OS's randomness: learners cannot predict each other's order.

    The order is not a secret worth a CSPRNG per shuffle; unpredictable seeding is enough."""
    return random.Random(secrets.randbits(128))  # noqa: S311


@dataclass(frozen=True)
class AttemptOrder:
    """The questions of one attempt in the order shown, and each question's options as their
    original indices in the order shown."""

    questions: tuple[int, ...]
    options: Mapping[int, tuple[int, ...]]

    def to_json(self) -> str:
        return json.dumps(
            {
                "questions": list(self.questions),
                "options": {str(q): list(self.options.get(q, ())) for q in self.questions},
            }
        )

    @classmethod
    def from_json(cls, text: str) -> AttemptOrder:
        """Read back what ``to_json`` wrote; a damaged value raises ValueError."""
        data = json.loads(text or "{}")
        if not isinstance(data, dict):
            raise ValueError("attempt order is not an object")
        questions = data.get("questions", [])
        options = data.get("options", {})
        if not isinstance(questions, list) or not isinstance(options, dict):
            raise ValueError("attempt order has the wrong shape")
        ids = tuple(int(q) for q in questions)
        shown = {int(q): tuple(int(i) for i in order) for q, order in options.items()}
        return cls(questions=ids, options={q: shown.get(q, ()) for q in ids})


def attempt_order(
    questions: Sequence[tuple[int, int]], *, shuffle: bool, rng: random.Random
) -> AttemptOrder:
    """The order for a new attempt of ``questions`` ((id, number of options), in the author's
    order): the author's order, or questions and each question's options shuffled."""
    ids = [qid for qid, _ in questions]
    options = {qid: list(range(count)) for qid, count in questions}
    if shuffle:
        rng.shuffle(ids)
        for order in options.values():
            rng.shuffle(order)
    return AttemptOrder(questions=tuple(ids), options={q: tuple(o) for q, o in options.items()})


def parse_choices(raw: Mapping[str, object], order: AttemptOrder) -> dict[int, int]:
    """The learner's answers, ``q<id>`` to an original option index, checked against the
    attempt: every question answered, none outside it, every index one of its options."""
    errors: dict[str, str] = {}
    answers: dict[int, int] = {}
    in_attempt = set(order.questions)
    for field, value in raw.items():
        qid = question_id_of(field)
        if qid is None or qid not in in_attempt:
            errors[field[:40]] = "This question is not part of your attempt."
            continue
        text = str(value).strip()
        count = len(order.options.get(qid, ()))
        if not text.isdigit() or len(text) > 3 or int(text) >= count:
            errors[field] = f"Choose one of the {count} options."
            continue
        answers[qid] = int(text)
    missing = [
        qid for qid in order.questions if qid not in answers and answer_field(qid) not in errors
    ]
    for position, qid in enumerate(order.questions, start=1):
        if qid in missing:
            errors[answer_field(qid)] = f"Question {position} has no answer."
    if errors:
        raise InvalidInput(errors, _summary(errors, len(missing)))
    return answers


def _summary(errors: Mapping[str, str], unanswered: int) -> str:
    if unanswered and unanswered == len(errors):
        return (
            f"Answer every question before submitting: {unanswered} "
            f"{'is' if unanswered == 1 else 'are'} still unanswered."
        )
    return "Some answers could not be accepted: " + " ".join(sorted(set(errors.values())))


@dataclass(frozen=True)
class Score:
    correct: int
    total: int
    percent: Decimal
    """Percent correct, to one decimal place."""
    passed: bool


def score(
    order: AttemptOrder,
    answers: Mapping[int, int],
    correct: Mapping[int, int | None],
    pass_percent: int,
) -> Score:
    """Score an attempt: an answer counts when it is the question's correct original index.

    Passing compares whole numbers (correct x 100 >= pass mark x total), so a score that
    rounds to the pass mark does not pass by rounding."""
    total = len(order.questions)
    right = sum(1 for q in order.questions if q in answers and answers[q] == correct.get(q))
    if total == 0:
        return Score(correct=0, total=0, percent=Decimal("0.0"), passed=False)
    percent = (Decimal(100 * right) / Decimal(total)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return Score(
        correct=right, total=total, percent=percent, passed=right * 100 >= pass_percent * total
    )
