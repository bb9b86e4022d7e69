"""Certificates, on SQLite and PostgreSQL: what is copied into the row, verification codes,
reissues under the same code, who may open one, the public verification record, and the PDF
(its text read back with pypdf, the QR code's payload, byte-for-byte determinism)."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pypdf
import pytest
import segno

from app.wiring import Services
from courses.certificate_pdf import fonts, render, verify_url
from courses.certificates import (
    ALPHABET,
    CertificateNotFound,
    CertificateService,
    credit_lines,
    new_code,
    normalize_code,
    statements,
    title_of,
)
from courses.claims import ClaimService
from courses.credit_rules import CreditType
from courses.errors import InvalidInput
from courses.models import Activity, Certificate, Course, Role, User
from tests.conftest import MovableClock
from tests.factories.catalog import make_course, make_live
from tests.factories.credit import (
    AMA_STATEMENT,
    ANCC_STATEMENT,
    attend,
    designate,
    name_provider,
    state_accreditation,
)
from tests.factories.people import make_user

D = Decimal
SESSION = datetime(2026, 12, 2, 14, 0, tzinfo=UTC)  # 09:00 in New York
AFTER = SESSION + timedelta(hours=2)
AMA = CreditType.AMA_PRA_1
BASE = "https://cme.hospital.example.org"
CODE = re.compile(r"^[2-9A-HJKMNP-Z]{3}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$")


def at(minutes: float) -> datetime:
    return SESSION + timedelta(minutes=minutes)


def pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    return re.sub(r"\s+", " ", reader.pages[0].extract_text())


async def claim(
    services: Services, activity: Activity, user: User, amounts: dict[str, object]
) -> Certificate:
    async with services.unit() as unit:
        result = await ClaimService(unit.session, unit.clock).claim(activity.id or 0, user, amounts)
    return result.certificate


async def reissue(
    services: Services, certificate: Certificate, actor: User, reason: str = ""
) -> Certificate:
    async with services.unit() as unit:
        return await CertificateService(unit.session, unit.clock).reissue(
            certificate, actor, reason
        )


async def rename(services: Services, user: User, name: str) -> None:
    async with services.unit() as unit:
        await unit.accounts.update_profile(
            user.id or 0, {"display_name": name, "degree": user.degree}
        )


@pytest.fixture
async def course(services: Services, admin: User) -> Course:
    return await make_course(services, admin, title="Cardiology Grand Rounds")


@pytest.fixture
async def session(services: Services, admin: User, course: Course) -> Activity:
    await name_provider(services, "St Mary's Hospital")
    await state_accreditation(services, AMA, AMA_STATEMENT)
    await state_accreditation(services, CreditType.ANCC, ANCC_STATEMENT)
    activity = await make_live(
        services, admin, course, starts_at=SESSION, minutes=60, title="Heart failure update"
    )
    async with services.unit() as unit:
        row = await unit.session.get(Activity, activity.id)
        assert row is not None
        row.location = "Grand Rounds Hall, St Mary's"
        unit.session.add(row)
    await designate(services, activity, AMA, "1.00")
    await designate(services, activity, CreditType.ANCC, "1.00")
    return activity


@pytest.fixture
async def physician(services: Services, clock: MovableClock, session: Activity) -> User:
    user = await make_user(services, Role.LEARNER, name="Dr. Maya Patel", degree="MD")
    await attend(services, session, user, at(8), at(60))
    clock.at = AFTER
    return user


@pytest.fixture
async def certificate(services: Services, session: Activity, physician: User) -> Certificate:
    return await claim(services, session, physician, {AMA: "0.75"})


# -- codes -----------------------------------------------------------------------------------
def test_codes_are_grouped_from_an_unambiguous_alphabet() -> None:
    codes = {new_code() for _ in range(500)}
    assert len(codes) == 500
    for code in codes:
        assert CODE.match(code), code
    assert not set(ALPHABET) & set("01ILO")


@pytest.mark.parametrize(
    ("typed", "printed"),
    [
        ("RND-7KQ2-X9MF", "RND-7KQ2-X9MF"),
        ("rnd7kq2x9mf", "RND-7KQ2-X9MF"),
        (" rnd 7kq2 - x9mf ", "RND-7KQ2-X9MF"),
        ("RND-7KQ2-X9M", None),  # too short
        ("RND-7KQ2-X9M0", None),  # 0 is not in the alphabet
        ("RND-7KQ2-X9MF-2", None),
        ("", None),
        ("<script>", None),
    ],
)
def test_codes_are_read_as_people_type_them(typed: str, printed: str | None) -> None:
    assert normalize_code(typed) == printed


# -- what is printed -------------------------------------------------------------------------
async def test_the_certificate_copies_everything_printed(
    services: Services, certificate: Certificate, session: Activity, physician: User
) -> None:
    assert CODE.match(certificate.code)
    assert certificate.learner_name == "Dr. Maya Patel"
    assert certificate.activity_title == "Heart failure update"
    assert certificate.course_title == "Cardiology Grand Rounds"
    assert certificate.activity_format == "Live activity"
    assert certificate.activity_dates == "December 2, 2026, 9:00 AM to 10:00 AM EST"
    assert certificate.completed_on == date(2026, 12, 2)
    assert certificate.location == "Grand Rounds Hall, St Mary's"
    assert certificate.provider_name == "St Mary's Hospital"
    assert title_of(certificate) == "Certificate of completion"
    (line,) = credit_lines(certificate)
    assert (line.credit_type, line.credits, line.unit) == (
        AMA,
        D("0.75"),
        "AMA PRA Category 1 Credits™",
    )
    printed = statements(certificate)
    assert printed[0] == AMA_STATEMENT
    assert printed[1].startswith(
        "St Mary's Hospital designates this live activity for a maximum of 1.00 AMA PRA "
        "Category 1 Credits™."
    )
    assert ANCC_STATEMENT not in printed  # the learner claimed no nursing hours


async def test_the_printed_record_does_not_follow_later_edits(
    services: Services, certificate: Certificate, session: Activity, admin: User
) -> None:
    async with services.unit() as unit:
        await unit.catalog.update_activity(session.id or 0, {"title": "Renamed later"}, admin)
        again = await CertificateService(unit.session, unit.clock).by_code(certificate.code)
    assert again is not None
    assert again.activity_title == "Heart failure update"


async def test_a_participation_certificate_says_what_the_activity_was_designated_for(
    services: Services, clock: MovableClock, admin: User, course: Course
) -> None:
    activity = await make_live(services, admin, course, starts_at=SESSION, minutes=60)
    await designate(services, activity, AMA, "1.00")
    manager = await make_user(services, Role.LEARNER, name="Pat Manager")
    await attend(services, activity, manager, at(0), at(60))
    clock.at = AFTER
    certificate = await claim(services, activity, manager, {CreditType.PARTICIPATION: "1.00"})
    assert title_of(certificate) == "Certificate of participation"
    (line,) = credit_lines(certificate)
    assert (line.credits, line.unit) == (D("1.00"), "hours of participation")
    assert statements(certificate) == [
        "This activity was designated for 1.00 AMA PRA Category 1 Credits™."
    ]


# -- reissues --------------------------------------------------------------------------------
async def test_a_name_correction_reissues_under_the_same_code(
    services: Services, clock: MovableClock, certificate: Certificate, physician: User
) -> None:
    await rename(services, physician, "Dr. Maya Patel-Okafor")
    clock.at = AFTER + timedelta(days=10)
    new = await reissue(services, certificate, physician)
    assert new.id != certificate.id
    assert new.code == certificate.code
    assert new.supersedes_id == certificate.id
    assert new.learner_name == "Dr. Maya Patel-Okafor"
    assert new.reason == "Reissued by the learner with the name on their profile"
    assert new.actor_id == physician.id
    assert (new.activity_title, new.credits_json, new.statements_json) == (
        certificate.activity_title,
        certificate.credits_json,
        certificate.statements_json,
    )
    async with services.unit() as unit:
        service = CertificateService(unit.session, unit.clock)
        newest = await service.by_code(certificate.code.lower().replace("-", ""))
        history = await service.history(certificate.code)
        verification = await service.verify(certificate.code)
    assert newest is not None and newest.id == new.id
    assert [c.id for c in history] == [certificate.id, new.id]
    assert verification is not None
    assert verification.reissued
    assert verification.learner_name == "Dr. Maya Patel-Okafor"
    assert verification.issued_on == date(2026, 12, 12)
    assert verification.first_issued_on == date(2026, 12, 2)


async def test_a_reissue_without_a_change_is_refused(
    services: Services, certificate: Certificate, physician: User
) -> None:
    with pytest.raises(InvalidInput) as caught:
        await reissue(services, certificate, physician)
    assert caught.value.errors == {
        "certificate": "Nothing printed on this certificate has changed: it already shows the "
        "name on your profile, “Dr. Maya Patel”, and the credits claimed. Correct the name on "
        "the profile first, then reissue it."
    }


async def test_admins_reissue_anyone_s_with_a_reason_others_cannot(
    services: Services, certificate: Certificate, physician: User, admin: User
) -> None:
    await rename(services, physician, "Maya Patel, MD")
    with pytest.raises(InvalidInput) as caught:
        await reissue(services, certificate, admin)
    assert caught.value.errors == {
        "reason": "Say why you reissue it: the reason is kept with the record."
    }
    for outsider in (
        await make_user(services, Role.LEARNER),
        await make_user(services, Role.FACULTY),
    ):
        with pytest.raises(CertificateNotFound):
            await reissue(services, certificate, outsider, "I want to")
    new = await reissue(services, certificate, admin, "Name changed after marriage")
    assert (new.code, new.learner_name, new.actor_id) == (
        certificate.code,
        "Maya Patel, MD",
        admin.id,
    )


async def test_who_may_open_a_certificate(
    services: Services, admin: User, course: Course, certificate: Certificate, physician: User
) -> None:
    faculty = await make_user(services, Role.FACULTY)
    async with services.unit() as unit:
        await unit.catalog.update_course(course.id or 0, {"faculty_ids": [faculty.id]}, admin)
    other_faculty = await make_user(services, Role.FACULTY)
    other_learner = await make_user(services, Role.LEARNER)
    async with services.unit() as unit:
        service = CertificateService(unit.session, unit.clock)
        for allowed in (physician, admin, faculty):
            assert (await service.viewable(certificate.code, allowed)).id == certificate.id
        for outsider in (other_faculty, other_learner):
            with pytest.raises(CertificateNotFound):
                await service.viewable(certificate.code, outsider)
        with pytest.raises(CertificateNotFound):
            await service.viewable("RND-2222-2222", admin)


async def test_verification_shows_only_what_confirms_the_certificate(
    services: Services, certificate: Certificate
) -> None:
    async with services.unit() as unit:
        service = CertificateService(unit.session, unit.clock)
        verification = await service.verify(certificate.code)
        assert await service.verify("RND-2222-2222") is None
        assert await service.verify("not a code") is None
    assert verification is not None
    assert set(vars(verification)) == {
        "code",
        "title",
        "learner_name",
        "activity_title",
        "completed_on",
        "credits",
        "issued_on",
        "first_issued_on",
        "reissued",
        "withdrawn",
    }
    assert not verification.withdrawn
    assert not verification.reissued
    assert [(c.label, c.credits) for c in verification.credits] == [
        ("AMA PRA Category 1 Credit", D("0.75"))
    ]


# -- the PDF ---------------------------------------------------------------------------------
async def test_the_pdf_prints_every_element_and_the_verification_link(
    certificate: Certificate,
) -> None:
    data = render(certificate, BASE + "/")
    assert data.startswith(b"%PDF-")
    reader = pypdf.PdfReader(io.BytesIO(data))
    box = reader.pages[0].mediabox
    assert (float(box.width), float(box.height)) == (792.0, 612.0)  # landscape Letter
    text = pdf_text(data)
    for element in (
        "St Mary's Hospital",
        "Certificate of completion",
        "Dr. Maya Patel",
        "Heart failure update",
        "Part of Cardiology Grand Rounds",
        "Live activity",
        "December 2, 2026, 9:00 AM to 10:00 AM EST",
        "Grand Rounds Hall, St Mary's",
        "Completed on December 2, 2026",
        "0.75 AMA PRA Category 1 Credits™",
        "accredited by the Accreditation Council for Continuing Medical",
        "designates this live activity for a maximum of 1.00",
        f"Verification code {certificate.code}",
        f"{BASE}/verify/{certificate.code}",
    ):
        assert element in text, (element, text)
    assert reader.metadata is not None
    assert reader.metadata.title == "Certificate of completion: Heart failure update"


async def test_the_qr_code_encodes_the_verification_address(certificate: Certificate) -> None:
    url = verify_url(BASE, certificate.code)
    assert url == f"{BASE}/verify/{certificate.code}"
    data = render(certificate, BASE)
    # the drawing is the payload's matrix: one filled run per stretch of dark modules
    matrix = segno.make(url, error="m", micro=False).matrix
    runs = sum(
        1 for row in matrix for i, dark in enumerate(row) if dark and (i == 0 or not row[i - 1])
    )
    content = pypdf.PdfReader(io.BytesIO(data)).pages[0].get_contents()
    assert content is not None
    assert content.get_data().count(b" re") >= runs + 3  # the frame, the white square


async def test_the_pdf_is_the_same_from_the_same_row(certificate: Certificate) -> None:
    assert render(certificate, BASE) == render(certificate, BASE)
    assert render(certificate, BASE) != render(certificate, "https://other.example.org")


async def test_names_in_other_scripts_are_printed(
    services: Services, certificate: Certificate, physician: User
) -> None:
    await rename(services, physician, "Zoë Łukasiewicz-Nguyễn")
    new = await reissue(services, certificate, physician)
    text = pdf_text(render(new, BASE))
    # DejaVu Sans (where installed) covers Vietnamese; ReportLab's own Vera covers Latin-1
    expected = "Zoë Łukasiewicz-Nguyễn" if fonts().regular == "RoundsSans" else "Zoë"
    assert expected in text
