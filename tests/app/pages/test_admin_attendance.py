"""A live session's attendance page: join and leave times in the session's zone, minutes and
percent, an admin's adjustment with its audit row, and the CSV."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from app.wiring import Services
from courses.attendance import AttendanceService
from courses.models import Activity, Course, Role, User
from tests.app.pages.conftest import SignedIn
from tests.app.pages.helpers import Cast, flashes, text_of
from tests.conftest import START, MovableClock
from tests.factories.catalog import make_course, make_live
from tests.factories.people import make_user


@pytest.fixture
async def course(services: Services, cast: Cast) -> Course:
    return await make_course(services, cast.admin, title="Grand Rounds",
                             faculty_ids=[cast.faculty.id])


@pytest.fixture
async def live(services: Services, cast: Cast, course: Course) -> Activity:
    # 07:00 to 08:00 in New York
    return await make_live(services, cast.admin, course, starts_at=START, minutes=60,
                           title="Sepsis update")


@pytest.fixture
async def learner(services: Services, course: Course) -> User:
    user = await make_user(services, Role.LEARNER, name="Lee Learner")
    async with services.unit() as unit:
        await unit.enrollment.enroll(course.id or 0, user.id or 0, actor=user)
    return user


async def _attend(services: Services, live: Activity, user: User, pid: str, start: int,
                  end: int) -> None:
    async with services.unit() as unit:
        attendance = AttendanceService(unit.session, unit.clock)
        await attendance.joined(activity_id=live.id or 0, room_id=f"activity-{live.id}",
                                participant_id=pid, user_id=user.id or 0, role="learner",
                                at=START + timedelta(minutes=start))
        await attendance.left(participant_id=pid, reason="dropped" if pid == "a" else "left",
                              at=START + timedelta(minutes=end))


async def test_faculty_see_join_and_leave_times_minutes_and_percent(
    services: Services, cast: Cast, live: Activity, learner: User, signed_in: SignedIn,
    clock: MovableClock,
) -> None:
    await _attend(services, live, learner, "a", 0, 20)
    await _attend(services, live, learner, "b", 15, 45)
    clock.at = START + timedelta(hours=2)
    http = await signed_in(cast.faculty)
    page = (await http.get(f"/admin/activities/{live.id}/attendance")).text
    text = text_of(page)
    assert "Attendance: Sepsis update" in text
    assert "07:00 EST \N{EN DASH} 07:20 EST (dropped)" in text
    assert "07:15 EST \N{EN DASH} 07:45 EST" in text
    assert "45.0" in text and "75.0%" in text
    assert "Adjust attendance" not in text  # faculty read; admins adjust
    edit = (await http.get(f"/admin/courses/{live.course_id}/edit")).text
    assert f'href="/admin/activities/{live.id}/attendance"' in edit


async def test_an_admin_adjusts_with_a_reason_and_it_is_logged(
    services: Services, cast: Cast, live: Activity, learner: User, signed_in: SignedIn,
    clock: MovableClock,
) -> None:
    await _attend(services, live, learner, "b", 30, 60)
    clock.at = START + timedelta(hours=2)
    http = await signed_in(cast.admin)
    url = f"/admin/activities/{live.id}/attendance"
    refused = await http.form(url, {"user_id": str(learner.id), "kind": "add",
                                     "start": "2026-12-01T07:00", "end": "2026-12-01T07:30",
                                     "reason": ""})
    assert refused.status_code == 303
    page = (await http.get(url)).text
    assert any("Say why" in f for f in flashes(page)), flashes(page)
    assert "Audit log" not in text_of(page)

    done = await http.form(url, {"user_id": str(learner.id), "kind": "add",
                                  "start": "2026-12-01T07:00", "end": "2026-12-01T07:30",
                                  "reason": "Dialled in by phone"})
    assert done.status_code == 303
    page = (await http.get(url)).text
    text = text_of(page)
    assert "Attendance adjusted" in " ".join(flashes(page))
    assert "Audit log" in text and "Dialled in by phone" in text
    assert cast.admin.display_name in text.split("Audit log")[1]
    assert "60.0" in text and "100.0%" in text


async def test_the_csv_has_one_row_per_connection_in_the_sessions_zone(
    services: Services, cast: Cast, live: Activity, learner: User, signed_in: SignedIn,
    clock: MovableClock,
) -> None:
    await _attend(services, live, learner, "a", 0, 20)
    await _attend(services, live, learner, "b", 15, 45)
    clock.at = START + timedelta(hours=2)
    http = await signed_in(cast.faculty)
    response = await http.get(f"/admin/activities/{live.id}/attendance.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["name"], r["joined"], r["left"], r["leave_reason"], r["minutes"], r["percent"])
            for r in rows] == [
        ("Lee Learner", "2026-12-01 07:00 EST", "2026-12-01 07:20 EST", "dropped", "45.0", "75.0"),
        ("Lee Learner", "2026-12-01 07:15 EST", "2026-12-01 07:45 EST", "left", "45.0", "75.0"),
    ]
