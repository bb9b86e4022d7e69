"""Accreditation setup on SQLite and PostgreSQL: the provider's settings, designations with
their steps, limits and UANs, breaks, the live-window correction, the reporting details,
disclosures, the learner-facing summary, and the lock once an activity has started."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from app.wiring import Services
from courses.accreditation import (
    AccreditationLocked,
    AccreditationService,
    designation_limit,
    format_label,
    joint_accreditation_statement,
    pars_activity_type,
    to_rule,
    validate_uan,
)
from courses.activity_details import ActivityDetailsService
from courses.credit_rules import RULES, CreditType, Designation
from courses.designations import DesignationService
from courses.disclosures import (
    DisclosureService,
    commercial_support_statement,
    disclosure_line,
)
from courses.errors import InvalidInput, PermissionDenied
from courses.models import (
    Activity,
    ActivityKind,
    Course,
    CreditClaim,
    CreditDesignation,
    Disclosure,
    Recording,
    Role,
    User,
)
from tests.conftest import START, MovableClock
from tests.factories.catalog import make_course, make_live, make_on_demand
from tests.factories.people import make_user
from tests.factories.replay import make_recording

D = Decimal


# -- pure ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        ("0123-0000-26-001-L01-P", "0123-0000-26-001-L01-P"),
        ("  0123-9999-26-042-l04-t ", "0123-9999-26-042-L04-T"),
        ("0123\u20130000\u201326\u2013001\u2013B05\u2013P", "0123-0000-26-001-B05-P"),
        ("0123 - 0000 - 26 - 001 - L08 - P", "0123-0000-26-001-L08-P"),
    ],
)
def test_a_uan_is_normalised(text: str, normalised: str) -> None:
    assert validate_uan(text) == normalised


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "Give the activity's Universal Activity Number"),
        ("0123-0000-26-001-L01", "has 5 parts; a UAN has six"),
        ("123-0000-26-001-L01-P", "The first part of the UAN, “123”, must be the ACPE provider"),
        ("0123-00-26-001-L01-P", "The second part of the UAN, “00”, must be the joint provider"),
        ("0123-0000-2026-001-L01-P", "third part of the UAN, “2026”, must be the year"),
        ("0123-0000-26-1-L01-P", "fourth part of the UAN, “1”, must be the activity number"),
        ("0123-0000-26-001-X01-P", "fifth part of the UAN, “X01”, must be the format letter"),
        ("0123-0000-26-001-L1-P", "fifth part"),
        ("0123-0000-26-001-L01-Q", "sixth part of the UAN, “Q”, must be the audience letter"),
        ("0123-0000-26-000-L01-P", "runs from 001 to 999"),
        ("0123-0000-26-001-L09-P", "Topic 09 is not an ACPE topic designator"),
        ("0123-0000-26-001-L00-P", "Topic 00"),
    ],
)
def test_a_malformed_uan_is_refused_naming_the_part(text: str, words: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_uan(text)
    assert words in caught.value.errors["uan"]


def test_a_uan_must_carry_the_providers_number_and_the_activitys_format() -> None:
    assert validate_uan("0123-0000-26-001-L01-P", provider_number="0123") != ""
    with pytest.raises(InvalidInput) as caught:
        validate_uan("0999-0000-26-001-L01-P", provider_number="0123")
    assert (
        "starts with provider number 0999, but this provider's ACPE number is 0123"
        in (caught.value.errors["uan"])
    )
    with pytest.raises(InvalidInput) as caught:
        validate_uan("0123-0000-26-001-H01-P", activity_kind=ActivityKind.LIVE)
    assert "live activity: the format letter must be L (live) or B" in caught.value.errors["uan"]
    with pytest.raises(InvalidInput) as caught:
        validate_uan("0123-0000-26-001-L01-P", activity_kind=ActivityKind.ON_DEMAND)
    assert "on-demand activity: the format letter must be H" in caught.value.errors["uan"]
    for kind in ActivityKind:  # blended suits either
        assert validate_uan("0123-0000-26-001-B01-P", activity_kind=kind).endswith("B01-P")


@pytest.mark.parametrize(
    ("credit_type", "minutes", "limit"),
    [
        (CreditType.AMA_PRA_1, 60, "1.00"),
        (CreditType.AMA_PRA_1, 55, "1.00"),  # rounded up to the step
        (CreditType.AMA_PRA_1, 61, "1.25"),
        (CreditType.AMA_PRA_1, 45, "0.75"),
        (CreditType.ANCC, 55, "0.92"),
        (CreditType.ANCC, 60, "1.00"),
        (CreditType.ACPE, 90, "1.50"),
    ],
)
def test_the_designation_limit_is_the_instructional_time_rounded_up_to_a_step(
    credit_type: CreditType, minutes: int, limit: str
) -> None:
    assert designation_limit(RULES[credit_type], D(minutes)) == D(limit)
    assert str(designation_limit(RULES[credit_type], D(minutes))) == limit


def test_labels_and_rules_of_a_row() -> None:
    live = Activity(course_id=1, kind="live", title="x", created_at=START, updated_at=START)
    module = Activity(course_id=1, kind="on_demand", title="x", created_at=START, updated_at=START)
    assert (format_label(live), format_label(module)) == ("Live activity", "Enduring material")
    assert (pars_activity_type(live), pars_activity_type(module)) == (
        "Internet Live Course",
        "Internet Enduring Material",
    )
    row = CreditDesignation(
        activity_id=1,
        credit_type="APA",
        maximum=D("1.5"),
        full_attendance=None,
        tolerance_minutes=5,
        created_at=START,
        updated_at=START,
    )
    assert to_rule(row) == Designation("APA", D("1.5"), None, 5)
    assert (
        "Acme Hospital is jointly accredited by the Accreditation Council for Continuing "
        "Medical Education (ACCME)" in joint_accreditation_statement("Acme Hospital")
    )


def test_disclosure_lines_and_the_commercial_support_statement() -> None:
    none = Disclosure(
        activity_id=1, name="Dr X", role="faculty", created_at=START, updated_at=START
    )
    some = Disclosure(
        activity_id=1,
        name="Dr Y",
        role="planner",
        relationships="consultant, Acme Pharma",
        mitigation="content peer reviewed by an independent planner",
        created_at=START,
        updated_at=START,
    )
    assert disclosure_line(none) == (
        "Dr X (faculty) has no relevant financial relationships with ineligible companies."
    )
    assert disclosure_line(some) == (
        "Dr Y (planner): consultant, Acme Pharma. Mitigated: "
        "content peer reviewed by an independent planner."
    )
    activity = Activity(course_id=1, kind="live", title="x", created_at=START, updated_at=START)
    assert commercial_support_statement(activity) == (
        "This activity received no commercial support."
    )
    activity.commercial_support = True
    activity.commercial_supporters = "Acme Pharma, Inc.\nBeta Devices"
    assert commercial_support_statement(activity) == (
        "This activity received commercial support from Acme Pharma, Inc.; Beta Devices."
    )


# -- the service -----------------------------------------------------------------------------
@pytest.fixture
async def scene(services: Services, admin: User) -> dict[str, object]:
    faculty = await make_user(services, Role.FACULTY, name="Fay Faculty")
    course = await make_course(services, admin, faculty_ids=[faculty.id])
    # 07:00 to 08:00 in New York, a day after the clock's START
    live = await make_live(services, admin, course, starts_at=START + timedelta(days=1), minutes=60)
    module = await make_on_demand(services, admin, course, minutes=45)
    learner = await make_user(services, name="Lee Learner")
    async with services.unit() as unit:
        await unit.enrollment.enroll(course.id or 0, learner.id or 0, actor=learner)
    return {
        "course": course,
        "live": live,
        "module": module,
        "faculty": faculty,
        "admin": admin,
        "learner": learner,
    }


def parts(scene: dict[str, object]) -> tuple[Activity, Activity, User, User, User]:
    live, module, faculty, admin, learner = (
        scene["live"],
        scene["module"],
        scene["faculty"],
        scene["admin"],
        scene["learner"],
    )
    assert isinstance(live, Activity) and isinstance(module, Activity)
    assert isinstance(faculty, User) and isinstance(admin, User) and isinstance(learner, User)
    return live, module, faculty, admin, learner


async def designate(services: Services, activity: Activity, actor: User, **data: str) -> None:
    async with services.unit() as unit:
        await DesignationService(unit.session, unit.clock).designate(activity.id or 0, data, actor)


async def designations(services: Services, activity: Activity) -> list[tuple[str, Decimal]]:
    async with services.unit() as unit:
        rows = await AccreditationService(unit.session, unit.clock).designations(activity.id or 0)
    return [(r.credit_type, r.maximum) for r in rows]


async def test_the_provider_settings_are_kept_and_validated(
    services: Services, scene: dict[str, object]
) -> None:
    _, _, faculty, admin, _ = parts(scene)
    form = {
        "name": " St Mary's CME ",
        "accme_provider_id": "0012345",
        "acpe_provider_number": "0123",
        "statement_AMA_PRA_1": joint_accreditation_statement("St Mary's CME"),
        "statement_ANCC": "  Nursing statement  ",
        "statement_APA": "",
    }
    async with services.unit() as unit:
        accreditation = AccreditationService(unit.session, unit.clock)
        org = await accreditation.update_provider(form, admin)
    assert (org.name, org.accme_provider_id, org.acpe_provider_number) == (
        "St Mary's CME",
        "0012345",
        "0123",
    )
    async with services.unit() as unit:
        accreditation = AccreditationService(unit.session, unit.clock)
        statements = await accreditation.statements()
        assert (await accreditation.provider()).name == "St Mary's CME"
    assert statements == {
        "AMA_PRA_1": joint_accreditation_statement("St Mary's CME"),
        "ANCC": "Nursing statement",
    }
    # a blank statement removes it
    async with services.unit() as unit:
        await AccreditationService(unit.session, unit.clock).update_provider(
            {**form, "statement_ANCC": ""}, admin
        )
        assert set(await AccreditationService(unit.session, unit.clock).statements()) == {
            "AMA_PRA_1"
        }
    bad = {
        "name": "",
        "accme_provider_id": "PARS-1",
        "acpe_provider_number": "123",
        "statement_IPCE": "x" * 4001,
    }
    async with services.unit() as unit:
        with pytest.raises(InvalidInput) as caught:
            await AccreditationService(unit.session, unit.clock).update_provider(bad, admin)
        assert set(caught.value.errors) == {
            "name",
            "accme_provider_id",
            "acpe_provider_number",
            "statement_IPCE",
        }
        assert "4 digits" in caught.value.errors["acpe_provider_number"]
        with pytest.raises(PermissionDenied):
            await AccreditationService(unit.session, unit.clock).update_provider(form, faculty)


async def test_admins_designate_in_the_rules_steps_and_change_by_type(
    services: Services, scene: dict[str, object]
) -> None:
    live, module, _, admin, _ = parts(scene)
    await designate(services, live, admin, credit_type="ANCC", maximum="0.87")
    await designate(services, live, admin, credit_type="AMA_PRA_1", maximum="1")
    await designate(
        services,
        live,
        admin,
        credit_type="APA",
        maximum="1.00",
        full_attendance="no",
        tolerance_minutes="5",
    )
    assert await designations(services, live) == [
        ("AMA_PRA_1", D("1.00")),
        ("ANCC", D("0.87")),
        ("APA", D("1.00")),
    ]
    await designate(services, live, admin, credit_type="AMA_PRA_1", maximum=".75")  # a change
    assert (await designations(services, live))[0] == ("AMA_PRA_1", D("0.75"))
    async with services.unit() as unit:
        rows = await AccreditationService(unit.session, unit.clock).designations(live.id or 0)
    apa = rows[-1]
    assert (apa.full_attendance, apa.tolerance_minutes) == (False, 5)
    assert to_rule(apa) == Designation("APA", D("1.00"), False, 5)
    # an on-demand item of 45 minutes: at most 0.75
    await designate(services, module, admin, credit_type="IPCE", maximum="0.75")
    assert await designations(services, module) == [("IPCE", D("0.75"))]
    async with services.unit() as unit:
        service = DesignationService(unit.session, unit.clock)
        assert await service.undesignate(live.id or 0, "ANCC", admin) is True
        assert await service.undesignate(live.id or 0, "ANCC", admin) is False
    assert [t for t, _ in await designations(services, live)] == ["AMA_PRA_1", "APA"]


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"credit_type": "PARTICIPATION"}, "credit_type", "always available"),
        ({"credit_type": "CME_X"}, "credit_type", "Choose the credit type"),
        ({"maximum": "1.3"}, "maximum", "steps of 0.25; 1.3 is not one (for example 1.25 or 1.50)"),
        ({"maximum": "0.1"}, "maximum", "(for example 0.25)"),
        ({"maximum": "0"}, "maximum", "above 0"),
        ({"maximum": "-1"}, "maximum", "as a number"),
        ({"maximum": "1e5"}, "maximum", "as a number"),
        ({"maximum": "NaN"}, "maximum", "as a number"),
        ({"maximum": "9E+999999"}, "maximum", "as a number"),
        (
            {"maximum": "1.25"},
            "maximum",
            "At most 1.00 AMA PRA Category 1 Credits™: the activity has 60 minutes of instruction",
        ),
        ({"credit_type": "ANCC", "maximum": "1.01"}, "maximum", "At most 1.00 contact hours"),
        ({"full_attendance": "maybe"}, "full_attendance", "default"),
        ({"tolerance_minutes": "61"}, "tolerance_minutes", "from 0 to 60"),
        ({"tolerance_minutes": "-1"}, "tolerance_minutes", "whole number"),
        ({"uan": "0123-0000-26-001-L01-P"}, "uan", "Only ACPE"),
        ({"credit_type": "ACPE"}, "uan", "Give the activity's Universal Activity Number"),
        ({"credit_type": "ACPE", "uan": "0123-0000-26-001-H01-P"}, "uan", "live activity"),
    ],
)
async def test_designations_are_validated(
    services: Services, scene: dict[str, object], data: dict[str, str], field: str, words: str
) -> None:
    live, _, _, admin, _ = parts(scene)
    values = {"credit_type": "AMA_PRA_1", "maximum": "1", **data}
    async with services.unit() as unit:
        with pytest.raises(InvalidInput) as caught:
            await DesignationService(unit.session, unit.clock).designate(
                live.id or 0, values, admin
            )
    assert words in caught.value.errors[field], caught.value.errors
    assert await designations(services, live) == []


async def test_acpe_needs_the_providers_number_in_its_uan(
    services: Services, scene: dict[str, object]
) -> None:
    live, _, _, admin, _ = parts(scene)
    async with services.unit() as unit:
        await AccreditationService(unit.session, unit.clock).update_provider(
            {"name": "St Mary's", "acpe_provider_number": "0123"}, admin
        )
    with pytest.raises(InvalidInput) as caught:
        await designate(
            services, live, admin, credit_type="ACPE", maximum="1", uan="0456-0000-26-001-L01-P"
        )
    assert "this provider's ACPE number is 0123" in caught.value.errors["uan"]
    await designate(
        services, live, admin, credit_type="ACPE", maximum="1", uan="0123-0000-26-001-l01-p"
    )
    async with services.unit() as unit:
        rows = await AccreditationService(unit.session, unit.clock).designations(live.id or 0)
    assert [(r.credit_type, r.uan) for r in rows] == [("ACPE", "0123-0000-26-001-L01-P")]


async def test_only_admins_designate(services: Services, scene: dict[str, object]) -> None:
    live, _, faculty, _, learner = parts(scene)
    for who in (faculty, learner):
        with pytest.raises(PermissionDenied) as caught:
            await designate(services, live, who, credit_type="AMA_PRA_1", maximum="1")
        assert "Only administrators may designate credit." in caught.value.message
    assert await designations(services, live) == []


async def test_breaks_lie_inside_the_session_apart_and_leave_room_for_the_designation(
    services: Services, scene: dict[str, object]
) -> None:
    live, module, _, admin, _ = parts(scene)
    day = "2026-12-02"

    async def add(start: str, end: str, title: str = "") -> None:
        async with services.unit() as unit:
            await DesignationService(unit.session, unit.clock).add_break(
                live.id or 0,
                {"start": f"{day}T{start}", "end": f"{day}T{end}", "title": title},
                admin,
            )

    await add("07:20", "07:30", "Coffee")
    async with services.unit() as unit:
        rows = await AccreditationService(unit.session, unit.clock).breaks(live.id or 0)
    assert [(b.title, b.starts_at, b.ends_at) for b in rows] == [
        ("Coffee", START + timedelta(days=1, minutes=20), START + timedelta(days=1, minutes=30))
    ]
    # 50 minutes of instruction are left: 1.00 AMA is allowed (rounded up), 1.25 is not
    await designate(services, live, admin, credit_type="AMA_PRA_1", maximum="1")
    await designate(services, live, admin, credit_type="ANCC", maximum="0.84")
    with pytest.raises(InvalidInput) as caught:
        await designate(services, live, admin, credit_type="ANCC", maximum="0.85")
    assert (
        "At most 0.84 contact hours: the activity has 50 minutes of instruction"
        in (caught.value.errors["maximum"])
    )
    cases = [
        (("07:40", "07:35"), "end", "end after it starts"),
        (("06:50", "07:05"), "start", "between 2026-12-02 07:00 EST and 2026-12-02 08:00 EST"),
        (("07:55", "08:05"), "start", "inside the session"),
        (("07:25", "07:35"), "start", "overlaps the break “Coffee”"),
        (("07:00", "07:20"), "start", "lower that designation first"),
        (("soon", "07:35"), "start", "not a time"),
    ]
    for (start, end), field, words in cases:
        with pytest.raises(InvalidInput) as caught:
            await add(start, end)
        assert words in caught.value.errors[field], (start, end, caught.value.errors)
    await designate(services, live, admin, credit_type="AMA_PRA_1", maximum="0.75")
    await designate(services, live, admin, credit_type="ANCC", maximum="0.75")
    await add("07:30", "07:35")  # touching the first is not overlapping
    async with services.unit() as unit:
        service = DesignationService(unit.session, unit.clock)
        with pytest.raises(InvalidInput) as caught:
            await service.add_break(module.id or 0, {"start": "x", "end": "y"}, admin)
        assert "live sessions" in caught.value.errors["start"]
        first = (await AccreditationService(unit.session, unit.clock).breaks(live.id or 0))[0]
        assert await service.remove_break(live.id or 0, first.id or 0, admin) is True
        assert await service.remove_break(live.id or 0, first.id or 0, admin) is False
        assert await service.remove_break(module.id or 0, 999999, admin) is False
    async with services.unit() as unit:
        left = await AccreditationService(unit.session, unit.clock).breaks(live.id or 0)
    assert [(b.title, b.starts_at.minute) for b in left] == [("Break", 30)]


async def test_a_break_may_not_swallow_the_session(
    services: Services, scene: dict[str, object]
) -> None:
    live, _, _, admin, _ = parts(scene)
    async with services.unit() as unit:
        with pytest.raises(InvalidInput) as caught:
            await DesignationService(unit.session, unit.clock).add_break(
                live.id or 0, {"start": "2026-12-02T07:00", "end": "2026-12-02T08:00"}, admin
            )
    assert "no instructional time" in caught.value.errors["start"]


async def test_a_live_session_locks_at_its_start(
    services: Services, scene: dict[str, object], clock: MovableClock
) -> None:
    live, _, faculty, admin, _ = parts(scene)
    await designate(services, live, admin, credit_type="AMA_PRA_1", maximum="1")
    async with services.unit() as unit:
        await DesignationService(unit.session, unit.clock).add_break(
            live.id or 0, {"start": "2026-12-02T07:20", "end": "2026-12-02T07:30"}, admin
        )
        disclosure = await DisclosureService(unit.session, unit.clock).add(
            live.id or 0, {"name": "Dr X", "role": "faculty"}, faculty
        )
    assert live.starts_at is not None
    clock.at = live.starts_at - timedelta(seconds=1)
    async with services.unit() as unit:
        assert not await AccreditationService(unit.session, unit.clock).is_locked(live)
    clock.at = live.starts_at
    async with services.unit() as unit:
        accreditation = AccreditationService(unit.session, unit.clock)
        designations_ = DesignationService(unit.session, unit.clock)
        disclosures = DisclosureService(unit.session, unit.clock)
        assert await accreditation.is_locked(live)
        attempts = [
            designations_.designate(
                live.id or 0, {"credit_type": "AMA_PRA_1", "maximum": "0.5"}, admin
            ),
            designations_.designate(live.id or 0, {"credit_type": "ANCC", "maximum": "1"}, admin),
            designations_.undesignate(live.id or 0, "AMA_PRA_1", admin),
            designations_.add_break(
                live.id or 0, {"start": "2026-12-02T07:40", "end": "2026-12-02T07:45"}, admin
            ),
            designations_.remove_break(live.id or 0, 1, admin),
            disclosures.add(live.id or 0, {"name": "Dr Y", "role": "planner"}, faculty),
            disclosures.remove(live.id or 0, disclosure.id or 0, admin),
        ]
        for attempt in attempts:
            with pytest.raises(AccreditationLocked) as caught:
                await attempt
            assert "This activity has started" in caught.value.message
        assert len(await accreditation.breaks(live.id or 0)) == 1
        assert len(await accreditation.disclosures(live.id or 0)) == 1
    assert await designations(services, live) == [("AMA_PRA_1", D("1.00"))]


async def test_an_on_demand_activity_locks_once_a_learner_starts_it(
    services: Services, scene: dict[str, object], clock: MovableClock
) -> None:
    _, _, faculty, admin, learner = parts(scene)
    course = scene["course"]
    assert isinstance(course, Course)
    recording = await make_recording(services, course=course, duration=600.0)
    async with services.unit() as unit:
        await unit.recordings.publish(recording.id or 0, admin)
        published = await unit.session.get(Recording, recording.id)
        assert published is not None and published.published_activity_id is not None
        activity = await unit.session.get(Activity, published.published_activity_id)
        assert activity is not None and activity.kind == "on_demand"

    async def locked() -> bool:
        async with services.unit() as unit:
            return await AccreditationService(unit.session, unit.clock).is_locked(activity)

    async def watch(user: User) -> None:
        async with services.unit() as unit:
            await unit.watching.heartbeat(recording, user, [[0, 10]], 10)

    assert not await locked()
    clock.at = START + timedelta(minutes=1)
    await watch(faculty)  # the course's faculty checking it
    await watch(admin)
    assert not await locked()
    await designate(services, activity, admin, credit_type="AMA_PRA_1", maximum="0.25")
    await watch(learner)
    assert await locked()
    with pytest.raises(AccreditationLocked):
        await designate(services, activity, admin, credit_type="AMA_PRA_1", maximum="0.25")
    # the watched threshold they were shown stays too
    async with services.unit() as unit:
        details = ActivityDetailsService(unit.session, unit.clock)
        with pytest.raises(InvalidInput) as caught:
            await details.update_details(
                activity.id or 0, {"credit_threshold_percent": "80"}, admin
            )
        assert "threshold they were shown stays" in caught.value.errors["credit_threshold_percent"]
        await details.update_details(activity.id or 0, {"location": "Online"}, admin)


async def test_a_credit_claim_locks_an_on_demand_activity(
    services: Services, scene: dict[str, object]
) -> None:
    _, module, _, _, learner = parts(scene)
    async with services.unit() as unit:
        assert not await AccreditationService(unit.session, unit.clock).is_locked(module)
        unit.session.add(
            CreditClaim(
                user_id=learner.id or 0,
                activity_id=module.id or 0,
                credit_type="PARTICIPATION",
                credits=D("0.75"),
                earned=D("0.75"),
                completed_on=date(2026, 12, 1),
                claimed_at=START,
            )
        )
    async with services.unit() as unit:
        assert await AccreditationService(unit.session, unit.clock).is_locked(module)


async def test_an_admin_corrects_the_live_window_after_the_session(
    services: Services, scene: dict[str, object], clock: MovableClock
) -> None:
    live, module, faculty, admin, _ = parts(scene)
    clock.at = START + timedelta(days=1, hours=3)

    async def correct(
        start: str, end: str, who: User = admin, activity: Activity = live
    ) -> Activity:
        async with services.unit() as unit:
            return await ActivityDetailsService(unit.session, unit.clock).correct_live_window(
                activity.id or 0, {"start": start, "end": end}, who
            )

    corrected = await correct("2026-12-02T07:05", "2026-12-02T08:10")
    assert (corrected.live_started_at, corrected.live_ended_at) == (
        START + timedelta(days=1, minutes=5),
        START + timedelta(days=1, minutes=70),
    )
    cleared = await correct("", "")
    assert (cleared.live_started_at, cleared.live_ended_at) == (None, None)
    for start, end, field, words in [
        ("2026-12-02T07:30", "2026-12-02T07:10", "end", "after the start"),
        (
            "2026-12-02T06:30",
            "2026-12-02T07:10",
            "start",
            "2026-12-02 06:45 EST to 2026-12-02 08:30 EST",
        ),
        ("2026-12-02T07:00", "", "end", "Give the end time"),
        ("2026-12-02T07:00", "much later", "end", "not a time"),
    ]:
        with pytest.raises(InvalidInput) as caught:
            await correct(start, end)
        assert words in caught.value.errors[field]
    with pytest.raises(PermissionDenied):
        await correct("2026-12-02T07:05", "2026-12-02T08:00", faculty)
    with pytest.raises(InvalidInput) as caught:
        await correct("2026-12-02T07:05", "2026-12-02T08:00", activity=module)
    assert "Only a live session" in caught.value.errors["start"]
    clock.at = START + timedelta(days=1, minutes=30)  # during the session
    with pytest.raises(InvalidInput) as caught:
        await correct("2026-12-02T07:00", "2026-12-02T07:45")
    assert "cannot be in the future" in caught.value.errors["end"]


async def test_reporting_details_are_validated_and_kept(
    services: Services, scene: dict[str, object]
) -> None:
    live, module, faculty, admin, _ = parts(scene)

    async def update(activity: Activity, data: dict[str, object], who: User = admin) -> Activity:
        async with services.unit() as unit:
            return await ActivityDetailsService(unit.session, unit.clock).update_details(
                activity.id or 0, data, who
            )

    saved = await update(
        live,
        {
            "location": " Grand Rounds Hall ",
            "commercial_support": "on",
            "commercial_supporters": "Acme Pharma\n\n Beta Devices ",
            "competencies": ["Professionalism", "Patient care"],
        },
    )
    assert saved.location == "Grand Rounds Hall" and saved.commercial_support
    assert saved.commercial_supporters == "Acme Pharma\nBeta Devices"
    assert saved.competencies == "Patient care,Professionalism"  # in the fixed list's order
    threshold = await update(module, {"credit_threshold_percent": "80"})
    assert threshold.credit_threshold_percent == 80
    assert (await update(module, {"credit_threshold_percent": ""})).credit_threshold_percent is None
    cases: list[tuple[Activity, dict[str, object], str, str]] = [
        (live, {"commercial_support": "on"}, "commercial_supporters", "Name each"),
        (live, {"commercial_supporters": "Acme"}, "commercial_supporters", "Tick"),
        (live, {"competencies": ["Patient care", "Golf"]}, "competencies", "from the list"),
        (live, {"credit_threshold_percent": "90"}, "credit_threshold_percent", "on-demand"),
        (module, {"credit_threshold_percent": "49"}, "credit_threshold_percent", "50 to 100"),
        (module, {"credit_threshold_percent": "101"}, "credit_threshold_percent", "50 to 100"),
        (module, {"credit_threshold_percent": "ninety"}, "credit_threshold_percent", "whole"),
        (live, {"location": "x" * 201}, "location", "200"),
    ]
    for activity, data, field, words in cases:
        with pytest.raises(InvalidInput) as caught:
            await update(activity, data)
        assert words in caught.value.errors[field], (data, caught.value.errors)
    with pytest.raises(PermissionDenied):
        await update(live, {"location": "Online"}, faculty)


async def test_course_staff_keep_the_disclosures(
    services: Services, scene: dict[str, object]
) -> None:
    live, _, faculty, admin, learner = parts(scene)
    outsider = await make_user(services, Role.FACULTY, name="Otto Other")

    async def add(who: User, **data: str) -> Disclosure:
        async with services.unit() as unit:
            return await DisclosureService(unit.session, unit.clock).add(live.id or 0, data, who)

    mine = await add(faculty, user_id=str(faculty.id), role="faculty")
    assert (mine.name, mine.user_id, mine.relationships) == ("Fay Faculty", faculty.id, "")
    theirs = await add(
        admin,
        name="Dr Y",
        role="planner",
        relationships="Consultant, Acme Pharma",
        mitigation="Content reviewed by an independent planner",
    )
    assert theirs.mitigation == "Content reviewed by an independent planner"
    for data, field, words in [
        ({"role": "faculty"}, "name", "Give the person's name"),
        ({"name": "Dr Z", "role": "sponsor"}, "role", "faculty, planner, reviewer, moderator"),
        (
            {"name": "Dr Z", "role": "faculty", "relationships": "Speaker, Acme"},
            "mitigation",
            "mitigated",
        ),
        ({"user_id": "99999999999999", "role": "faculty"}, "user_id", "Choose a person"),
        ({"name": "x" * 121, "role": "faculty"}, "name", "120"),
    ]:
        with pytest.raises(InvalidInput) as caught:
            await add(admin, **data)
        assert words in caught.value.errors[field], caught.value.errors
    for who in (outsider, learner):
        with pytest.raises(PermissionDenied):
            await add(who, name="Dr Q", role="faculty")
    async with services.unit() as unit:
        service = DisclosureService(unit.session, unit.clock)
        with pytest.raises(PermissionDenied):
            await service.remove(live.id or 0, mine.id or 0, outsider)
        assert await service.remove(live.id or 0, mine.id or 0, faculty) is True
        assert await service.remove(live.id or 0, mine.id or 0, faculty) is False
        rows = await AccreditationService(unit.session, unit.clock).disclosures(live.id or 0)
    assert [d.name for d in rows] == ["Dr Y"]


async def test_learners_are_shown_faculty_disclosures_support_and_statements(
    services: Services, scene: dict[str, object]
) -> None:
    live, _, faculty, admin, _ = parts(scene)
    async with services.unit() as unit:
        await AccreditationService(unit.session, unit.clock).update_provider(
            {
                "name": "St Mary's CME",
                "acpe_provider_number": "0123",
                "statement_AMA_PRA_1": joint_accreditation_statement("St Mary's CME"),
                "statement_ACPE": joint_accreditation_statement("St Mary's CME"),
                "statement_ANCC": "Nursing accreditation.",
            },
            admin,
        )
    await designate(services, live, admin, credit_type="AMA_PRA_1", maximum="1")
    await designate(
        services, live, admin, credit_type="ACPE", maximum="1", uan="0123-0000-26-001-L01-P"
    )
    async with services.unit() as unit:
        await DisclosureService(unit.session, unit.clock).add(
            live.id or 0, {"user_id": str(faculty.id), "role": "faculty"}, faculty
        )
        activity, view = await unit.catalog.activity(live.id or 0, None)
        shown = await DisclosureService(unit.session, unit.clock).for_learners(activity, view)
    assert shown.faculty == ["Fay Faculty"]
    assert shown.disclosures == [
        "Fay Faculty (faculty) has no relevant financial relationships with ineligible companies."
    ]
    assert shown.commercial_support == "This activity received no commercial support."
    assert shown.accreditation_statements == [joint_accreditation_statement("St Mary's CME")]
    assert shown.designation_statements == [
        "St Mary's CME designates this live activity for a maximum of 1.00 AMA PRA Category 1 "
        "Credits™. Physicians should claim only the credit commensurate with the extent of "
        "their participation in the activity.",
        "St Mary's CME designates this live activity for a maximum of 1.00 ACPE contact hours "
        "(0.1 CEUs). Pharmacists and pharmacy technicians should claim only the credit "
        "commensurate with the extent of their participation in the activity. Universal "
        "Activity Number (UAN): 0123-0000-26-001-L01-P.",
    ]


async def test_an_activity_without_designations_shows_no_statements(
    services: Services, scene: dict[str, object]
) -> None:
    _, module, _, _, _ = parts(scene)
    async with services.unit() as unit:
        activity, view = await unit.catalog.activity(module.id or 0, None)
        shown = await DisclosureService(unit.session, unit.clock).for_learners(activity, view)
    assert shown.accreditation_statements == [] and shown.designation_statements == []
    assert shown.disclosures == [] and shown.faculty == ["Fay Faculty"]
