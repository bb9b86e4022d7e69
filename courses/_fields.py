"""Reading the values of submitted forms in the accreditation and meeting services (private)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal

from courses import permissions
from courses.errors import PermissionDenied
from courses.models import User


def text_of(data: Mapping[str, object], name: str) -> str:
    """A text field, trimmed; "" when missing or not text (a repeated field's list)."""
    value = data.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def checked(data: Mapping[str, object], name: str) -> bool:
    """A checkbox: HTML sends "on" when ticked and nothing otherwise."""
    return text_of(data, name).lower() in ("on", "yes", "true", "1")


def whole(text: str, name: str, errors: dict[str, str], low: int, high: int) -> int | None:
    """A whole number in [low, high], or None with ``errors[name]`` saying so."""
    if not (text.isascii() and text.isdigit()) or len(text) > 6:
        errors[name] = f"Enter a whole number from {low} to {high}."
        return None
    number = int(text)
    if not low <= number <= high:
        errors[name] = f"Enter a whole number from {low} to {high}."
        return None
    return number


def require_admin(actor: User, doing: str) -> None:
    if not permissions.is_admin(actor):
        raise PermissionDenied(f"Only administrators may {doing}.")


def minutes_text(minutes: Decimal) -> str:
    """52, or 52.5: minutes as people read them."""
    floor = math.floor(minutes)
    return str(floor) if minutes == floor else format(minutes.quantize(Decimal("0.1")), "f")
