"""Courses and activities."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

from app.wiring import Services
from courses.models import Activity, Course, User

_seq = itertools.count(1)


async def make_course(
    services: Services, admin: User, *, title: str | None = None, **fields: Any
) -> Course:
    n = next(_seq)
    data: dict[str, Any] = {"title": title or f"Course {n}", "published": True, **fields}
    async with services.unit() as unit:
        return await unit.catalog.create_course(data, admin)


async def make_live(
    services: Services,
    admin: User,
    course: Course,
    *,
    starts_at: datetime,
    minutes: int = 60,
    title: str = "Live session",
    timezone: str = "America/New_York",
    **fields: Any,
) -> Activity:
    async with services.unit() as unit:
        return await unit.catalog.add_activity(
            course.id or 0,
            {
                "kind": "live",
                "title": title,
                "timezone": timezone,
                "starts_at": starts_at,
                "ends_at": starts_at + timedelta(minutes=minutes),
                **fields,
            },
            admin,
        )


async def make_on_demand(
    services: Services, admin: User, course: Course, *, minutes: int = 30, title: str = "Module"
) -> Activity:
    async with services.unit() as unit:
        return await unit.catalog.add_activity(
            course.id or 0,
            {"kind": "on_demand", "title": title, "duration_minutes": minutes},
            admin,
        )
