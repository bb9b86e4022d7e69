"""The accreditation pages: the provider's settings, an activity's designations, breaks, live
window, details and disclosures, what learners see on the activity's page before it starts,
and the lock once it has started."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest

from app.wiring import Services
from courses.attendance import AttendanceService
from courses.models import Activity, Course, Role, User
from tests.app.pages.conftest import SignedIn
from tests.app.pages.helpers import Cast, field_error, flashes, text_of
from tests.conftest import START, Client, MovableClock
from tests.factories.catalog import make_course, make_live, make_on_demand
from tests.factories.people import make_user

JA = "is jointly accredited by the Accreditation Council for Continuing Medical Education"


@pytest.fixture
async def course(services: Services, cast: Cast) -> Course:
    return await make_course(
        services, cast.admin, title="Grand Rounds", faculty_ids=[cast.faculty.id]
    )


@pytest.fixture
async def live(services: Services, cast: Cast, course: Course) -> Activity:
    # 07:00 to 08:00 in New York on Wednesday 2 December; the clock is a day before
    return await make_live(
        services, cast.admin, course, starts_at=START + timedelta(days=1), title="Sepsis update"
    )


def url(activity: Activity, rest: str = "") -> str:
    return f"/admin/activities/{activity.id}/accreditation{rest}"


async def test_an_admin_keeps_the_providers_settings(cast: Cast, signed_in: SignedIn) -> None:
    http = await signed_in(cast.admin)
    page = (await http.get("/admin/accreditation")).text
    assert f"In support of improving patient care, Rounds {JA}" in text_of(page)
    assert "Not saved yet" in text_of(page)
    refused = await http.form(
        "/admin/accreditation", {"name": "St Mary's CME", "acpe_provider_number": "12a"}
    )
    assert refused.status_code == 422
    assert "4 digits" in (field_error(refused.text, "acpe_provider_number") or "")
    saved = await http.form(
        "/admin/accreditation",
        {
            "name": "St Mary's CME",
            "accme_provider_id": "0012345",
            "acpe_provider_number": "0123",
            "statement_AMA_PRA_1": f"In support of improving patient care, St Mary's CME {JA}.",
            "statement_ANCC": "",
        },
    )
    assert saved.status_code == 303 and saved.headers["location"] == "/admin/accreditation"
    page = (await http.get("/admin/accreditation")).text
    assert "Accreditation settings saved." in flashes(page)
    assert 'value="0123"' in page and 'value="0012345"' in page
    assert "St Mary's CME · Rounds" in text_of(page)  # the provider's name is the site's too
    assert page.count("Saved.") == 1  # AMA only; ANCC was cleared and is offered again


async def test_faculty_read_the_designations_and_only_admins_change_them(
    cast: Cast, live: Activity, signed_in: SignedIn
) -> None:
    admin = await signed_in(cast.admin)
    done = await admin.form(
        url(live, "/designations"), {"credit_type": "AMA_PRA_1", "maximum": "1"}
    )
    assert done.status_code == 303 and done.headers["location"] == url(live)
    page = (await admin.get(url(live))).text
    assert "Designated for a maximum of 1.00 AMA PRA Category 1 Credits™." in flashes(page)
    assert "1.00 AMA PRA Category 1 Credits™" in text_of(page)
    assert "no accreditation statement" in text_of(page)  # none saved for the provider yet

    faculty = await signed_in(cast.faculty)
    page = (await faculty.get(url(live))).text
    text = text_of(page)
    assert "1.00 AMA PRA Category 1 Credits™" in text
    assert "Designate or change" not in text and "Add break" not in text
    assert "Add disclosure" in text  # faculty keep the disclosures
    refused = await faculty.form(
        url(live, "/designations"), {"credit_type": "ANCC", "maximum": "1"}
    )
    assert refused.status_code == 403
    assert "This needs the admin role; your account is faculty." in text_of(refused.text)


@pytest.mark.parametrize(
    ("form", "field", "words"),
    [
        ({"credit_type": "AMA_PRA_1", "maximum": "0.3"}, "maximum", "steps of 0.25"),
        ({"credit_type": "AMA_PRA_1", "maximum": "2"}, "maximum", "At most 1.00"),
        ({"credit_type": "PARTICIPATION", "maximum": "1"}, "credit_type", "always available"),
        (
            {"credit_type": "ACPE", "maximum": "1", "uan": "0123-0000-26-001-H01-P"},
            "uan",
            "format letter must be L (live) or B",
        ),
        ({"credit_type": "ACPE", "maximum": "1", "uan": "12-34"}, "uan", "has 2 parts"),
    ],
)
async def test_a_bad_designation_is_shown_next_to_its_field(
    cast: Cast, live: Activity, signed_in: SignedIn, form: dict[str, str], field: str, words: str
) -> None:
    http = await signed_in(cast.admin)
    response = await http.form(url(live, "/designations"), dict(form))
    assert response.status_code == 422
    assert words in (field_error(response.text, field) or ""), text_of(response.text)
    assert "Not designated for credit" in text_of(response.text)


async def test_breaks_are_listed_and_an_overlap_refused(
    cast: Cast, live: Activity, signed_in: SignedIn
) -> None:
    http = await signed_in(cast.admin)
    added = await http.form(
        url(live, "/breaks"),
        {
            "break_title": "Coffee",
            "break_start": "2026-12-02T07:20",
            "break_end": "2026-12-02T07:30",
        },
    )
    assert added.status_code == 303
    page = (await http.get(url(live))).text
    assert "Coffee: 07:20 EST \N{EN DASH} 07:30 EST" in text_of(page)
    assert "50 minutes of instruction (breaks excluded)" in text_of(page)
    overlap = await http.form(
        url(live, "/breaks"), {"break_start": "2026-12-02T07:25", "break_end": "2026-12-02T07:40"}
    )
    assert overlap.status_code == 422
    assert "overlaps the break “Coffee”" in (field_error(overlap.text, "break_start") or "")
    removed = re.search(r'action="(/admin/activities/\d+/accreditation/breaks/\d+/remove)"', page)
    assert removed is not None
    assert (await http.form(removed.group(1))).status_code == 303
    page = (await http.get(url(live))).text
    assert "Break removed." in flashes(page) and "Coffee:" not in text_of(page)


async def test_learners_see_disclosures_and_statements_above_the_join_button(
    services: Services,
    cast: Cast,
    course: Course,
    live: Activity,
    signed_in: SignedIn,
    make_client: Callable[..., Client],
) -> None:
    admin = await signed_in(cast.admin)
    await admin.form(
        "/admin/accreditation",
        {
            "name": "St Mary's CME",
            "statement_AMA_PRA_1": f"In support of improving patient care, St Mary's CME {JA}.",
        },
    )
    await admin.form(url(live, "/designations"), {"credit_type": "AMA_PRA_1", "maximum": "1"})
    faculty = await signed_in(cast.faculty)
    for form in (
        {"user_id": str(cast.faculty.id), "role": "faculty"},
        {"name": "Dr Yu", "role": "planner", "relationships": "Consultant, Acme Pharma"},
        {
            "name": "Dr Yu",
            "role": "planner",
            "relationships": "Consultant, Acme Pharma",
            "mitigation": "Content reviewed by an independent planner",
        },
    ):
        await faculty.form(url(live, "/disclosures"), dict(form))
    learner = await make_user(services, Role.LEARNER, name="Lee Learner")
    async with services.unit() as unit:
        await unit.enrollment.enroll(course.id or 0, learner.id or 0, actor=learner)
    http = await signed_in(learner)
    page = (await http.get(f"/activities/{live.id}")).text
    text = text_of(page)
    section = text[text.index("Disclosures and accreditation") : text.index("Join the live")]
    assert "Faculty: Fay Faculty" in section
    assert (
        "Fay Faculty (faculty) has no relevant financial relationships with ineligible "
        "companies." in section
    )
    assert (
        "Dr Yu (planner): Consultant, Acme Pharma. Mitigated: Content reviewed by an "
        "independent planner." in section
    )
    assert section.count("Dr Yu") == 1  # the one without a mitigation was refused
    assert "This activity received no commercial support." in section
    assert f"St Mary's CME {JA}" in section
    assert (
        "St Mary's CME designates this live activity for a maximum of 1.00 AMA PRA Category 1 "
        "Credits™." in section
    )
    assert f'href="/activities/{live.id}/credit">Credit and certificate' in page
    visitor = make_client("10.99.0.1")  # and anyone who may see the activity
    anonymous = text_of((await visitor.get(f"/activities/{live.id}")).text)
    assert "Fay Faculty (faculty) has no relevant financial relationships" in anonymous


async def test_reporting_details_with_several_competencies(
    services: Services, cast: Cast, course: Course, signed_in: SignedIn
) -> None:
    module = await make_on_demand(services, cast.admin, course, minutes=45)
    http = await signed_in(cast.admin)
    saved = await http.form(
        url(module, "/details"),
        {
            "location": "Online",
            "commercial_support": "on",
            "commercial_supporters": "Acme Pharma\nBeta Devices",
            "competencies": ["Medical knowledge", "Patient care"],
            "credit_threshold_percent": "80",
        },
    )
    assert saved.status_code == 303, text_of(saved.text)
    async with services.unit() as unit:
        row = await unit.session.get(Activity, module.id)
    assert row is not None
    assert (row.location, row.competencies, row.credit_threshold_percent) == (
        "Online",
        "Patient care,Medical knowledge",
        80,
    )
    page = (await http.get(f"/activities/{module.id}")).text
    assert "This activity received commercial support from Acme Pharma; Beta Devices." in (
        text_of(page)
    )
    refused = await http.form(url(module, "/details"), {"credit_threshold_percent": "30"})
    assert refused.status_code == 422
    assert "50 to 100" in (field_error(refused.text, "credit_threshold_percent") or "")
    faculty = await signed_in(cast.faculty)
    text = text_of((await faculty.get(url(module))).text)
    assert "Competencies Patient care, Medical knowledge" in text
    assert "Watched percentage needed 80%" in text


async def test_once_started_the_page_is_locked_and_changes_refused(
    cast: Cast, live: Activity, signed_in: SignedIn, clock: MovableClock
) -> None:
    http = await signed_in(cast.admin)
    await http.form(url(live, "/designations"), {"credit_type": "AMA_PRA_1", "maximum": "1"})
    assert live.starts_at is not None
    clock.at = live.starts_at
    page = (await http.get(url(live))).text
    assert "Locked This activity has started" in text_of(page)
    assert "Designate or change" not in text_of(page) and "Add disclosure" not in text_of(page)
    for path, form in (
        ("/designations", {"credit_type": "AMA_PRA_1", "maximum": "0.5"}),
        ("/designations/AMA_PRA_1/remove", {}),
        ("/breaks", {"break_start": "2026-12-02T07:20", "break_end": "2026-12-02T07:30"}),
        ("/disclosures", {"name": "Dr Late", "role": "faculty"}),
    ):
        refused = await http.form(url(live, path), dict(form))
        assert refused.status_code == 409, path
        assert "This activity has started" in text_of(refused.text)
    assert "1.00 AMA PRA Category 1 Credits™" in text_of((await http.get(url(live))).text)


async def test_a_corrected_live_window_and_breaks_show_on_the_attendance_page(
    services: Services, cast: Cast, live: Activity, signed_in: SignedIn, clock: MovableClock
) -> None:
    http = await signed_in(cast.admin)
    await http.form(
        url(live, "/breaks"),
        {
            "break_title": "Coffee",
            "break_start": "2026-12-02T07:20",
            "break_end": "2026-12-02T07:30",
        },
    )
    learner = await make_user(services, Role.LEARNER, name="Lee Learner")
    assert live.starts_at is not None
    async with services.unit() as unit:
        attendance = AttendanceService(unit.session, unit.clock)
        await attendance.joined(
            activity_id=live.id or 0,
            room_id=f"activity-{live.id}",
            participant_id="l1",
            user_id=learner.id or 0,
            role="learner",
            at=live.starts_at,
        )
        await attendance.left(
            participant_id="l1", reason="left", at=live.starts_at + timedelta(minutes=70)
        )
    clock.at = live.starts_at + timedelta(hours=3)
    page = (await http.get(f"/admin/activities/{live.id}/attendance")).text
    assert "Live window used 07:00 EST \N{EN DASH} 08:00 EST (as scheduled)" in text_of(page)
    assert "Breaks Coffee 07:20 EST \N{EN DASH} 07:30 EST" in text_of(page)
    assert "Instructional time 50.0 minutes" in text_of(page)
    corrected = await http.form(
        url(live, "/live-window"),
        {"window_start": "2026-12-02T07:00", "window_end": "2026-12-02T08:10"},
    )
    assert corrected.status_code == 303
    page = (await http.get(f"/admin/activities/{live.id}/attendance")).text
    text = text_of(page)
    assert "07:00 EST \N{EN DASH} 08:10 EST (set by an administrator)" in text
    assert "60.0 100.0%" in text  # 70 minutes less the 10-minute break
    future = await http.form(
        url(live, "/live-window"),
        {"window_start": "2026-12-02T07:00", "window_end": "2026-12-02T12:00"},
    )
    assert future.status_code == 422
    assert "Stay within the hours the room was open" in (
        field_error(future.text, "window_start") or ""
    )
    faculty = await signed_in(cast.faculty)
    assert (await faculty.form(url(live, "/live-window"), {})).status_code == 403


async def test_other_faculty_and_learners_may_not_open_an_activitys_accreditation(
    services: Services, cast: Cast, live: Activity, signed_in: SignedIn
) -> None:
    for who in (cast.other_faculty, cast.learner):
        http = await signed_in(who)
        response = await http.get(url(live))
        assert response.status_code == 403
    stranger: User = await make_user(services, Role.FACULTY)
    http = await signed_in(stranger)
    assert (
        await http.form(url(live, "/disclosures"), {"name": "X", "role": "faculty"})
    ).status_code == 403
