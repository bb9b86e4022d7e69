"""Turning pydantic's complaints into field messages a person can act on."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from courses.errors import InvalidInput

M = TypeVar("M", bound=BaseModel)


class FieldProblem(ValueError):
    """Raised from a model-level check to pin the message on one field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _message(error: Mapping[str, Any]) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return "This field is required."
    if kind == "string_too_long":
        return f"Use at most {ctx.get('max_length')} characters."
    if kind == "string_too_short":
        if ctx.get("min_length") == 1:
            return "This field is required."
        return f"Use at least {ctx.get('min_length')} characters."
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "Enter a whole number."
    if kind in ("bool_parsing", "bool_type"):
        return "Choose yes or no."
    if kind in ("greater_than_equal", "greater_than"):
        return f"Enter a number of at least {ctx.get('ge', ctx.get('gt'))}."
    if kind in ("less_than_equal", "less_than"):
        return f"Enter a number of at most {ctx.get('le', ctx.get('lt'))}."
    if kind in ("datetime_parsing", "datetime_type", "datetime_from_date_parsing"):
        return "Enter a date and time like 2026-12-01T09:00."
    if kind == "extra_forbidden":
        return "This field is not accepted here."
    if kind == "value_error":
        # our own validators raise ValueError("message"); pydantic prefixes it
        return str(error.get("msg", "")).removeprefix("Value error, ")
    if kind == "enum" or kind == "literal_error":
        return f"Choose one of: {ctx.get('expected')}."
    return str(error.get("msg", "Invalid value."))


def parse(model: type[M], data: Mapping[str, Any]) -> M:
    """Validate ``data`` into ``model`` or raise InvalidInput naming each bad field."""
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors():
            cause = (error.get("ctx") or {}).get("error")
            if isinstance(cause, FieldProblem):
                errors.setdefault(cause.field, cause.message)
                continue
            loc = error.get("loc") or ("__all__",)
            field = ".".join(str(part) for part in loc[:1]) or "__all__"
            errors.setdefault(field, _message(error))
        raise InvalidInput(errors) from None
