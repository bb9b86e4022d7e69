"""The CME office's pages: an activity's report for its faculty and admins, the reports page
with its period form and downloads, and the CPE Monitor page with what cannot be uploaded and
the 60-day deadline; all of it closed to everyone else."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest

from app.wiring import Services
from tests.app.pages.conftest import SignedIn
from tests.app.pages.helpers import Cast, field_error, text_of
from tests.conftest import MovableClock
from tests.factories import cme_scenario
from tests.factories.assessments import (
    add_evaluation,
    add_post_test,
    record_evaluation,
    record_post_test,
)
from tests.factories.cme_scenario import OPIOIDS_UAN, SEPSIS_UAN, Scenario
from tests.factories.credit import attend, published_recording, watch


@pytest.fixture
async def scene(services: Services, clock: MovableClock, cast: Cast) -> Scenario:
    return await cme_scenario.build(services, clock, cast.admin, cast.faculty)


async def test_the_courses_faculty_read_an_activitys_report(
    services: Services, scene: Scenario, cast: Cast, signed_in: SignedIn
) -> None:
    await attend(
        services,
        scene.sepsis,
        scene.jane,
        datetime(2026, 10, 20, 12, 0, tzinfo=UTC),
        datetime(2026, 10, 20, 13, 30, tzinfo=UTC),
    )
    evaluation = await add_evaluation(services, scene.sepsis)
    await record_evaluation(services, evaluation, scene.jane)
    http = await signed_in(cast.faculty)
    response = await http.get(f"/admin/activities/{scene.sepsis.id}/report")
    assert response.status_code == 200
    text = text_of(response.text)
    assert "Report: Sepsis update" in text
    assert "AMA PRA Category 1 Credit 2 2.25 AMA PRA Category 1 Credits™" in text
    assert "ACPE pharmacy continuing education 2 2.25 (0.225 CEUs) contact hours" in text
    assert "Dr. Jane Doe jane@hospital.example.org 08:00 EDT 09:30 EDT" in text
    assert "100.0% 1.25 AMA PRA Category 1 Credits™" in text
    assert f'href="/admin/activities/{scene.sepsis.id}/attendance.csv"' in response.text
    assert "Evaluation summary" in text and "1 evaluation submitted." in text
    assert "The activity met its stated objectives." in text
    assert "Post-test" not in text


async def test_an_on_demand_report_shows_viewing_and_the_post_test(
    services: Services, scene: Scenario, cast: Cast, signed_in: SignedIn
) -> None:
    recording, module = await published_recording(
        services, cast.admin, scene.course, seconds=600.0, title="Recorded rounds"
    )
    await watch(services, recording, scene.nina, 50.0)
    test = await add_post_test(services, module, pass_percent=80)
    await record_post_test(services, test, scene.nina, passed=True)
    await record_post_test(services, test, scene.jane, passed=False)
    http = await signed_in(cast.admin)
    response = await http.get(f"/admin/activities/{module.id}/report")
    assert response.status_code == 200
    text = text_of(response.text)
    assert "Roster and viewing" in text
    assert "Watched share of the published recording “Recorded rounds”" in text
    assert "Nina Park" in text and "5.0 \N{EN DASH} 50.0%" in text
    assert (
        "Pass mark 80% Learners who took it 2 (2 attempts) Learners who passed 1 "
        "Pass rate 50.0%" in text
    )
    assert "No credit has been claimed for this activity yet." in text
    assert "This activity has no evaluation." in text
    assert "attendance.csv" not in response.text


@pytest.mark.parametrize(("who", "status"), [("other_faculty", 403), ("learner", 403)])
async def test_others_may_not_read_an_activitys_report(
    scene: Scenario, cast: Cast, signed_in: SignedIn, who: str, status: int
) -> None:
    http = await signed_in(getattr(cast, who))
    response = await http.get(f"/admin/activities/{scene.sepsis.id}/report")
    assert response.status_code == status
    assert "Dr. Jane Doe" not in response.text


async def test_the_reports_page_defaults_to_this_year(
    scene: Scenario, cast: Cast, signed_in: SignedIn
) -> None:
    http = await signed_in(cast.admin)
    response = await http.get("/admin/reports")
    assert response.status_code == 200
    page = response.text
    text = text_of(page)
    assert "1 Jan 2026 to 31 Dec 2026" in text
    assert (
        f"{scene.opioids.id} Opioid stewardship Internet Enduring Material 2026-09-01 to "
        "2026-11-02 0.75 0.75 1 3 No"
    ) in text
    assert (
        f"{scene.sepsis.id} Sepsis update Internet Live Course 2026-10-20 1.25 1.25 2 3 "
        "Yes: Acme Pharma; Beta Devices"
    ) in text
    assert "Last year's update" not in text and "Welcome social" not in text
    query = "from=2026-01-01&amp;to=2026-12-31"
    for link in (
        "pars-activities.csv",
        "pars-learners.csv",
        "pars.xml",
        "cpe-monitor.csv",
        "cpe-monitor",
    ):
        assert f'href="/admin/reports/{link}?{query}"' in page
    assert "2 ACPE claims ready to upload" in text
    assert "2 cannot be uploaded" in text
    assert "1 near the 60-day reporting limit." in text
    assert "1 past the 60-day reporting limit." in text


async def test_the_reports_page_takes_a_year_or_dates(
    scene: Scenario, cast: Cast, signed_in: SignedIn
) -> None:
    http = await signed_in(cast.admin)
    last_year = text_of((await http.get("/admin/reports?year=2025")).text)
    assert "Last year's update" in last_year and "Sepsis update" not in last_year
    reversed_range = await http.get("/admin/reports?from=2026-12-31&to=2026-01-01")
    assert reversed_range.status_code == 422
    assert field_error(reversed_range.text, "to") == (
        "The end date (2026-01-01) is before the start date (2026-12-31); swap them, or "
        "choose a later end date."
    )
    both = await http.get("/admin/reports?year=2026&from=2026-01-01")
    assert both.status_code == 422
    assert field_error(both.text, "year") == "Give a year or a date range, not both."


async def test_the_downloads(scene: Scenario, cast: Cast, signed_in: SignedIn) -> None:
    http = await signed_in(cast.admin)
    activities = await http.get("/admin/reports/pars-activities.csv?year=2026")
    assert activities.status_code == 200
    assert activities.headers["content-type"] == "text/csv; charset=utf-8"
    assert activities.headers["content-disposition"] == (
        'attachment; filename="pars-activities-2026-01-01-to-2026-12-31.csv"'
    )
    rows = list(csv.reader(io.StringIO(activities.text)))
    assert [r[0] for r in rows[1:]] == [str(scene.opioids.id), str(scene.sepsis.id)]
    learners = await http.get("/admin/reports/pars-learners.csv?from=2026-10-15&to=2026-10-31")
    rows = list(csv.reader(io.StringIO(learners.text)))
    assert [(r[1], r[2], r[8], r[9]) for r in rows[1:]] == [
        ("Jane", "Doe", "10/20/2026", "1.25"),
        ("Omar", "Haddad", "10/20/2026", "1.00"),
    ]
    xml = await http.get("/admin/reports/pars.xml?year=2026")
    assert xml.headers["content-type"] == "application/xml"
    root = ET.fromstring(xml.content)  # noqa: S314  (our own output)
    assert [a.findtext("Title") for a in root.findall("Activity")] == [
        "Opioid stewardship",
        "Sepsis update",
    ]
    upload = await http.get("/admin/reports/cpe-monitor.csv?year=2026")
    assert upload.headers["content-disposition"] == (
        'attachment; filename="cpe-monitor-upload-2026-01-01-to-2026-12-31.csv"'
    )
    assert list(csv.reader(io.StringIO(upload.text)))[1:] == [
        ["1234567", "0704", OPIOIDS_UAN, "09/20/2026", "0.75", "0.075"],
        ["1234567", "0704", SEPSIS_UAN, "10/20/2026", "1.25", "0.125"],
    ]
    bad = await http.get("/admin/reports/pars.xml?year=20x6")
    assert bad.status_code == 422
    assert "The year is a 4-digit year from 2000 to 2027." in text_of(bad.text)


async def test_the_cpe_monitor_page_names_the_problems(
    scene: Scenario, cast: Cast, signed_in: SignedIn
) -> None:
    http = await signed_in(cast.admin)
    response = await http.get("/admin/reports/cpe-monitor?year=2026")
    assert response.status_code == 200
    text = text_of(response.text)
    assert "Opioid stewardship 2026-10-10 NABP e-Profile ID 8" in text
    assert "Sepsis update 2026-10-20 NABP e-Profile ID 18" in text
    assert (
        f"Paul Chen Opioid stewardship {OPIOIDS_UAN} 2026-09-20 72 Late: 12 days past the limit"
    ) in text
    assert f"Rita Gomez Opioid stewardship {OPIOIDS_UAN} 2026-10-10 52 8 days left" in text
    assert f"Paul Chen 1234567 0704 {SEPSIS_UAN} 2026-10-20 1.25 0.125 18" in text
    assert "Download the upload file (CSV, 2 rows)" in text


@pytest.mark.parametrize(
    "url",
    [
        "/admin/reports",
        "/admin/reports/cpe-monitor",
        "/admin/reports/pars-activities.csv",
        "/admin/reports/pars-learners.csv",
        "/admin/reports/pars.xml",
        "/admin/reports/cpe-monitor.csv",
    ],
)
async def test_only_admins_open_the_exports(
    scene: Scenario, cast: Cast, signed_in: SignedIn, url: str
) -> None:
    for person in (cast.faculty, scene.jane):
        response = await (await signed_in(person)).get(url)
        assert response.status_code == 403, (url, person.display_name)
        assert "1234567" not in response.text and "Haddad" not in response.text
