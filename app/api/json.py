"""Reading JSON request bodies with clear errors."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from courses.errors import InvalidInput


class BadRequest(InvalidInput):
    code = "bad_request"


async def read_json(request: Request, *, required: tuple[str, ...] = ()) -> dict[str, Any]:
    """The body as a JSON object, or InvalidInput that says what is wrong with it."""
    if not request.headers.get("content-type", "").startswith("application/json"):
        raise BadRequest({"body": "Send a JSON object with Content-Type: application/json."})
    raw = await request.body()
    try:
        body = json.loads(raw or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadRequest({"body": f"The body is not valid JSON: {exc}."}) from None
    if not isinstance(body, dict):
        raise BadRequest({"body": "Send a JSON object ({...}), not a list or a scalar."})
    missing = {name: "This field is required." for name in required if name not in body}
    if missing:
        raise InvalidInput(missing)
    return body
