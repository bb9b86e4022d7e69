"""The CME office's files, checked field by field on one constructed year
(``tests.factories.cme_scenario``): PARS activity and learner CSV, the same as XML, and the
CPE Monitor upload with the claims it cannot carry and the 60-day deadline."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from app.wiring import Services
from courses.date_ranges import DateRange
from courses.errors import PermissionDenied
from courses.exports import split_name, us_date
from courses.exports.activity_report import activity_xml
from courses.exports.cpe_monitor import CpeMonitorExport, CpeMonitorReport, upload_csv
from courses.exports.pars import (
    ParsExport,
    ParsReport,
    activity_csv,
    instruction_hours,
    learner_csv,
)
from courses.models import Activity, ActivityBreak, Role, User
from tests.conftest import MovableClock
from tests.factories import cme_scenario
from tests.factories.catalog import make_live
from tests.factories.cme_scenario import JANE_NPI, OPIOIDS_UAN, SEPSIS_UAN, Scenario
from tests.factories.people import make_user
from tests.factories.records import make_claim, make_designation, set_activity, set_profile

YEAR_2026 = DateRange(date(2026, 1, 1), date(2026, 12, 31))
ACTIVITY_HEADER = [
    "Activity ID",
    "Activity Type",
    "Activity Title",
    "Start Date",
    "End Date",
    "Location",
    "Hours of Instruction",
    "AMA PRA Category 1 Credits Designated",
    "Physician Learners",
    "Other Learners",
    "Commercial Support",
    "Commercial Supporters",
    "Competencies",
]
LEARNER_HEADER = [
    "Activity ID",
    "First Name",
    "Last Name",
    "NPI",
    "License Number",
    "License State",
    "Birth Month",
    "Birth Day",
    "Completion Date",
    "AMA PRA Category 1 Credits Claimed",
]
CPE_HEADER = [
    "NABP e-Profile ID",
    "Birth Date (MMDD)",
    "UAN",
    "Date of Participation",
    "Contact Hours",
    "CEUs",
]


@pytest.fixture
async def scene(services: Services, clock: MovableClock, admin: User) -> Scenario:
    faculty = await make_user(services, Role.FACULTY, name="Fay Faculty")
    return await cme_scenario.build(services, clock, admin, faculty)


async def _pars(
    services: Services, scene: Scenario, period: DateRange = YEAR_2026, actor: User | None = None
) -> ParsReport:
    async with services.unit() as unit:
        return await ParsExport(unit.session, unit.clock).report(period, actor or scene.admin)


async def _cpe(
    services: Services, scene: Scenario, period: DateRange = YEAR_2026, actor: User | None = None
) -> CpeMonitorReport:
    async with services.unit() as unit:
        return await CpeMonitorExport(unit.session, unit.clock).report(period, actor or scene.admin)


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


# -- PARS CSV ------------------------------------------------------------------------------
async def test_pars_activity_csv_field_by_field(services: Services, scene: Scenario) -> None:
    rows = _rows(activity_csv(await _pars(services, scene)))
    assert rows[0] == ACTIVITY_HEADER
    assert rows[1:] == [
        [
            str(scene.opioids.id),
            "Internet Enduring Material",
            "Opioid stewardship",
            "09/01/2026",
            "11/02/2026",
            "Online",
            "0.75",
            "0.75",
            "1",
            "3",
            "No",
            "",
            "",
        ],
        [
            str(scene.sepsis.id),
            "Internet Live Course",
            "Sepsis update",
            "10/20/2026",
            "10/20/2026",
            "Grand Rounds Hall, St Mary's",
            "1.25",
            "1.25",
            "2",
            "3",
            "Yes",
            "Acme Pharma; Beta Devices",
            "Patient care; Medical knowledge",
        ],
    ]


async def test_pars_learner_csv_lists_the_physicians(services: Services, scene: Scenario) -> None:
    rows = _rows(learner_csv(await _pars(services, scene)))
    assert rows[0] == LEARNER_HEADER
    assert rows[1:] == [
        [
            str(scene.opioids.id),
            "Jane",
            "Doe",
            JANE_NPI,
            "A12345",
            "CA",
            "3",
            "14",
            "10/10/2026",
            "0.75",
        ],
        [
            str(scene.sepsis.id),
            "Jane",
            "Doe",
            JANE_NPI,
            "A12345",
            "CA",
            "3",
            "14",
            "10/20/2026",
            "1.25",
        ],
        # corrected from 1.25: only the current claim counts
        [
            str(scene.sepsis.id),
            "Omar",
            "Haddad",
            "",
            "DO-998",
            "NY",
            "11",
            "2",
            "10/20/2026",
            "1.00",
        ],
    ]


async def test_a_physician_without_ama_credit_is_counted_and_listed_with_none(
    services: Services, scene: Scenario
) -> None:
    """An MD who claimed only a participation certificate is still a physician learner."""
    doc = await make_user(services, Role.LEARNER, name="Ann Lee, MD")
    doc = await set_profile(services, doc, degree="MD")
    await make_claim(services, doc, scene.sepsis, "PARTICIPATION", "1.25", date(2026, 10, 20))
    report = await _pars(services, scene)
    sepsis = next(a for a in report.activities if a.activity_id == scene.sepsis.id)
    assert (sepsis.physicians, sepsis.others) == (3, 3)
    row = next(r for r in _rows(learner_csv(report)) if r[2] == "Lee")
    assert row == [str(scene.sepsis.id), "Ann", "Lee", "", "", "", "", "", "10/20/2026", "0.00"]


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        # October: the live session, and the module's two October completions
        (
            DateRange(date(2026, 10, 1), date(2026, 10, 31)),
            [
                ("opioids", "09/01/2026", "10/10/2026", "1", "1"),
                ("sepsis", "10/20/2026", "10/20/2026", "2", "3"),
            ],
        ),
        # November: only the nurse's completion of the module
        (
            DateRange(date(2026, 11, 1), date(2026, 11, 30)),
            [("opioids", "09/01/2026", "11/02/2026", "0", "1")],
        ),
        # September: the module was released then; Paul completed it
        (
            DateRange(date(2026, 9, 1), date(2026, 9, 30)),
            [("opioids", "09/01/2026", "09/20/2026", "0", "1")],
        ),
        (
            DateRange(date(2025, 1, 1), date(2025, 12, 31)),
            [("old", "06/01/2025", "06/01/2025", "1", "0")],
        ),
        (DateRange(date(2024, 1, 1), date(2024, 12, 31)), []),
    ],
)
async def test_pars_follows_the_period(
    services: Services,
    scene: Scenario,
    period: DateRange,
    expected: list[tuple[str, str, str, str, str]],
) -> None:
    ids = {scene.opioids.id: "opioids", scene.sepsis.id: "sepsis", scene.old.id: "old"}
    rows = _rows(activity_csv(await _pars(services, scene, period)))[1:]
    assert [(ids[int(r[0])], r[3], r[4], r[8], r[9]) for r in rows] == expected


async def test_last_years_live_session_online(services: Services, scene: Scenario) -> None:
    rows = _rows(
        activity_csv(await _pars(services, scene, DateRange(date(2025, 1, 1), date(2025, 12, 31))))
    )
    assert rows[1] == [
        str(scene.old.id),
        "Internet Live Course",
        "Last year's update",
        "06/01/2025",
        "06/01/2025",
        "Online",
        "1.00",
        "1.00",
        "1",
        "0",
        "No",
        "",
        "",
    ]


async def test_only_administrators_export(services: Services, scene: Scenario) -> None:
    for person in (scene.faculty, scene.jane):
        with pytest.raises(PermissionDenied, match="This needs the admin role"):
            await _pars(services, scene, actor=person)
        with pytest.raises(PermissionDenied, match="This needs the admin role"):
            await _cpe(services, scene, actor=person)


# -- PARS XML ------------------------------------------------------------------------------
def _text(element: ET.Element, path: str) -> str | None:
    found = element.find(path)
    assert found is not None, path
    return found.text


async def test_pars_xml_parses_back_field_by_field(services: Services, scene: Scenario) -> None:
    data = activity_xml(await _pars(services, scene))
    assert data.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    root = ET.fromstring(data)  # noqa: S314  (our own output)
    assert root.tag == "ActivityReport"
    assert root.attrib == {
        "periodStart": "2026-01-01",
        "periodEnd": "2026-12-31",
        "generated": "2026-12-01T12:00:00Z",
    }
    assert _text(root, "Provider/Name") == "St Mary's CME"
    assert _text(root, "Provider/AccmeProviderId") == "1234567"
    activities = root.findall("Activity")
    assert [a.get("id") for a in activities] == [str(scene.opioids.id), str(scene.sepsis.id)]
    sepsis = activities[1]
    fields = {
        child.tag: child.text
        for child in sepsis
        if child.tag not in ("CommercialSupport", "Competencies", "Participant")
    }
    assert fields == {
        "ActivityID": str(scene.sepsis.id),
        "ActivityType": "Internet Live Course",
        "Title": "Sepsis update",
        "StartDate": "2026-10-20",
        "EndDate": "2026-10-20",
        "Location": "Grand Rounds Hall, St Mary's",
        "HoursOfInstruction": "1.25",
        "Credit": "1.25",
        "PhysicianLearners": "2",
        "OtherLearners": "3",
    }
    credit = sepsis.find("Credit")
    assert credit is not None and credit.attrib == {
        "type": "AMA PRA Category 1",
        "kind": "designated",
    }
    support = sepsis.find("CommercialSupport")
    assert support is not None and support.get("received") == "Yes"
    assert [s.text for s in support.findall("Supporter")] == ["Acme Pharma", "Beta Devices"]
    assert [c.text for c in sepsis.findall("Competencies/Competency")] == [
        "Patient care",
        "Medical knowledge",
    ]
    people = [{child.tag: child.text for child in p} for p in sepsis.findall("Participant")]
    assert people == [
        {
            "FirstName": "Jane",
            "LastName": "Doe",
            "NPI": JANE_NPI,
            "LicenseNumber": "A12345",
            "LicenseState": "CA",
            "BirthMonth": "3",
            "BirthDay": "14",
            "CompletionDate": "2026-10-20",
            "Credit": "1.25",
        },
        {
            "FirstName": "Omar",
            "LastName": "Haddad",
            "LicenseNumber": "DO-998",
            "LicenseState": "NY",
            "BirthMonth": "11",
            "BirthDay": "2",
            "CompletionDate": "2026-10-20",
            "Credit": "1.00",
        },
    ]
    opioids = activities[0]
    assert _text(opioids, "ActivityType") == "Internet Enduring Material"
    assert _text(opioids, "EndDate") == "2026-11-02"
    no_support = opioids.find("CommercialSupport")
    assert no_support is not None and no_support.get("received") == "No"
    assert no_support.findall("Supporter") == []
    assert [p.findtext("LastName") for p in opioids.findall("Participant")] == ["Doe"]


async def test_xml_escapes_markup_and_drops_what_xml_cannot_hold(
    services: Services, scene: Scenario
) -> None:
    title = 'Risk <&> "benefit" \x0b in Ünïcödé — 2026'
    await set_activity(
        services, scene.sepsis, title=title, commercial_supporters="A&B <Labs>\n Ça Co "
    )
    data = activity_xml(await _pars(services, scene))
    assert b"&lt;&amp;&gt;" in data
    assert "Ünïcödé".encode() in data  # UTF-8, not character references
    root = ET.fromstring(data)  # noqa: S314  (our own output)
    sepsis = root.findall("Activity")[1]
    assert sepsis.findtext("Title") == 'Risk <&> "benefit"  in Ünïcödé — 2026'
    assert [s.text for s in sepsis.findall("CommercialSupport/Supporter")] == [
        "A&B <Labs>",
        "Ça Co",
    ]


# -- CPE Monitor ---------------------------------------------------------------------------
async def test_cpe_monitor_upload_has_the_pharmacists_with_an_eprofile(
    services: Services, scene: Scenario
) -> None:
    report = await _cpe(services, scene)
    rows = _rows(upload_csv(report))
    assert rows == [
        CPE_HEADER,
        ["1234567", "0704", OPIOIDS_UAN, "09/20/2026", "0.75", "0.075"],
        ["1234567", "0704", SEPSIS_UAN, "10/20/2026", "1.25", "0.125"],
    ]


async def test_cpe_monitor_lists_what_cannot_be_uploaded_apart(
    services: Services, scene: Scenario
) -> None:
    report = await _cpe(services, scene)
    assert [
        (line.learner.display_name, line.activity.title, line.missing) for line in report.blocked
    ] == [
        ("Rita Gomez", "Opioid stewardship", ["NABP e-Profile ID"]),
        ("Rita Gomez", "Sepsis update", ["NABP e-Profile ID"]),
    ]
    assert all(line.learner.id != scene.rita.id for line in report.ready)
    assert "0109" not in upload_csv(report)
    # Rita adds her e-Profile ID: both claims become uploadable, with her CEUs as recorded
    await set_profile(
        services,
        scene.rita,
        degree="PharmD",
        nabp_eprofile_id="7654321",
        birth_month="1",
        birth_day="9",
    )
    rows = _rows(upload_csv(await _cpe(services, scene)))
    assert ["7654321", "0109", SEPSIS_UAN, "10/20/2026", "1.00", "0.100"] in rows
    assert ["7654321", "0109", OPIOIDS_UAN, "10/10/2026", "0.75", "0.075"] in rows


async def test_missing_birth_date_and_missing_uan_are_named(
    services: Services, scene: Scenario
) -> None:
    await set_profile(services, scene.paul, degree="PharmD", nabp_eprofile_id="1234567")
    workshop = await make_live(
        services,
        scene.admin,
        scene.course,
        title="Compounding workshop",
        starts_at=datetime(2026, 11, 20, 15, 0, tzinfo=UTC),
    )
    await make_designation(services, workshop, "ACPE", "1.00")  # no UAN yet
    await make_claim(services, scene.paul, workshop, "ACPE", "1.00", date(2026, 11, 20))
    report = await _cpe(services, scene)
    assert report.ready == []
    paul = {
        line.activity.title: line.missing
        for line in report.blocked
        if line.learner.id == scene.paul.id
    }
    assert paul == {
        "Opioid stewardship": ["birth month and day"],
        "Sepsis update": ["birth month and day"],
        "Compounding workshop": ["birth month and day", "the activity's UAN"],
    }
    assert _rows(upload_csv(report)) == [CPE_HEADER]


async def test_cpe_monitor_flags_the_60_day_limit(services: Services, scene: Scenario) -> None:
    report = await _cpe(services, scene)
    assert report.today == date(2026, 12, 1)
    assert [
        (line.learner.display_name, line.claim.completed_on, line.days_since, line.days_left)
        for line in report.lines
    ] == [
        ("Paul Chen", date(2026, 9, 20), 72, -12),
        ("Rita Gomez", date(2026, 10, 10), 52, 8),
        ("Paul Chen", date(2026, 10, 20), 42, 18),
        ("Rita Gomez", date(2026, 10, 20), 42, 18),
    ]
    assert [(line.learner.display_name, line.days_left) for line in report.late] == [
        ("Paul Chen", -12)
    ]
    assert [(line.learner.display_name, line.days_left) for line in report.due_soon] == [
        ("Rita Gomez", 8)
    ]


@pytest.mark.parametrize(
    ("days", "due_soon", "late"),
    [(45, False, False), (46, True, False), (60, True, False), (61, False, True)],
)
async def test_the_deadline_edges(
    services: Services,
    scene: Scenario,
    clock: MovableClock,
    days: int,
    due_soon: bool,
    late: bool,
) -> None:
    clock.at = datetime(2026, 10, 20, 9, 0, tzinfo=UTC) + timedelta(days=days)
    report = await _cpe(services, scene, DateRange(date(2026, 10, 20), date(2026, 10, 20)))
    assert {line.days_since for line in report.lines} == {days}
    assert all(line.is_due_soon is due_soon and line.is_late is late for line in report.lines)


async def test_cpe_monitor_follows_the_period(services: Services, scene: Scenario) -> None:
    september = await _cpe(services, scene, DateRange(date(2026, 9, 1), date(2026, 9, 30)))
    assert [(line.learner.display_name, line.uan) for line in september.lines] == [
        ("Paul Chen", OPIOIDS_UAN)
    ]
    assert (
        await _cpe(services, scene, DateRange(date(2025, 1, 1), date(2025, 12, 31)))
    ).lines == []


# -- pure helpers --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Dr. Jane Doe", ("Jane", "Doe")),
        ("Jane Doe, MD", ("Jane", "Doe")),
        ("Mary Ann van Berg", ("Mary Ann van", "Berg")),
        ("Martin Luther King Jr.", ("Martin Luther", "King Jr.")),
        ("Cher", ("", "Cher")),
        ("  Ana   María  ", ("Ana", "María")),
        ("prof  Dr. Li Wei", ("Li", "Wei")),
        ("", ("", "")),
    ],
)
def test_names_are_split_at_the_last_word(name: str, expected: tuple[str, str]) -> None:
    assert split_name(name) == expected


def test_us_dates() -> None:
    assert us_date(date(2026, 3, 5)) == "03/05/2026"
    assert us_date(None) == ""


def _live(minutes: int) -> Activity:
    start = datetime(2026, 10, 20, 12, 0, tzinfo=UTC)
    return Activity(
        course_id=1,
        kind="live",
        title="x",
        starts_at=start,
        ends_at=start + timedelta(minutes=minutes),
        created_at=start,
        updated_at=start,
    )


def _break(start: tuple[int, int], end: tuple[int, int]) -> ActivityBreak:
    return ActivityBreak(
        activity_id=1,
        starts_at=datetime(2026, 10, 20, *start, tzinfo=UTC),
        ends_at=datetime(2026, 10, 20, *end, tzinfo=UTC),
    )


def test_hours_of_instruction_take_out_breaks_once_and_only_inside_the_session() -> None:
    session = _live(90)  # 12:00 to 13:30
    assert instruction_hours(session, [], None) == Decimal("1.50")
    # overlapping breaks count once; the part of a break outside the session is not taken
    breaks = [_break((12, 40), (12, 55)), _break((12, 50), (13, 0)), _break((13, 20), (13, 45))]
    assert instruction_hours(session, breaks, None) == Decimal("1.00")
    assert instruction_hours(_live(50), [], None) == Decimal("0.83")
    module = Activity(
        course_id=1,
        kind="on_demand",
        title="m",
        duration_minutes=45,
        created_at=session.created_at,
        updated_at=session.created_at,
    )
    assert instruction_hours(module, [], None) == Decimal("0.75")
