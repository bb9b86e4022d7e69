"""What an author may submit for an assessment and its questions, checked into column values
with messages a person can act on (the post-test's options arrive as ``option_1`` to
``option_8`` from the form, or as an ``options`` list; ``correct`` numbers them from 1)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from courses.errors import InvalidInput
from courses.models import Activity, AssessmentKind, Question, QuestionKind

MAX_TITLE = 200
MAX_INSTRUCTIONS = 5000
MAX_PROMPT = 1000
MAX_OPTION = 300
MIN_OPTIONS, MAX_OPTIONS = 2, 8
MAX_ATTEMPTS_LIMIT = 10

NAMES = {AssessmentKind.EVALUATION: "evaluation", AssessmentKind.POST_TEST: "post-test"}


def options_of(question: Question) -> list[str]:
    try:
        options = json.loads(question.options_json or "[]")
    except ValueError:
        return []
    return [str(o) for o in options] if isinstance(options, list) else []


def allowed_kinds(activity: Activity) -> tuple[AssessmentKind, ...]:
    if activity.is_live:
        return (AssessmentKind.EVALUATION,)
    return (AssessmentKind.EVALUATION, AssessmentKind.POST_TEST)


def _checkbox(value: object) -> bool:
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in ("on", "yes", "1", "true")


def _text(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name)
    return "" if value is None else str(value).strip()


def _whole(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) <= 4 else None


def parse_settings(
    kind: AssessmentKind, data: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """An assessment's settings from the author's input, and what is wrong with them (the
    caller adds its own checks before raising)."""
    errors: dict[str, str] = {}
    title = _text(data, "title")
    instructions = _text(data, "instructions")
    if not title:
        errors["title"] = f"Give the {NAMES[kind]} a title."
    elif len(title) > MAX_TITLE:
        errors["title"] = f"Keep the title under {MAX_TITLE} characters."
    if len(instructions) > MAX_INSTRUCTIONS:
        errors["instructions"] = f"Keep the instructions under {MAX_INSTRUCTIONS} characters."
    values: dict[str, Any] = {"title": title, "instructions": instructions}
    if kind == AssessmentKind.EVALUATION:
        return {**values, "pass_percent": None, "max_attempts": None, "shuffle": False}, errors
    pass_percent = _whole(data.get("pass_percent"))
    if pass_percent is None or not 1 <= pass_percent <= 100:
        errors["pass_percent"] = "Give the pass mark as a whole percent from 1 to 100."  # noqa: S105
    raw_attempts = _text(data, "max_attempts")
    max_attempts = _whole(raw_attempts) if raw_attempts else None
    if raw_attempts and (max_attempts is None or not 1 <= max_attempts <= MAX_ATTEMPTS_LIMIT):
        errors["max_attempts"] = (
            f"Allow from 1 to {MAX_ATTEMPTS_LIMIT} attempts, or leave it "
            "empty for unlimited attempts."
        )
    values.update(
        pass_percent=pass_percent, max_attempts=max_attempts, shuffle=_checkbox(data.get("shuffle"))
    )
    return values, errors


def _raw_options(data: Mapping[str, Any]) -> list[str]:
    given = data.get("options")
    if isinstance(given, list | tuple):
        return [str(o).strip() for o in given]
    found = [_text(data, f"option_{n}") for n in range(1, MAX_OPTIONS + 1)]
    while found and not found[-1]:
        found.pop()
    return found


def parse_question(kind: AssessmentKind, data: Mapping[str, Any]) -> dict[str, Any]:
    """A question's fields from the author's input, or InvalidInput saying what to fix."""
    errors: dict[str, str] = {}
    prompt = _text(data, "prompt")
    if not prompt:
        errors["prompt"] = "Write the question."
    elif len(prompt) > MAX_PROMPT:
        errors["prompt"] = f"Keep the question under {MAX_PROMPT} characters."
    if kind == AssessmentKind.EVALUATION:
        qkind = _text(data, "kind") or QuestionKind.LIKERT.value
        if qkind not in (QuestionKind.LIKERT, QuestionKind.TEXT):
            errors["kind"] = (
                "An evaluation question is a Likert item (strongly disagree to "
                "strongly agree) or free text."
            )
        if errors:
            raise InvalidInput(errors)
        return {
            "kind": qkind,
            "prompt": prompt,
            "required": _checkbox(data.get("required")),
            "options_json": "[]",
            "correct_index": None,
        }
    if _text(data, "kind") not in ("", QuestionKind.CHOICE):
        errors["kind"] = "Post-test questions have options with one right answer."
    raw = _raw_options(data)
    options = [o for o in raw if o]
    if len(options) < MIN_OPTIONS:
        errors["options"] = f"Give at least {MIN_OPTIONS} options."
    elif len(options) > MAX_OPTIONS:
        errors["options"] = f"Give at most {MAX_OPTIONS} options."
    elif any(len(o) > MAX_OPTION for o in options):
        errors["options"] = f"Keep each option under {MAX_OPTION} characters."
    elif len({o.casefold() for o in options}) < len(options):
        errors["options"] = "Two options read the same: make each one different."
    correct_index = None
    marked = _whole(data.get("correct"))
    if _text(data, "correct") == "":
        errors["correct"] = "Mark the correct option."
    elif marked is None or not 1 <= marked <= max(len(raw), 1):
        errors["correct"] = (
            f"Choose the correct option: a number from 1 to {max(len(raw), MIN_OPTIONS)}."
        )
    elif not raw[marked - 1]:
        errors["correct"] = "The option marked correct is empty: mark one you wrote."
    else:
        # the position among the written options: blanks before it are dropped
        correct_index = sum(1 for o in raw[: marked - 1] if o)
    if errors:
        raise InvalidInput(errors)
    return {
        "kind": QuestionKind.CHOICE.value,
        "prompt": prompt,
        "required": True,
        "options_json": json.dumps(options),
        "correct_index": correct_index,
    }
