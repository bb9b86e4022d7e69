"""The evaluation survey without I/O: its scale, checking a learner's answers, and the summary
the CME office reads (counts, means and agreement per Likert item, the free-text answers)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from courses.errors import InvalidInput
from courses.models import Assessment, AssessmentAttempt, Question, QuestionKind
from courses.scoring import answer_field, question_id_of

LIKERT = ("Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree")
"""The labels of 1 to 5."""
MAX_TEXT_ANSWER = 2000

Answer = int | str


def parse_answers(raw: Mapping[str, object], questions: Sequence[Question]) -> dict[int, Answer]:
    """A learner's evaluation answers (``q<id>`` fields) checked against the questions:
    Likert 1 to 5, text at most ``MAX_TEXT_ANSWER`` characters, required ones answered.
    Unanswered optional items are left out."""
    by_id = {q.id: q for q in questions if q.id is not None}
    errors: dict[str, str] = {}
    answers: dict[int, Answer] = {}
    for name, value in raw.items():
        qid = question_id_of(name)
        if qid is None or qid not in by_id:
            errors[name[:40]] = "This is not a question of this evaluation."
            continue
        text = str(value).strip()
        if not text:
            continue
        if by_id[qid].kind == QuestionKind.LIKERT:
            if text not in ("1", "2", "3", "4", "5"):
                errors[name] = (
                    "Choose one of the five answers, from strongly disagree to strongly agree."
                )
                continue
            answers[qid] = int(text)
        elif len(text) > MAX_TEXT_ANSWER:
            errors[name] = (
                f"Keep this answer under {MAX_TEXT_ANSWER} characters (it has {len(text)})."
            )
        else:
            answers[qid] = text
    for question in questions:
        qid = question.id or 0
        if question.required and qid not in answers and answer_field(qid) not in errors:
            errors[answer_field(qid)] = "This question needs an answer."
    if errors:
        raise InvalidInput(
            errors, "Some answers need attention: " + " ".join(sorted(set(errors.values())))
        )
    return answers


def dump_answers(answers: Mapping[int, Answer]) -> str:
    return json.dumps({str(k): v for k, v in sorted(answers.items())})


def load_answers(text: str) -> dict[int, Answer]:
    """Stored answers back; anything damaged is skipped rather than miscounted."""
    try:
        data = json.loads(text or "{}")
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    found: dict[int, Answer] = {}
    for key, value in data.items():
        if str(key).isdigit() and isinstance(value, int | str) and not isinstance(value, bool):
            found[int(key)] = value
    return found


# -- the summary ---------------------------------------------------------------------------
@dataclass(frozen=True)
class LikertSummary:
    question_id: int
    prompt: str
    counts: tuple[int, int, int, int, int]
    """How many answered 1 (strongly disagree) to 5 (strongly agree)."""

    kind = QuestionKind.LIKERT

    @property
    def answered(self) -> int:
        return sum(self.counts)

    @property
    def mean(self) -> Decimal | None:
        """Mean of 1 to 5, two decimal places; None when nobody answered."""
        if not self.answered:
            return None
        points = sum(value * n for value, n in enumerate(self.counts, start=1))
        return (Decimal(points) / Decimal(self.answered)).quantize(Decimal("0.01"), ROUND_HALF_UP)

    @property
    def percent_agree(self) -> Decimal | None:
        """Percent of answers that agree (4) or strongly agree (5), one decimal place."""
        if not self.answered:
            return None
        return _percent(self.counts[3] + self.counts[4], self.answered)

    @property
    def rows(self) -> list[tuple[str, int, Decimal]]:
        """(label, count, percent of answers) for each of the five points, for charts."""
        return [
            (label, n, _percent(n, self.answered) if self.answered else Decimal("0.0"))
            for label, n in zip(LIKERT, self.counts, strict=True)
        ]


@dataclass(frozen=True)
class TextSummary:
    question_id: int
    prompt: str
    answers: tuple[str, ...]

    kind = QuestionKind.TEXT


@dataclass(frozen=True)
class EvaluationSummary:
    """What the learners said about one activity, item by item in the survey's order."""

    activity_id: int
    title: str
    responses: int
    """Submitted evaluations."""
    items: tuple[LikertSummary | TextSummary, ...] = field(default_factory=tuple)
    has_evaluation: bool = True

    @property
    def likert(self) -> list[LikertSummary]:
        return [i for i in self.items if isinstance(i, LikertSummary)]

    @property
    def text(self) -> list[TextSummary]:
        return [i for i in self.items if isinstance(i, TextSummary)]


def _percent(part: int, whole: int) -> Decimal:
    return (Decimal(100 * part) / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def summarise(
    activity_id: int,
    assessment: Assessment | None,
    questions: Sequence[Question],
    attempts: Iterable[AssessmentAttempt],
) -> EvaluationSummary:
    """Count the submitted attempts' answers per question."""
    if assessment is None:
        return EvaluationSummary(
            activity_id=activity_id, title="", responses=0, has_evaluation=False
        )
    submitted = [a for a in attempts if a.submitted_at is not None]
    answer_sets = [load_answers(a.answers_json) for a in submitted]
    items: list[LikertSummary | TextSummary] = []
    for question in questions:
        qid = question.id or 0
        given = [answers[qid] for answers in answer_sets if qid in answers]
        if question.kind == QuestionKind.LIKERT:
            counts = [0] * 5
            for value in given:
                if isinstance(value, int) and 1 <= value <= 5:
                    counts[value - 1] += 1
            items.append(
                LikertSummary(
                    qid, question.prompt, (counts[0], counts[1], counts[2], counts[3], counts[4])
                )
            )
        elif question.kind == QuestionKind.TEXT:
            items.append(
                TextSummary(
                    qid, question.prompt, tuple(v for v in given if isinstance(v, str) and v)
                )
            )
    return EvaluationSummary(
        activity_id=activity_id,
        title=assessment.title,
        responses=len(submitted),
        items=tuple(items),
    )


# -- responses as rows -----------------------------------------------------------------------
@dataclass(frozen=True)
class EvaluationResponse:
    """One learner's submitted evaluation, for the CSV."""

    submitted_at: datetime
    name: str
    email: str
    answers: Mapping[int, Answer]


def response_rows(
    questions: Sequence[Question], responses: Iterable[EvaluationResponse], *, identified: bool
) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the responses CSV: one column per question (its prompt). Without
    ``identified`` the respondents' names and addresses are left out."""
    header = ["submitted_at", *(["name", "email"] if identified else [])]
    header += [f"Q{n}. {q.prompt}" for n, q in enumerate(questions, start=1)]
    rows: list[list[str]] = []
    for response in responses:
        row = [response.submitted_at.isoformat(timespec="seconds")]
        if identified:
            row += [response.name, response.email]
        for question in questions:
            value = response.answers.get(question.id or 0, "")
            if question.kind == QuestionKind.LIKERT and isinstance(value, int):
                row.append(f"{value} ({LIKERT[value - 1]})" if 1 <= value <= 5 else "")
            else:
                row.append(str(value))
        rows.append(row)
    return header, rows
