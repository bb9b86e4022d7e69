"""'My learning': upcoming live sessions with a join control that opens on time, on-demand items."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from app.wiring import Services
from courses.models import Activity, Course
from tests.app.pages.conftest import SignedIn
from tests.app.pages.helpers import Cast, text_of
from tests.conftest import START, Client, MovableClock
from tests.factories.catalog import make_course, make_live, make_on_demand

STARTS = START + timedelta(hours=2)  # 14:00 UTC, 09:00 in New York
MINUTES = 60


def agenda_item(page: str, activity: Activity) -> str | None:
    """The dashboard line for ``activity``, or None when it is not listed."""
    for item in page.split('<li class="agenda-item">')[1:]:
        item = item.split("</li>")[0]
        if re.search(rf'<a href="/activities/{activity.id}">', item):
            return item
    return None


def join_control(page: str, activity: Activity) -> str:
    """'enabled', 'disabled' or 'none' for the Join control of ``activity``'s line."""
    item = agenda_item(page, activity)
    assert item is not None, f"{activity.title} is not on the dashboard"
    enabled = re.search(
        rf'<a class="button primary" href="/activities/{activity.id}/live" '
        rf'aria-label="Join {re.escape(activity.title)}">Join</a>', item)
    disabled = re.search(r'<span class="button disabled" aria-disabled="true"[^>]*>Join</span>',
                         item)
    assert not (enabled and disabled)
    return "enabled" if enabled else "disabled" if disabled else "none"


@pytest.fixture
async def course(services: Services, cast: Cast) -> Course:
    return await make_course(services, cast.admin, title="Telehealth Etiquette")


@pytest.fixture
async def session(services: Services, cast: Cast, course: Course) -> Activity:
    return await make_live(services, cast.admin, course, starts_at=STARTS, minutes=MINUTES,
                           title="Bedside manner on camera")


@pytest.fixture
async def learner(cast: Cast, course: Course, session: Activity, signed_in: SignedIn) -> Client:
    http = await signed_in(cast.learner)
    assert (await http.form(f"/courses/{course.id}/enroll")).status_code == 303
    return http


async def test_an_enrolled_course_s_live_session_is_listed(
    learner: Client, session: Activity
) -> None:
    page = await learner.get("/dashboard")
    assert page.status_code == 200
    item = agenda_item(page.text, session)
    assert item is not None
    text = text_of(item)
    assert "Bedside manner on camera" in text and "Telehealth Etiquette" in text
    assert "Tue 01 Dec 2026, 09:00 EST \u2013 10:00 EST" in text


@pytest.mark.parametrize(
    ("now", "control"),
    [
        (START, "disabled"),
        (STARTS - timedelta(minutes=15, seconds=1), "disabled"),
        (STARTS - timedelta(minutes=15), "enabled"),
        (STARTS - timedelta(minutes=1), "enabled"),
        (STARTS, "enabled"),
        (STARTS + timedelta(minutes=MINUTES - 1), "enabled"),
    ],
    ids=["2h-before", "15m1s-before", "15m-before", "1m-before", "at-start", "1m-before-end"],
)
async def test_join_opens_15_minutes_before_the_start_until_the_end(
    learner: Client, session: Activity, clock: MovableClock, now: datetime, control: str
) -> None:
    clock.at = now
    page = await learner.get("/dashboard")
    assert join_control(page.text, session) == control


async def test_an_ended_session_leaves_the_dashboard(
    learner: Client, session: Activity, clock: MovableClock
) -> None:
    clock.at = STARTS + timedelta(minutes=MINUTES)
    page = await learner.get("/dashboard")
    assert agenda_item(page.text, session) is None
    assert "No upcoming live sessions." in text_of(page.text)


async def test_the_join_control_follows_the_clock_on_one_page(
    learner: Client, session: Activity, clock: MovableClock
) -> None:
    states = []
    for minutes in (-30, -15, 0, 59, 60):
        clock.at = STARTS + timedelta(minutes=minutes)
        page = (await learner.get("/dashboard")).text
        states.append(join_control(page, session) if agenda_item(page, session) else "gone")
    assert states == ["disabled", "enabled", "enabled", "enabled", "gone"]


async def test_on_demand_items_are_listed(
    services: Services, cast: Cast, course: Course, learner: Client
) -> None:
    module = await make_on_demand(services, cast.admin, course, title="Lighting your face",
                                  minutes=25)
    page = await learner.get("/dashboard")
    on_demand = page.text.split('id="od-h"')[1].split("</section>")[0]
    assert f'<a href="/activities/{module.id}">Lighting your face</a>' in on_demand
    assert "On demand · 25 min" in text_of(on_demand)
    assert "No on-demand items" not in on_demand
    live = page.text.split('id="live-h"')[1].split("</section>")[0]
    assert "Lighting your face" not in live


async def test_sessions_are_in_start_order_across_courses(
    services: Services, cast: Cast, course: Course, session: Activity, learner: Client
) -> None:
    other = await make_course(services, cast.admin, title="Another Course")
    sooner = await make_live(services, cast.admin, other, starts_at=STARTS - timedelta(hours=1),
                             title="Earlier session")
    await learner.form(f"/courses/{other.id}/enroll")
    page = (await learner.get("/dashboard")).text
    assert page.index(f'href="/activities/{sooner.id}"') < page.index(
        f'href="/activities/{session.id}"')


async def test_only_my_courses_appear(
    services: Services, cast: Cast, session: Activity, signed_in: SignedIn
) -> None:
    elsewhere = await make_course(services, cast.admin, title="Not Mine")
    theirs = await make_live(services, cast.admin, elsewhere, starts_at=STARTS,
                             title="Someone else's session")
    await make_on_demand(services, cast.admin, elsewhere, title="Someone else's module")
    http = await signed_in(cast.learner)
    page = await http.get("/dashboard")
    assert page.status_code == 200
    assert agenda_item(page.text, session) is None and agenda_item(page.text, theirs) is None
    assert "Someone else's module" not in page.text
    assert "You are not enrolled in any course yet." in text_of(page.text)


async def test_a_waitlisted_learner_sees_the_session_without_a_join_control(
    services: Services, cast: Cast, signed_in: SignedIn, clock: MovableClock
) -> None:
    full = await make_course(services, cast.admin, title="Full House", capacity=1)
    live = await make_live(services, cast.admin, full, starts_at=STARTS, title="Packed session")
    seated = await signed_in(cast.faculty)
    await seated.form(f"/courses/{full.id}/enroll")
    waiting = await signed_in(cast.learner)
    await waiting.form(f"/courses/{full.id}/enroll")
    clock.at = STARTS  # the session is running
    page = await waiting.get("/dashboard")
    assert join_control(page.text, live) == "none"
    assert '<span class="badge badge-waitlisted">Waitlisted</span>' in (
        agenda_item(page.text, live) or "")
    assert join_control((await seated.get("/dashboard")).text, live) == "enabled"


async def test_leaving_the_course_removes_its_sessions(
    course: Course, session: Activity, learner: Client
) -> None:
    await learner.form(f"/courses/{course.id}/unenroll")
    page = await learner.get("/dashboard")
    assert agenda_item(page.text, session) is None
    assert "Telehealth Etiquette" not in page.text


async def test_my_courses_and_the_profile_reminder(
    services: Services, cast: Cast, course: Course, learner: Client
) -> None:
    page = await learner.get("/dashboard")
    mine = page.text.split('id="courses-h"')[1].split("</section>")[0]
    assert f'<a href="/courses/{course.id}">Telehealth Etiquette</a>' in mine
    assert "Add your degree or profession" in text_of(page.text)
    await learner.form("/profile", {"display_name": "Lea Learner", "degree": "RN"})
    assert "Add your degree or profession" not in text_of((await learner.get("/dashboard")).text)


async def test_faculty_see_the_courses_they_manage(
    services: Services, cast: Cast, signed_in: SignedIn
) -> None:
    taught = await make_course(services, cast.admin, title="Taught Course",
                               faculty_ids=[cast.faculty.id])
    await make_course(services, cast.admin, title="Untaught Course")
    page = await (await signed_in(cast.faculty)).get("/dashboard")
    managed = page.text.split('id="teach-h"')[1].split("</section>")[0]
    assert f'href="/admin/courses/{taught.id}/edit">Taught Course</a>' in managed
    assert "Untaught Course" not in managed
    learner_page = await (await signed_in(cast.learner)).get("/dashboard")
    assert 'id="teach-h"' not in learner_page.text
