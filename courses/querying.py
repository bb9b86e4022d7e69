"""Query fragments shared by the services."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func


def contains(column: Any, text: str) -> ColumnElement[bool]:
    """Case-insensitive 'column contains text', with LIKE's wildcards taken literally."""
    escaped = text.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(column).like(f"%{escaped}%", escape="\\")
