"""Claiming credit mails the learner their certificate: what it is for, the credit, the PDF and
the public verification link; a claim the page refuses mails nothing."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from app.mail import Message
from app.wiring import Services
from courses.credit_rules import CreditType
from courses.models import Activity
from tests.app.pages.conftest import SignedIn
from tests.app.pages.helpers import Cast
from tests.conftest import Client, MovableClock
from tests.factories.catalog import make_course, make_live
from tests.factories.credit import (
    AMA_STATEMENT,
    attend,
    designate,
    name_provider,
    state_accreditation,
)

SESSION = datetime(2026, 12, 2, 14, 0, tzinfo=UTC)
AFTER = SESSION + timedelta(hours=2)
AMA = CreditType.AMA_PRA_1
BASE = "http://127.0.0.1:8000"


@pytest.fixture
async def session(services: Services, cast: Cast) -> Activity:
    course = await make_course(services, cast.admin, title="Cardiology Grand Rounds",
                               faculty_ids=[cast.faculty.id])
    await name_provider(services, "St Mary's Hospital")
    await state_accreditation(services, AMA, AMA_STATEMENT)
    activity = await make_live(services, cast.admin, course, starts_at=SESSION, minutes=60,
                               title="Heart failure update")
    await designate(services, activity, AMA, "1.00")
    async with services.unit() as unit:
        await unit.accounts.update_profile(cast.learner.id or 0,
                                           {"display_name": "Dr. Maya Patel", "degree": "MD"})
    await attend(services, activity, cast.learner, SESSION + timedelta(minutes=8),
                 SESSION + timedelta(minutes=60))
    return activity


@pytest.fixture
async def learner(signed_in: SignedIn, cast: Cast, session: Activity) -> Client:
    return await signed_in(cast.learner)


async def test_a_claim_mails_the_certificate_with_its_verification_link(
    learner: Client, clock: MovableClock, session: Activity, cast: Cast, outbox: list[Message]
) -> None:
    clock.at = AFTER
    response = await learner.form(f"/activities/{session.id}/credit/claim", {AMA: "0.75"})
    assert response.status_code == 303, response.text
    (mail,) = outbox
    assert mail.to == cast.learner.email and mail.kind == "certificate_issued"
    assert mail.subject == "Your certificate: Heart failure update"
    code = re.search(r"verification code is ([A-Z0-9-]+);", mail.body)
    assert code, mail.body
    assert mail.body.startswith(
        "Hello Dr. Maya Patel,\n\nYour certificate for “Heart failure update” (Cardiology Grand "
        "Rounds) was issued.\n\nCredit:\n- 0.75 AMA PRA Category 1 Credits™\n\n"
    )
    assert f"{BASE}/certificates/{code.group(1)}.pdf\n" in mail.body
    assert f"confirm it at {BASE}/verify/{code.group(1)}\n" in mail.body
    page = await learner.get(f"/activities/{session.id}/credit")
    assert f"/certificates/{code.group(1)}.pdf" in page.text


async def test_a_refused_claim_mails_nothing(
    learner: Client, clock: MovableClock, session: Activity, outbox: list[Message]
) -> None:
    clock.at = AFTER
    response = await learner.form(f"/activities/{session.id}/credit/claim", {AMA: "5"})
    assert response.status_code == 422
    assert outbox == []
