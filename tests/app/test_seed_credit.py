"""The demo data carries a whole credit journey: a provider, designated sessions with
disclosures and evaluations, and last week's session with attendance taken from the room."""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import select

from app.seed import seed_demo
from app.wiring import Services
from courses.accreditation import AccreditationService
from courses.credit import CreditService
from courses.models import Activity, User


async def test_the_demo_learners_have_credit_waiting_for_their_evaluation(
    services: Services,
) -> None:
    await seed_demo(services)
    async with services.unit() as unit:
        activities = {a.title: a for a in (await unit.session.exec(select(Activity))).all()}
        people = {u.email.split("@")[0]: u for u in (await unit.session.exec(select(User))).all()}
        past = activities["SGLT2 inhibitors across the ejection-fraction spectrum"]
        credit = CreditService(unit.session, unit.clock)
        doctor = await credit.earned(past.id or 0, people["learner"])
        nurse = await credit.earned(past.id or 0, people["nurse"])
        accreditation = AccreditationService(unit.session, unit.clock)
        statements = await accreditation.statements()
        upcoming = activities["GDMT in 2026: what changed"]
        designated = {d.credit_type: d for d in await accreditation.designations(upcoming.id or 0)}
        disclosures = await accreditation.disclosures(upcoming.id or 0)

    # 2 to 58 minutes of a 60-minute session: 56 minutes, to the nearest quarter hour
    assert [(a.credit_type, a.credits) for a in doctor.awards] == [("AMA_PRA_1", Decimal("1.00"))]
    # 40 minutes: ANCC counts hundredths
    assert [(a.credit_type, a.credits) for a in nurse.awards] == [("ANCC", Decimal("0.67"))]
    assert any("evaluation" in b.lower() for b in doctor.blockers)
    assert "jointly accredited" in statements["AMA_PRA_1"]
    assert set(designated) == {"AMA_PRA_1", "ANCC", "ACPE"}
    assert designated["ACPE"].uan == f"0123-0000-26-{upcoming.id:03d}-L01-P"
    assert {d.role for d in disclosures} == {"faculty", "planner"}
