"""Credit records written straight to the tables, for the transcript, report and export
tests: designations, breaks, claims (and corrections), certificates, learner profiles."""

from __future__ import annotations

import itertools
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from app.wiring import Services
from courses.models import (
    Activity,
    ActivityBreak,
    Certificate,
    CreditClaim,
    CreditDesignation,
    User,
)

_codes = itertools.count(1)


async def make_designation(
    services: Services,
    activity: Activity,
    credit_type: str,
    maximum: str,
    *,
    full_attendance: bool | None = None,
    tolerance_minutes: int = 0,
    uan: str = "",
) -> CreditDesignation:
    now = services.clock.now()
    async with services.unit() as unit:
        row = CreditDesignation(
            activity_id=activity.id or 0,
            credit_type=credit_type,
            maximum=Decimal(maximum),
            full_attendance=full_attendance,
            tolerance_minutes=tolerance_minutes,
            uan=uan,
            created_at=now,
            updated_at=now,
        )
        unit.session.add(row)
        await unit.session.flush()
    return row


async def make_break(
    services: Services, activity: Activity, starts_at: datetime, ends_at: datetime
) -> ActivityBreak:
    async with services.unit() as unit:
        row = ActivityBreak(activity_id=activity.id or 0, starts_at=starts_at, ends_at=ends_at)
        unit.session.add(row)
        await unit.session.flush()
    return row


async def make_claim(
    services: Services,
    user: User,
    activity: Activity,
    credit_type: str,
    credits: str,
    completed_on: date,
    *,
    ceus: str | None = None,
    supersedes: CreditClaim | None = None,
    reason: str = "",
) -> CreditClaim:
    """A claim as the claim service records it; ``supersedes`` makes it a correction."""
    async with services.unit() as unit:
        row = CreditClaim(
            user_id=user.id or 0,
            activity_id=activity.id or 0,
            credit_type=credit_type,
            credits=Decimal(credits),
            ceus=Decimal(ceus) if ceus is not None else None,
            earned=Decimal(credits),
            basis="test",
            completed_on=completed_on,
            claimed_at=services.clock.now(),
            supersedes_id=supersedes.id if supersedes else None,
            reason=reason,
        )
        unit.session.add(row)
        await unit.session.flush()
    return row


async def make_certificate(
    services: Services,
    user: User,
    activity: Activity,
    completed_on: date,
    *,
    code: str | None = None,
    supersedes: Certificate | None = None,
) -> Certificate:
    async with services.unit() as unit:
        row = Certificate(
            code=code or f"RND-TEST-{next(_codes):04d}",
            user_id=user.id or 0,
            activity_id=activity.id or 0,
            learner_name=user.display_name,
            activity_title=activity.title,
            course_title="",
            activity_format="Live activity",
            activity_dates="",
            completed_on=completed_on,
            credits_json=json.dumps([]),
            statements_json=json.dumps([]),
            provider_name="Rounds Test Hospital",
            issued_at=services.clock.now(),
            supersedes_id=supersedes.id if supersedes else None,
        )
        unit.session.add(row)
        await unit.session.flush()
    return row


async def set_profile(services: Services, user: User, **fields: Any) -> User:
    """Profile fields through the real profile rules (NPI check digit, birth date...)."""
    async with services.unit() as unit:
        return await unit.accounts.update_profile(
            user.id or 0, {"display_name": user.display_name, **fields}
        )


async def set_provider(
    services: Services, name: str, *, accme_id: str = "", acpe_number: str = ""
) -> None:
    """Name the organization and give it its ACCME and ACPE provider numbers."""
    async with services.unit() as unit:
        org = await unit.accounts.organization()
        org.name = name
        org.accme_provider_id = accme_id
        org.acpe_provider_number = acpe_number
        unit.session.add(org)
        await unit.session.flush()


def valid_npi(first_nine: str) -> str:
    """A 10-digit NPI with the right Luhn check digit for ``first_nine``."""
    digits = [int(d) for d in "80840" + first_nine]
    total = 0
    for i, digit in enumerate(reversed(digits)):
        if i % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return first_nine + str((10 - total % 10) % 10)


async def set_activity(services: Services, activity: Activity, **fields: Any) -> Activity:
    """Accreditation columns (location, commercial support, competencies...) set directly."""
    async with services.unit() as unit:
        row = await unit.session.get(Activity, activity.id)
        assert row is not None
        for name, value in fields.items():
            setattr(row, name, value)
        unit.session.add(row)
        await unit.session.flush()
        return row
