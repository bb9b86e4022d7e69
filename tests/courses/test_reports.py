"""One activity's report: roster with attendance (live) or the watched share (on demand),
credit claimed by type, the post-test pass rate and the evaluation summary; for the course's
faculty and administrators only."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from app.wiring import Services
from courses.attendance import AttendanceService
from courses.errors import ActivityNotFound, PermissionDenied
from courses.models import Role, User
from courses.reports import ActivityReport, ReportService
from tests.conftest import MovableClock
from tests.factories import cme_scenario
from tests.factories.assessments import (
    add_evaluation,
    add_post_test,
    record_evaluation,
    record_post_test,
)
from tests.factories.cme_scenario import Scenario
from tests.factories.credit import attend, published_recording, watch
from tests.factories.people import make_user
from tests.factories.records import make_claim


@pytest.fixture
async def scene(services: Services, clock: MovableClock, admin: User) -> Scenario:
    faculty = await make_user(services, Role.FACULTY, name="Fay Faculty")
    return await cme_scenario.build(services, clock, admin, faculty)


async def _report(services: Services, activity_id: int, actor: User) -> ActivityReport:
    async with services.unit() as unit:
        return await ReportService(unit.session, unit.clock).activity_report(activity_id, actor)


def _at(hour: int, minute: int) -> datetime:
    return datetime(2026, 10, 20, hour, minute, tzinfo=UTC)


async def test_a_live_report_has_attendance_claims_and_enrolled_absentees(
    services: Services, scene: Scenario
) -> None:
    await attend(services, scene.sepsis, scene.faculty, _at(11, 55), _at(13, 35), role="host")
    await attend(services, scene.sepsis, scene.jane, _at(11, 58), _at(13, 30))
    await attend(services, scene.sepsis, scene.paul, _at(12, 0), _at(12, 30))
    report = await _report(services, scene.sepsis.id or 0, scene.faculty)
    assert report.course_title == "Grand Rounds"
    assert report.attendance_csv_url == f"/admin/activities/{scene.sepsis.id}/attendance.csv"
    lines = {p.user.display_name: p for p in report.participants}
    assert sorted(lines) == [
        "Dr. Jane Doe",
        "Fay Faculty",
        "Nina Park",
        "Omar Haddad",
        "Paul Chen",
        "Rita Gomez",
    ]
    # the figures are the attendance roster's own
    async with services.unit() as unit:
        roster = await AttendanceService(unit.session, unit.clock).roster(
            scene.sepsis.id or 0, scene.admin
        )
    for entry in roster.entries:
        line = lines[entry.user.display_name]
        assert (line.minutes, line.percent, line.first_joined, line.last_left) == (
            entry.minutes,
            entry.percent,
            entry.first_joined,
            entry.last_left,
        )
    assert lines["Dr. Jane Doe"].percent == 100.0
    assert 0 < lines["Paul Chen"].percent < 50.0
    assert lines["Fay Faculty"].is_faculty and not lines["Dr. Jane Doe"].is_faculty
    # enrolled, never connected: listed with nothing attended
    assert (lines["Nina Park"].minutes, lines["Nina Park"].percent) == (0.0, 0.0)
    assert lines["Omar Haddad"].claimed == "1.00 AMA PRA Category 1 Credits™"
    assert next(p.user.display_name for p in report.learners) == "Dr. Jane Doe"
    assert report.participants[-1].user.display_name == "Fay Faculty"  # faculty last
    assert [(c.credit_type, c.learners, c.credits, c.ceus) for c in report.claimed] == [
        ("AMA_PRA_1", 2, Decimal("2.25"), None),
        ("ANCC", 1, Decimal("1.25"), None),
        ("ACPE", 2, Decimal("2.25"), Decimal("0.225")),
    ]
    assert report.post_test is None


async def test_an_on_demand_report_shows_the_watched_share_and_the_post_test(
    services: Services, scene: Scenario
) -> None:
    recording, module = await published_recording(
        services, scene.admin, scene.course, seconds=1200.0, title="Recorded rounds"
    )
    await watch(services, recording, scene.jane, 100.0)
    await watch(services, recording, scene.nina, 40.0)
    test = await add_post_test(services, module, pass_percent=80)
    await record_post_test(services, test, scene.jane, passed=False)
    await record_post_test(services, test, scene.jane, passed=True, number=2)
    await record_post_test(services, test, scene.nina, passed=False)
    await make_claim(services, scene.jane, module, "AMA_PRA_1", "0.25", date(2026, 12, 1))
    report = await _report(services, module.id or 0, scene.admin)
    assert report.attendance_csv_url is None
    assert report.recording is not None and report.recording.id == recording.id
    lines = {p.user.display_name: p for p in report.participants}
    assert (lines["Dr. Jane Doe"].minutes, lines["Dr. Jane Doe"].percent) == (20.0, 100.0)
    assert (lines["Nina Park"].minutes, lines["Nina Park"].percent) == (8.0, 40.0)
    assert (lines["Paul Chen"].minutes, lines["Paul Chen"].percent) == (0.0, 0.0)
    assert [(c.credit_type, c.learners, c.credits) for c in report.claimed] == [
        ("AMA_PRA_1", 1, Decimal("0.25"))
    ]
    assert report.post_test is not None
    assert (
        report.post_test.pass_percent,
        report.post_test.attempted,
        report.post_test.passed,
        report.post_test.attempts,
        report.post_test.pass_rate,
    ) == (80, 2, 1, 3, 50.0)


async def test_the_evaluation_summary_is_in_the_report(services: Services, scene: Scenario) -> None:
    assessment = await add_evaluation(services, scene.sepsis)
    await record_evaluation(services, assessment, scene.jane)
    await record_evaluation(services, assessment, scene.paul)
    report = await _report(services, scene.sepsis.id or 0, scene.admin)
    assert report.evaluation.activity_id == scene.sepsis.id
    assert report.evaluation.responses == 2
    assert [item.prompt for item in report.evaluation.likert] == [
        "The activity met its stated objectives."
    ]
    empty = await _report(services, scene.opioids.id or 0, scene.admin)
    assert empty.evaluation.has_evaluation is False and empty.evaluation.responses == 0


async def test_only_the_courses_faculty_and_admins_see_the_report(
    services: Services, scene: Scenario
) -> None:
    other = await make_user(services, Role.FACULTY, name="Otto Other")
    with pytest.raises(PermissionDenied, match="Only this course's faculty and administrators"):
        await _report(services, scene.sepsis.id or 0, other)
    with pytest.raises(PermissionDenied):
        await _report(services, scene.sepsis.id or 0, scene.jane)
    with pytest.raises(ActivityNotFound):
        await _report(services, 987654, scene.admin)
    assert (
        await _report(services, scene.sepsis.id or 0, scene.admin)
    ).activity.id == scene.sepsis.id
