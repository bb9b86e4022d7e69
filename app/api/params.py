"""Path and query parameters, checked before they reach a service."""

from __future__ import annotations

from starlette.requests import Request

from courses.errors import InvalidInput, NotFound
from courses.models.types import MAX_ID


def path_id(request: Request, name: str, missing: type[NotFound], what: str) -> int:
    """The ``{name:int}`` path parameter; ``missing`` (a 404) when it cannot name a row."""
    value: int = request.path_params[name]
    if not 0 < value <= MAX_ID:
        raise missing(f"There is no {what} with id {value}.")
    return value


class QueryParams:
    """Reads query parameters, collecting every problem; ``check()`` raises them together."""

    def __init__(self, request: Request) -> None:
        self.params = request.query_params
        self.errors: dict[str, str] = {}

    def text(self, name: str, max_length: int) -> str:
        value = self.params.get(name, "").strip()
        if len(value) > max_length:
            self.errors[name] = f"Use at most {max_length} characters."
        elif "\x00" in value:
            self.errors[name] = "The NUL character (%00) is not allowed."
        return value

    def choice(self, name: str, choices: tuple[str, ...]) -> str:
        value = self.params.get(name, "").strip()
        if value and value not in choices:
            self.errors[name] = f"Use one of: {', '.join(choices)} (or leave it out)."
            return ""
        return value

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        raw = self.params.get(name, "").strip()
        if not raw:
            return default
        digits = raw.isascii() and raw.isdigit() and len(raw) <= len(str(high))
        if not digits or not low <= int(raw) <= high:
            self.errors[name] = f"Use a whole number from {low} to {high}."
            return default
        return int(raw)

    def check(self) -> None:
        if self.errors:
            raise InvalidInput(
                self.errors,
                "Some query parameters need attention: " + ", ".join(sorted(self.errors)),
            )
