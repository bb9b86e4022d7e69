"""The whole credit journey of a live session, end to end on a real server.

A faculty host and two clinicians (a physician and a nurse) attend with real aiortc peer
connections for different spans, the time injected through the app's clock; the physician's
connection drops and comes back. A break is excluded. Their credits come from the SFU's own
join and leave events; each evaluates the session, claims, downloads the certificate (its text
read back with pypdf) and the public verification page confirms it. On SQLite and PostgreSQL.

    host       |==============================================================|   0-60
    physician  |====================|     |=====[break 30-40]===============|   0-20, 25-60
    nurse                |==========|=====[break]|                                10-40
               0        10         20    25    30        40                  60  minutes

    physician: 20 + (35 - 10 break) = 45 minutes -> 0.75 AMA PRA Category 1 Credits
    nurse:     (30 - 10 break) = 20 minutes      -> 0.33 ANCC contact hours
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlmodel import col, select

from app.main import create_app
from app.settings import Settings
from app.wiring import Services
from courses.credit import CreditService
from courses.designations import DesignationService
from courses.models import AssessmentKind, AttendanceSpan, Certificate, Role, User
from tests.app.signaling.conftest import Connect, Peer, Server, serving
from tests.conftest import BOTH_DATABASES, START, Client, MovableClock, fresh_database
from tests.factories.assessments import make_evaluation, questions_of, standard_answers
from tests.factories.catalog import make_course, make_live
from tests.factories.people import PASSWORD, make_user

T0 = START + timedelta(days=1)  # Tuesday 2 December 2026, 07:00 in New York
TITLE = "Diuretic Resistance in Acute Heart Failure"


@pytest.fixture(params=BOTH_DATABASES)
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path, postgres_database: str
) -> str:
    """Unlike the other signaling tests, this journey runs on both databases."""
    return fresh_database(request.param, tmp_path, sqlite_template, postgres_database)


@pytest.fixture
async def server(
    settings: Settings, services: Services, clock: MovableClock
) -> AsyncIterator[Server]:
    """The signaling suite's server, with the SFU stamping joins and leaves by the test clock."""
    async with serving(create_app(settings, services=services, media_clock=clock.now)) as up:
        yield up


async def _spans(services: Services, user: User) -> list[AttendanceSpan]:
    async with services.unit() as unit:
        rows = await unit.session.exec(
            select(AttendanceSpan).where(AttendanceSpan.user_id == user.id)
            .order_by(col(AttendanceSpan.id)))
        return list(rows.all())


async def _until(check: Callable[[], Awaitable[bool]], what: str, within: float = 20.0) -> None:
    for _ in range(int(within / 0.05)):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"not in time: {what}")


def _text(pdf: bytes) -> str:
    return " ".join(" ".join((page.extract_text() or "").split())
                    for page in PdfReader(io.BytesIO(pdf)).pages)


async def test_two_clinicians_attend_reconnect_evaluate_claim_and_verify(
    server: Server, services: Services, connect_peer: Connect, clock: MovableClock
) -> None:
    # -- set up the day before: the session, its break, designations and evaluation ----------
    admin = await make_user(services, Role.ADMIN, name="Ada Admin")
    host = await make_user(services, Role.FACULTY, name="Dr. Farah Okafor", degree="MD")
    doctor = await make_user(services, Role.LEARNER, name="Dr. Lee Park", degree="MD")
    nurse = await make_user(services, Role.LEARNER, name="Nina Ruiz", degree="RN")
    course = await make_course(services, admin, title="Heart Failure Grand Rounds",
                               faculty_ids=[host.id])
    live = await make_live(services, admin, course, starts_at=T0, minutes=60, title=TITLE)
    async with services.unit() as unit:
        for learner in (doctor, nurse):
            await unit.enrollment.enroll(course.id or 0, learner.id or 0, actor=learner)
        designations = DesignationService(unit.session, unit.clock)
        await designations.add_break(
            live.id or 0, {"title": "Coffee", "start": T0 + timedelta(minutes=30),
                           "end": T0 + timedelta(minutes=40)}, admin)
        await designations.designate(
            live.id or 0, {"credit_type": "AMA_PRA_1", "maximum": "1.00"}, admin)
        await designations.designate(
            live.id or 0, {"credit_type": "ANCC", "maximum": "0.83"}, admin)
    await make_evaluation(services, host, live)
    room = f"activity-{live.id}"

    async def join(user: User, *, as_host: bool = False) -> Peer:
        peer = await connect_peer(room_id=room, user_id=user.id, name=user.display_name,
                                  host=as_host)
        before = len(await _spans(services, user))
        await peer.wait_for("welcome")
        await peer.publish(video=False)

        async def opened() -> bool:
            rows = await _spans(services, user)
            return len(rows) == before + 1 and rows[-1].left_at is None

        await _until(opened, f"{user.display_name} connected")
        return peer

    async def leave(peer: Peer, user: User) -> None:
        await peer.close()

        async def closed() -> bool:
            return all(s.left_at is not None for s in await _spans(services, user))

        await _until(closed, f"{user.display_name} left")

    async def at(minutes: int) -> None:
        clock.at = T0 + timedelta(minutes=minutes)

    # -- the session ----------------------------------------------------------------------------
    await at(0)
    host_peer = await join(host, as_host=True)
    doctor_peer = await join(doctor)
    await at(10)
    nurse_peer = await join(nurse)
    await at(20)
    await leave(doctor_peer, doctor)  # the physician's connection drops...
    await at(25)
    doctor_peer = await join(doctor)  # ...and comes back on a new one
    assert len(await _spans(services, doctor)) == 2
    await at(40)
    await leave(nurse_peer, nurse)
    await at(60)
    await leave(doctor_peer, doctor)
    await leave(host_peer, host)
    await at(75)

    # -- what the rules made of it ------------------------------------------------------------
    async with services.unit() as unit:
        credit = CreditService(unit.session, unit.clock)
        doctor_earned = await credit.earned(live.id or 0, doctor)
        nurse_earned = await credit.earned(live.id or 0, nurse)
    by_type = {a.credit_type: a.credits for a in doctor_earned.awards}
    assert by_type == {"AMA_PRA_1": Decimal("0.75")}, doctor_earned
    assert {a.credit_type: a.credits for a in nurse_earned.awards} == {"ANCC": Decimal("0.33")}

    base = server.url
    anonymous = Client(base_url=base)
    doctor_http = Client(base_url=base)
    nurse_http = Client(base_url=base)
    try:
        await doctor_http.sign_in(doctor.email, PASSWORD)
        await nurse_http.sign_in(nurse.email, PASSWORD)
        claim_url = f"/activities/{live.id}/credit/claim"

        page = await doctor_http.get(f"/activities/{live.id}/credit")
        assert page.status_code == 200 and "0.75" in page.text

        # no claim before the evaluation
        early = await doctor_http.form(claim_url, {"AMA_PRA_1": "0.75"})
        assert early.status_code == 422 and "evaluation" in early.text.lower()

        questions = await questions_of(services, live, AssessmentKind.EVALUATION)
        for http in (doctor_http, nurse_http):
            sent = await http.form(f"/activities/{live.id}/evaluation",
                                   standard_answers(questions))
            assert sent.status_code == 303, sent.text[:500]

        # never more than earned, never a type the profession does not get
        greedy = await doctor_http.form(claim_url, {"AMA_PRA_1": "1.00"})
        assert greedy.status_code == 422 and "0.75" in greedy.text
        wrong_type = await nurse_http.form(claim_url, {"AMA_PRA_1": "0.25"})
        assert wrong_type.status_code == 422

        for http, field, amount in ((doctor_http, "AMA_PRA_1", "0.75"),
                                    (nurse_http, "ANCC", "0.33")):
            claimed = await http.form(claim_url, {field: amount})
            assert claimed.status_code == 303, claimed.text[:500]

        async with services.unit() as unit:
            certificates = {
                c.user_id: c for c in (await unit.session.exec(select(Certificate))).all()
            }
        assert set(certificates) == {doctor.id, nurse.id}
        doctor_code = certificates[doctor.id or 0].code
        nurse_code = certificates[nurse.id or 0].code
        assert doctor_code != nurse_code

        # the certificates, read back
        pdf = await doctor_http.get(f"/certificates/{doctor_code}.pdf")
        assert pdf.status_code == 200
        assert pdf.headers["content-type"] == "application/pdf"
        text = _text(pdf.content)
        for expected in ("Dr. Lee Park", TITLE, "0.75", "AMA PRA Category 1 Credit",
                         doctor_code, "December 2, 2026"):
            assert expected in text, (expected, text)
        assert "Nina Ruiz" not in text
        nurse_text = _text((await nurse_http.get(f"/certificates/{nurse_code}.pdf")).content)
        for expected in ("Nina Ruiz", TITLE, "0.33", "contact hours", nurse_code):
            assert expected in nurse_text, (expected, nurse_text)

        # someone else's certificate is not there for the nurse
        assert (await nurse_http.get(f"/certificates/{doctor_code}.pdf")).status_code == 404

        # the public verification page confirms it, and shows nothing else
        verified = await anonymous.get(f"/verify/{doctor_code}")
        assert verified.status_code == 200
        for expected in ("Dr. Lee Park", TITLE, "0.75"):
            assert expected in verified.text
        assert doctor.email not in verified.text and "Nina Ruiz" not in verified.text
        assert (await anonymous.get("/verify/RND-2222-2222")).status_code == 404
    finally:
        for http in (anonymous, doctor_http, nurse_http):
            await http.aclose()
