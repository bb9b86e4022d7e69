"""One-time messages shown on the next page, kept in the session."""

from __future__ import annotations

from typing import Literal

from starlette.requests import Request

Category = Literal["info", "success", "warning", "error"]
KEY = "flash"


def flash(request: Request, message: str, category: Category = "info") -> None:
    messages = list(request.session.get(KEY, []))
    messages.append({"message": message, "category": category})
    request.session[KEY] = messages[-5:]


def pop_flashes(request: Request) -> list[dict[str, str]]:
    if "session" not in request.scope:
        return []
    messages: list[dict[str, str]] = request.session.pop(KEY, [])
    return messages
