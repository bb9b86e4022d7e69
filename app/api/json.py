"""Reading JSON request bodies with clear errors."""

from __future__ import annotations

import json
import math
from typing import Any

from starlette.requests import Request

from courses.errors import InvalidInput

# Beyond these a value cannot be stored (SQLite and PostgreSQL integers are 64-bit at most).
_INT_LIMIT = 2**63 - 1


class BadRequest(InvalidInput):
    """The body is not a JSON object at all: answered 400, with ``fields.body`` saying why."""

    code = "bad_request"
    http_status = 400


def _problem(value: Any) -> str | None:
    """Why one JSON scalar cannot reach the database, or None when it can."""
    if isinstance(value, str):
        if "\x00" in value:
            return "Text may not contain the NUL character (\\u0000)."
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "Text must be valid Unicode (no unpaired surrogates)."
    elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > _INT_LIMIT:
        return "This number is too large."
    elif isinstance(value, float) and not math.isfinite(value):
        return "Send a finite number."
    return None


def _unstorable(value: Any) -> str | None:
    """The first problem anywhere inside ``value`` (keys included); iterative, any depth."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif problem := _problem(item):
            return problem
    return None


async def read_json(request: Request, *, required: tuple[str, ...] = ()) -> dict[str, Any]:
    """The body as a JSON object, or InvalidInput that says what is wrong with it."""
    if not request.headers.get("content-type", "").lower().startswith("application/json"):
        raise BadRequest({"body": "Send a JSON object with Content-Type: application/json."})
    raw = await request.body()
    try:
        body = json.loads(raw or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadRequest({"body": f"The body is not valid JSON: {exc}."}) from None
    except RecursionError:
        raise BadRequest({"body": "The JSON is nested too deeply."}) from None
    if not isinstance(body, dict):
        raise BadRequest({"body": "Send a JSON object ({...}), not a list or a scalar."})
    problems = {
        k.encode("utf-8", "backslashreplace").decode("utf-8"): p
        for k, v in body.items()
        if (p := _unstorable(k) or _unstorable(v))
    }
    if problems:
        raise InvalidInput(problems)
    missing = {name: "This field is required." for name in required if name not in body}
    if missing:
        raise InvalidInput(missing)
    return body


def text_field(body: dict[str, Any], name: str, default: str | None = None) -> str:
    """``body[name]`` as a string; InvalidInput naming the field when it is another type."""
    value = body.get(name, default)
    if not isinstance(value, str):
        raise InvalidInput({name: "Send this field as a JSON string."})
    return value


def only_fields(body: dict[str, Any], allowed: tuple[str, ...]) -> None:
    """InvalidInput naming every field of ``body`` outside ``allowed``."""
    extra = {k: "This field is not accepted here." for k in body if k not in allowed}
    if extra:
        raise InvalidInput(extra)
