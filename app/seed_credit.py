"""The demo's continuing-education setup: the provider's accreditation, designations,
disclosures and evaluations of the demo sessions, and one session that already happened, with
attendance taken, so a first run can walk the whole credit journey (evaluate, claim, download
the certificate, verify it) straight away."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from uuid import uuid4

from app.wiring import Unit
from courses.accreditation import AccreditationService, joint_accreditation_statement
from courses.assessment_authoring import AuthoringService
from courses.attendance import AttendanceService
from courses.credit_rules import CreditType
from courses.designations import DesignationService
from courses.disclosures import DisclosureService
from courses.models import Activity, CreditDesignation, Disclosure, User

ACPE_PROVIDER = "0123"
JOINT_TYPES = (CreditType.AMA_PRA_1, CreditType.ANCC, CreditType.ACPE, CreditType.IPCE)


async def seed_provider(unit: Unit, admin: User, name: str) -> None:
    statement = joint_accreditation_statement(name)
    await AccreditationService(unit.session, unit.clock).update_provider(
        {
            "name": name,
            "accme_provider_id": "0012345",
            "acpe_provider_number": ACPE_PROVIDER,
            **{f"statement_{t.value}": statement for t in JOINT_TYPES},
        },
        admin,
    )


async def seed_upcoming(
    unit: Unit, admin: User, faculty: User, activity: Activity, credits: dict[str, str]
) -> None:
    """Designations, disclosures and the standard evaluation of a session yet to start."""
    activity_id = activity.id or 0
    designations = DesignationService(unit.session, unit.clock)
    for credit_type, maximum in credits.items():
        data = {"credit_type": credit_type, "maximum": maximum}
        if credit_type == CreditType.ACPE:
            data["uan"] = f"{ACPE_PROVIDER}-0000-26-{activity_id:03d}-L01-P"
        await designations.designate(activity_id, data, admin)
    await _disclose(unit, admin, faculty, activity_id)
    await AuthoringService(unit.session, unit.clock).add_standard_evaluation(activity_id, admin)


async def seed_past_session(
    unit: Unit,
    admin: User,
    faculty: User,
    activity: Activity,
    attendees: list[tuple[User, int, int]],
) -> None:
    """A session that ran last week: designated before it started (rows written as the
    accreditation page left them then), attended from the faculty's and learners' media
    connections; nobody has evaluated or claimed yet."""
    assert activity.starts_at is not None and activity.ends_at is not None
    activity_id = activity.id or 0
    before = activity.starts_at - timedelta(days=14)
    for credit_type in (CreditType.AMA_PRA_1, CreditType.ANCC):
        unit.session.add(CreditDesignation(
            activity_id=activity_id, credit_type=credit_type, maximum=Decimal("1.00"),
            created_at=before, updated_at=before,
        ))
    unit.session.add(Disclosure(
        activity_id=activity_id, user_id=faculty.id, name=faculty.display_name, role="faculty",
        created_at=before, updated_at=before,
    ))
    await AuthoringService(unit.session, unit.clock).add_standard_evaluation(activity_id, admin)
    attendance = AttendanceService(unit.session, unit.clock)
    room = f"activity-{activity_id}"
    spans: list[tuple[User, str, datetime, datetime]] = [
        (faculty, "host", activity.starts_at - timedelta(minutes=5), activity.ends_at),
        *((user, "learner", activity.starts_at + timedelta(minutes=start),
           activity.starts_at + timedelta(minutes=end)) for user, start, end in attendees),
    ]
    for user, role, joined, left in spans:
        participant = f"demo-{uuid4().hex[:12]}"
        await attendance.joined(activity_id=activity_id, room_id=room, participant_id=participant,
                                user_id=user.id or 0, role=role, at=joined)
        await attendance.left(participant_id=participant, reason="left", at=left)


async def _disclose(unit: Unit, admin: User, faculty: User, activity_id: int) -> None:
    disclosures = DisclosureService(unit.session, unit.clock)
    await disclosures.add(activity_id, {"user_id": str(faculty.id), "role": "faculty"}, admin)
    await disclosures.add(
        activity_id,
        {
            "name": "Dr. Sam Reyes",
            "role": "planner",
            "relationships": "Advisory board, Cardiomed Devices (ended 2026)",
            "mitigation": "Content peer-reviewed by a planner with no relevant relationships.",
        },
        admin,
    )
