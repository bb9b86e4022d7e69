"""One CME office's year, for the transcript, report and export tests.

The clock stands at START (1 Dec 2026 12:00 UTC). People:

    Dr. Jane Doe     MD       NPI, licence A12345 CA, born 03/14
    Omar Haddad      DO       no NPI, licence DO-998 NY, born 11/02
    Nina Park        RN
    Paul Chen        PharmD   NABP e-Profile 1234567, born 07/04
    Rita Gomez       PharmD   no e-Profile ID, born 01/09

Activities of the course "Grand Rounds":

    sepsis   live, Tue 20 Oct 2026 08:00-09:30 New York (12:00-13:30 UTC), a 15-minute break:
             1.25 h of instruction; at "Grand Rounds Hall, St Mary's"; commercial
             support from Acme Pharma and Beta Devices; designated AMA 1.25, ANCC 1.25,
             ACPE 1.25 (UAN 0204-0000-26-001-L01-P)
    opioids  on demand, 45 minutes, released 1 Sep 2026; designated AMA 0.75 and ACPE 0.75
             (UAN 0204-0000-26-002-H01-P)
    old      live, 1 Jun 2025, designated AMA 1.00 (last year's)
    social   live, 5 Nov 2026, no designation (not a CME activity)

Current claims (Omar's 1.25 was corrected to 1.00):

    sepsis   Jane AMA 1.25, Omar AMA 1.00, Nina ANCC 1.25, Paul ACPE 1.25, Rita ACPE 1.00
             (all 20 Oct 2026: 42 days before START)
    opioids  Jane AMA 0.75 (10 Oct), Paul ACPE 0.75 (20 Sep: 72 days, late),
             Rita ACPE 0.75 (10 Oct: 52 days, 8 left), Nina PARTICIPATION 0.75 (2 Nov)
    old      Jane AMA 1.00 (1 Jun 2025)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from app.wiring import Services
from courses.models import Activity, Certificate, Course, CreditClaim, Role, User
from tests.conftest import START, MovableClock
from tests.factories.catalog import make_course, make_live, make_on_demand
from tests.factories.people import make_user
from tests.factories.records import (
    make_break,
    make_certificate,
    make_claim,
    make_designation,
    set_activity,
    set_profile,
    set_provider,
    valid_npi,
)

JANE_NPI = valid_npi("123456789")
SEPSIS_UAN = "0204-0000-26-001-L01-P"
OPIOIDS_UAN = "0204-0000-26-002-H01-P"
SEPSIS_DAY = date(2026, 10, 20)


@dataclass
class Scenario:
    admin: User
    faculty: User
    course: Course
    sepsis: Activity
    opioids: Activity
    old: Activity
    social: Activity
    jane: User
    omar: User
    nina: User
    paul: User
    rita: User
    omar_first_claim: CreditClaim
    jane_certificate: Certificate


async def build(services: Services, clock: MovableClock, admin: User, faculty: User) -> Scenario:
    await set_provider(services, "St Mary's CME", accme_id="1234567", acpe_number="0204")
    course = await make_course(services, admin, title="Grand Rounds", faculty_ids=[faculty.id])
    clock.at = datetime(2026, 9, 1, 14, 0, tzinfo=UTC)
    opioids = await make_on_demand(services, admin, course, minutes=45, title="Opioid stewardship")
    clock.at = START
    sepsis = await make_live(
        services,
        admin,
        course,
        title="Sepsis update",
        minutes=90,
        starts_at=datetime(2026, 10, 20, 12, 0, tzinfo=UTC),
    )
    sepsis = await set_activity(
        services,
        sepsis,
        location="Grand Rounds Hall, St Mary's",
        commercial_support=True,
        commercial_supporters="Acme Pharma\nBeta Devices",
        competencies="Patient care,Medical knowledge",
    )
    old = await make_live(
        services,
        admin,
        course,
        title="Last year's update",
        starts_at=datetime(2025, 6, 1, 13, 0, tzinfo=UTC),
    )
    social = await make_live(
        services,
        admin,
        course,
        title="Welcome social",
        starts_at=datetime(2026, 11, 5, 17, 0, tzinfo=UTC),
    )
    await make_break(
        services,
        sepsis,
        datetime(2026, 10, 20, 12, 40, tzinfo=UTC),
        datetime(2026, 10, 20, 12, 55, tzinfo=UTC),
    )
    for credit_type, maximum, uan in (
        ("AMA_PRA_1", "1.25", ""),
        ("ANCC", "1.25", ""),
        ("ACPE", "1.25", SEPSIS_UAN),
    ):
        await make_designation(services, sepsis, credit_type, maximum, uan=uan)
    await make_designation(services, opioids, "AMA_PRA_1", "0.75")
    await make_designation(services, opioids, "ACPE", "0.75", uan=OPIOIDS_UAN)
    await make_designation(services, old, "AMA_PRA_1", "1.00")

    jane = await make_user(
        services, Role.LEARNER, name="Dr. Jane Doe", email="jane@hospital.example.org"
    )
    jane = await set_profile(
        services,
        jane,
        degree="MD",
        npi=JANE_NPI,
        license_number="A12345",
        license_state="CA",
        birth_month="3",
        birth_day="14",
    )
    omar = await make_user(services, Role.LEARNER, name="Omar Haddad")
    omar = await set_profile(
        services,
        omar,
        degree="DO",
        license_number="DO-998",
        license_state="NY",
        birth_month="11",
        birth_day="2",
    )
    nina = await make_user(services, Role.LEARNER, name="Nina Park", degree="RN")
    paul = await make_user(services, Role.LEARNER, name="Paul Chen")
    paul = await set_profile(
        services, paul, degree="PharmD", nabp_eprofile_id="1234567", birth_month="7", birth_day="4"
    )
    rita = await make_user(services, Role.LEARNER, name="Rita Gomez")
    rita = await set_profile(services, rita, degree="PharmD", birth_month="1", birth_day="9")
    async with services.unit() as unit:
        for person in (jane, omar, nina, paul, rita):
            await unit.enrollment.enroll(course.id or 0, person.id or 0, actor=person)

    await make_claim(services, jane, sepsis, "AMA_PRA_1", "1.25", SEPSIS_DAY)
    omar_first = await make_claim(services, omar, sepsis, "AMA_PRA_1", "1.25", SEPSIS_DAY)
    await make_claim(
        services,
        omar,
        sepsis,
        "AMA_PRA_1",
        "1.00",
        SEPSIS_DAY,
        supersedes=omar_first,
        reason="Left at 09:15",
    )
    await make_claim(services, nina, sepsis, "ANCC", "1.25", SEPSIS_DAY)
    await make_claim(services, paul, sepsis, "ACPE", "1.25", SEPSIS_DAY)
    await make_claim(services, rita, sepsis, "ACPE", "1.00", SEPSIS_DAY, ceus="0.1")
    await make_claim(services, jane, opioids, "AMA_PRA_1", "0.75", date(2026, 10, 10))
    await make_claim(services, paul, opioids, "ACPE", "0.75", date(2026, 9, 20))
    await make_claim(services, rita, opioids, "ACPE", "0.75", date(2026, 10, 10))
    await make_claim(services, nina, opioids, "PARTICIPATION", "0.75", date(2026, 11, 2))
    await make_claim(services, jane, old, "AMA_PRA_1", "1.00", date(2025, 6, 1))
    certificate = await make_certificate(services, jane, sepsis, SEPSIS_DAY, code="RND-7K2Q-9XWM")
    return Scenario(
        admin,
        faculty,
        course,
        sepsis,
        opioids,
        old,
        social,
        jane,
        omar,
        nina,
        paul,
        rita,
        omar_first,
        certificate,
    )


def days_before_start(day: date) -> int:
    return (START.date() - day).days
