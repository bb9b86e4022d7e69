"""Column types shared by the tables."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

# Integer primary keys are 32-bit on PostgreSQL: a larger id names nothing and must not
# reach the database, whose driver would fail on it.
MAX_ID = 2**31 - 1


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend.

    SQLite keeps no zone, so values are stored as naive UTC and come back aware.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment: datetime = value
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)


class DecimalText(TypeDecorator[Decimal]):
    """Exact decimals (credits: 0.25, 0.87, 1.50) on every backend.

    Stored as canonical text, so SQLite never turns 0.1 into a float; nothing sums these in
    SQL (the credit arithmetic is ``Decimal`` in Python)."""

    impl = String(24)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if not isinstance(value, Decimal) or not value.is_finite():
            raise ValueError(f"a finite Decimal is required, got {value!r}")
        return format(value, "f")

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(str(value))
