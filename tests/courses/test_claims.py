"""Claiming credit and correcting claims, on SQLite and PostgreSQL: what a claim records,
every refusal with its message, corrections as new rows, the permanence of the records, and
the catalog refusing to remove an activity that has them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete, update
from sqlmodel import select

from app.wiring import Services
from courses.catalog import ActivityHasRecords, CatalogService
from courses.certificates import CertificateNotFound, CertificateService, credit_lines
from courses.claims import ClaimResult, ClaimService
from courses.credit_rules import CreditType
from courses.errors import InvalidInput, PermissionDenied
from courses.immutable import PermanentRecord
from courses.models import Activity, Certificate, Course, CreditClaim, Role, User
from tests.conftest import MovableClock
from tests.factories.assessments import add_evaluation, record_evaluation
from tests.factories.catalog import make_course, make_live
from tests.factories.credit import attend, designate
from tests.factories.people import make_user

D = Decimal
SESSION = datetime(2026, 12, 2, 14, 0, tzinfo=UTC)
AFTER = SESSION + timedelta(hours=2)
AMA = CreditType.AMA_PRA_1
AMA_UNIT = "AMA PRA Category 1 Credits™"


def at(minutes: float) -> datetime:
    return SESSION + timedelta(minutes=minutes)


async def claim(
    services: Services, activity: Activity, user: User, amounts: dict[str, object]
) -> ClaimResult:
    async with services.unit() as unit:
        return await ClaimService(unit.session, unit.clock).claim(activity.id or 0, user, amounts)


async def refused(
    services: Services, activity: Activity, user: User, amounts: dict[str, object]
) -> dict[str, str]:
    with pytest.raises(InvalidInput) as caught:
        await claim(services, activity, user, amounts)
    return caught.value.errors


async def current(services: Services, **kw: object) -> list[CreditClaim]:
    async with services.unit() as unit:
        return await ClaimService(unit.session, unit.clock).current_claims(**kw)  # type: ignore[arg-type]


async def correct(
    services: Services, claim_id: int, credits: object, reason: object, actor: User
) -> CreditClaim:
    async with services.unit() as unit:
        return await ClaimService(unit.session, unit.clock).correct(
            claim_id, credits, reason, actor
        )


@pytest.fixture
async def course(services: Services, admin: User) -> Course:
    return await make_course(services, admin, title="Cardiology Grand Rounds")


@pytest.fixture
async def session(services: Services, admin: User, course: Course) -> Activity:
    activity = await make_live(
        services, admin, course, starts_at=SESSION, minutes=60, title="Heart failure update"
    )
    await designate(services, activity, AMA, "1.00")
    await designate(services, activity, CreditType.ANCC, "1.00")
    await designate(services, activity, CreditType.ACPE, "1.00", uan="0000-0000-26-001-L01-P")
    return activity


@pytest.fixture
async def physician(services: Services, clock: MovableClock, session: Activity) -> User:
    """A physician who attended 52 of the 60 minutes (0.75 AMA credit); the session is over."""
    user = await make_user(services, Role.LEARNER, name="Dr. Maya Patel", degree="MD")
    await attend(services, session, user, at(8), at(60))
    clock.at = AFTER
    return user


async def test_a_claim_records_what_was_earned_and_issues_the_certificate(
    services: Services, session: Activity, physician: User
) -> None:
    result = await claim(services, session, physician, {AMA: "0.75"})
    (row,) = result.claims
    assert row.credit_type == AMA
    assert row.credits == D("0.75")
    assert row.earned == D("0.75")
    assert row.basis == "52 of 60 minutes attended: 0.75 " + AMA_UNIT
    assert row.completed_on == date(2026, 12, 2)
    assert row.ceus is None
    assert row.supersedes_id is None
    certificate = result.certificate
    assert certificate.user_id == physician.id
    assert [(c.credit_type, c.credits) for c in credit_lines(certificate)] == [(AMA, D("0.75"))]
    assert [c.id for c in await current(services, user_id=physician.id)] == [row.id]


async def test_a_learner_may_claim_less_than_earned(
    services: Services, session: Activity, physician: User
) -> None:
    (row,) = (await claim(services, session, physician, {AMA: " 0.5 "})).claims
    assert row.credits == D("0.50")
    assert row.earned == D("0.75")


async def test_pharmacists_claims_carry_ceus(
    services: Services, clock: MovableClock, session: Activity
) -> None:
    pharmacist = await make_user(services, Role.LEARNER, degree="PharmD")
    await attend(services, session, pharmacist, at(0), at(60))
    clock.at = AFTER
    (row,) = (await claim(services, session, pharmacist, {CreditType.ACPE: "1"})).claims
    assert row.credits == D("1.00")
    assert row.ceus == D("0.1")


async def test_an_activity_without_an_evaluation_may_be_claimed_at_once(
    services: Services, session: Activity, physician: User
) -> None:
    assert (await claim(services, session, physician, {AMA: "0.75"})).claims


async def test_claims_wait_for_the_evaluation(
    services: Services, session: Activity, physician: User
) -> None:
    evaluation = await add_evaluation(services, session)
    errors = await refused(services, session, physician, {AMA: "0.75"})
    assert errors == {
        "evaluation": "Submit the evaluation first: credit is claimed after "
        "evaluating the activity."
    }
    await record_evaluation(services, evaluation, physician)
    assert (await claim(services, session, physician, {AMA: "0.75"})).claims


async def test_claims_wait_for_the_end_of_the_session(
    services: Services, clock: MovableClock, session: Activity, physician: User
) -> None:
    clock.at = at(50)
    errors = await refused(services, session, physician, {AMA: "0.50"})
    assert errors == {"credit": "You cannot claim credit yet: The session has not ended yet."}


@pytest.mark.parametrize(
    ("amounts", "field", "message"),
    [
        ({AMA: "1.00"}, AMA, f"You earned 0.75 {AMA_UNIT}; claim at most that."),
        ({AMA: "0.30"}, AMA, f"Claim in steps of 0.25 {AMA_UNIT} (for example 0.75)."),
        ({AMA: "0"}, AMA, f"Claim more than 0 {AMA_UNIT}, or leave the field empty to claim none."),
        (
            {AMA: "-0.25"},
            AMA,
            f"Claim more than 0 {AMA_UNIT}, or leave the field empty to claim none.",
        ),
        ({AMA: "three"}, AMA, "“three” is not a number of credits; write it like 1.25."),
        ({AMA: "NaN"}, AMA, "“NaN” is not a number of credits; write it like 1.25."),
        ({AMA: "Infinity"}, AMA, "“Infinity” is not a number of credits; write it like 1.25."),
        ({AMA: "7.5e-1"}, AMA, "“7.5e-1” is not a number of credits; write it like 1.25."),
        (
            {AMA: "0.75000000000001"},
            AMA,
            "“0.7500000000…” is not a number of credits; write it like 1.25.",
        ),
        (
            {CreditType.ANCC: "0.75"},
            CreditType.ANCC,
            "You did not earn ANCC nursing continuing professional development for this activity.",
        ),
        ({"CME_X": "1"}, "CME_X", "There is no credit type “CME_X”."),
        (
            {AMA: "", CreditType.ANCC: "  "},
            "credit",
            "Enter the credits you claim for at least one credit type.",
        ),
        ({}, "credit", "Enter the credits you claim for at least one credit type."),
    ],
)
async def test_bad_claims_are_refused_with_a_message(
    services: Services,
    session: Activity,
    physician: User,
    amounts: dict[str, object],
    field: str,
    message: str,
) -> None:
    errors = await refused(services, session, physician, amounts)
    assert errors == {field: message}
    assert await current(services, user_id=physician.id) == []


async def test_a_type_earned_with_zero_credits_cannot_be_claimed(
    services: Services, clock: MovableClock, session: Activity
) -> None:
    brief = await make_user(services, Role.LEARNER, degree="DO")
    await attend(services, session, brief, at(0), at(5))
    clock.at = AFTER
    errors = await refused(services, session, brief, {AMA: "0.25"})
    assert errors == {
        AMA: "You did not earn AMA PRA Category 1 Credit for this activity "
        f"(5 of 60 minutes attended: 0.00 {AMA_UNIT})."
    }


async def test_a_type_is_claimed_once(
    services: Services, session: Activity, physician: User
) -> None:
    await claim(services, session, physician, {AMA: "0.50"})
    errors = await refused(services, session, physician, {AMA: "0.25"})
    assert errors == {
        AMA: f"You already claimed 0.50 {AMA_UNIT} for this activity on "
        "2026-12-02; ask the CME office to correct a claim."
    }


async def test_several_errors_are_reported_together(
    services: Services, session: Activity, physician: User
) -> None:
    await add_evaluation(services, session)
    errors = await refused(services, session, physician, {AMA: "2", CreditType.ANCC: "1"})
    assert set(errors) == {"evaluation", AMA, CreditType.ANCC}


async def test_claiming_a_second_type_reissues_the_certificate_under_its_code(
    services: Services, clock: MovableClock, admin: User, course: Course
) -> None:
    activity = await make_live(services, admin, course, starts_at=SESSION, minutes=60)
    await designate(services, activity, AMA, "1.00")
    await designate(services, activity, CreditType.IPCE, "1.00")
    physician = await make_user(services, Role.LEARNER, degree="MD")
    await attend(services, activity, physician, at(0), at(60))
    clock.at = AFTER
    first = (await claim(services, activity, physician, {AMA: "1"})).certificate
    second = await claim(services, activity, physician, {CreditType.IPCE: "1"})
    assert second.certificate.code == first.code
    assert second.certificate.supersedes_id == first.id
    assert [c.credit_type for c in credit_lines(second.certificate)] == [AMA, CreditType.IPCE]
    assert len(second.claims) == 2


# -- corrections -----------------------------------------------------------------------------
async def test_a_correction_is_a_new_claim_that_supersedes_the_old(
    services: Services, clock: MovableClock, session: Activity, physician: User, admin: User
) -> None:
    result = await claim(services, session, physician, {AMA: "0.75"})
    (original,) = result.claims
    clock.at = AFTER + timedelta(days=2)
    fixed = await correct(
        services, original.id or 0, "1.00", "Joined by phone for 8 minutes", admin
    )
    assert fixed.supersedes_id == original.id
    assert fixed.credits == D("1.00")
    assert fixed.actor_id == admin.id
    assert fixed.reason == "Joined by phone for 8 minutes"
    assert fixed.earned == original.earned
    assert fixed.completed_on == original.completed_on
    assert [c.id for c in await current(services, activity_id=session.id)] == [fixed.id]
    async with services.unit() as unit:
        old = await unit.session.get(CreditClaim, original.id)
        assert old is not None and old.credits == D("0.75")  # kept as it was
        certificate = await CertificateService(unit.session, unit.clock).current(
            physician.id or 0, session.id or 0
        )
        history = await ClaimService(unit.session, unit.clock).history(fixed)
    assert [c.id for c in history] == [original.id, fixed.id]
    assert certificate is not None
    assert certificate.code == result.certificate.code
    assert certificate.supersedes_id == result.certificate.id
    assert certificate.reason == "Claim corrected: Joined by phone for 8 minutes"
    assert [line.credits for line in credit_lines(certificate)] == [D("1.00")]


@pytest.mark.parametrize(
    ("credits", "reason", "errors"),
    [
        (
            "1.25",
            "Joined by phone",
            {
                "credits": "The activity was designated for at most 1.00 "
                f"{AMA_UNIT}; a claim cannot exceed it."
            },
        ),
        (
            "0.75",
            "Joined by phone",
            {"credits": f"The claim already says 0.75 {AMA_UNIT}; enter the corrected amount."},
        ),
        (
            "0.6",
            "Joined by phone",
            {"credits": f"Claim in steps of 0.25 {AMA_UNIT} (for example 0.75)."},
        ),
        ("0.50", "  ", {"reason": "Say why: the reason is kept with the record."}),
        (
            "-0.25",
            "Joined by phone",
            {"credits": "Credits cannot be negative; enter 0 to withdraw the claim."},
        ),
        (
            "x",
            "",
            {
                "credits": "“x” is not a number of credits; write it like 1.25.",
                "reason": "Say why: the reason is kept with the record.",
            },
        ),
    ],
)
async def test_bad_corrections_are_refused(
    services: Services,
    session: Activity,
    physician: User,
    admin: User,
    credits: str,
    reason: str,
    errors: dict[str, str],
) -> None:
    (original,) = (await claim(services, session, physician, {AMA: "0.75"})).claims
    with pytest.raises(InvalidInput) as caught:
        await correct(services, original.id or 0, credits, reason, admin)
    assert caught.value.errors == errors


async def test_a_correction_to_zero_withdraws_the_claim_and_its_certificate(
    services: Services, session: Activity, physician: User, admin: User
) -> None:
    result = await claim(services, session, physician, {AMA: "0.75"})
    code = result.certificate.code
    withdrawn = await correct(services, result.claims[0].id or 0, "0", "Did not attend", admin)
    assert withdrawn.credits == D("0.00")
    assert [c.credits for c in await current(services, user_id=physician.id)] == [D("0.00")]
    async with services.unit() as unit:
        certificates = CertificateService(unit.session, unit.clock)
        newest = await certificates.by_code(code)
        verification = await certificates.verify(code)
        with pytest.raises(CertificateNotFound, match="This certificate was withdrawn"):
            await certificates.viewable(code, physician)
    assert newest is not None and credit_lines(newest) == []
    assert newest.reason == "Claim withdrawn: Did not attend"
    assert verification is not None and verification.withdrawn
    errors = await refused(services, session, physician, {AMA: "0.75"})
    assert errors == {
        AMA: "The CME office withdrew your claim of AMA PRA Category 1 Credit for this activity "
        "on 2026-12-02; ask them if this is wrong."
    }
    with pytest.raises(InvalidInput, match="certificate"):
        async with services.unit() as unit:
            await CertificateService(unit.session, unit.clock).reissue(newest, physician, "")
    # reinstated by a further correction: the certificate confirms the credit again
    await correct(services, withdrawn.id or 0, "0.50", "Attended by phone after all", admin)
    async with services.unit() as unit:
        again = await CertificateService(unit.session, unit.clock).by_code(code)
    assert again is not None
    assert [line.credits for line in credit_lines(again)] == [D("0.50")]


async def test_only_administrators_correct_and_only_the_current_claim(
    services: Services, session: Activity, physician: User, admin: User
) -> None:
    (original,) = (await claim(services, session, physician, {AMA: "0.75"})).claims
    faculty = await make_user(services, Role.FACULTY)
    for someone in (physician, faculty):
        with pytest.raises(PermissionDenied):
            await correct(services, original.id or 0, "0.5", "Because", someone)
    fixed = await correct(services, original.id or 0, "0.5", "Left early", admin)
    with pytest.raises(InvalidInput) as caught:
        await correct(services, original.id or 0, "0.25", "Again", admin)
    assert caught.value.errors == {
        "claim": f"This claim was corrected already; correct the current one (claim {fixed.id})."
    }


async def test_current_claims_filter_by_completion_date(
    services: Services,
    clock: MovableClock,
    admin: User,
    course: Course,
    session: Activity,
    physician: User,
) -> None:
    await claim(services, session, physician, {AMA: "0.75"})
    later = await make_live(services, admin, course, starts_at=SESSION + timedelta(days=20))
    await attend(
        services,
        later,
        physician,
        SESSION + timedelta(days=20),
        SESSION + timedelta(days=20, minutes=60),
    )
    clock.at = SESSION + timedelta(days=21)
    await claim(services, later, physician, {CreditType.PARTICIPATION: "1"})
    everything = await current(services, user_id=physician.id)
    assert [c.completed_on for c in everything] == [date(2026, 12, 2), date(2026, 12, 22)]
    assert [c.activity_id for c in await current(services, since=date(2026, 12, 3))] == [later.id]
    assert [c.activity_id for c in await current(services, until=date(2026, 12, 2))] == [session.id]
    assert (
        await current(
            services, user_id=physician.id, since=date(2026, 12, 3), until=date(2026, 12, 21)
        )
        == []
    )


# -- permanence ------------------------------------------------------------------------------
async def test_claims_and_certificates_cannot_be_changed_or_deleted(
    services: Services, session: Activity, physician: User
) -> None:
    result = await claim(services, session, physician, {AMA: "0.75"})
    claim_id, certificate_id = result.claims[0].id, result.certificate.id
    for model, row_id, field, value in (
        (CreditClaim, claim_id, "credits", D("1.00")),
        (Certificate, certificate_id, "learner_name", "Someone Else"),
    ):
        with pytest.raises(PermanentRecord, match="cannot be changed"):
            async with services.unit() as unit:
                row = await unit.session.get(model, row_id)
                setattr(row, field, value)
                unit.session.add(row)
                await unit.session.flush()
        with pytest.raises(PermanentRecord, match="cannot be deleted"):
            async with services.unit() as unit:
                row = await unit.session.get(model, row_id)
                await unit.session.delete(row)
                await unit.session.flush()
        with pytest.raises(PermanentRecord, match="cannot be changed"):
            async with services.unit() as unit:
                await unit.session.exec(update(model).values(reason="tampered"))
        with pytest.raises(PermanentRecord, match="cannot be deleted"):
            async with services.unit() as unit:
                await unit.session.exec(delete(model))
    async with services.unit() as unit:
        kept = (await unit.session.exec(select(CreditClaim))).one()
        issued = (await unit.session.exec(select(Certificate))).one()
    assert kept.credits == D("0.75") and kept.reason == ""
    assert issued.learner_name == "Dr. Maya Patel"


async def test_an_activity_with_claims_cannot_be_removed(
    services: Services, session: Activity, physician: User, admin: User
) -> None:
    await claim(services, session, physician, {AMA: "0.75"})
    with pytest.raises(ActivityHasRecords) as caught:
        async with services.unit() as unit:
            await CatalogService(unit.session, unit.clock).delete_activity(session.id or 0, admin)
    assert caught.value.message == (
        "“Heart failure update” cannot be removed: learners hold credit claims for it, which "
        "are kept for at least six years. Unpublish its course instead."
    )
    async with services.unit() as unit:
        assert await unit.session.get(Activity, session.id) is not None
