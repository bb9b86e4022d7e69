"""A course's roster: faculty read it; admins enroll and remove people, and the waitlist moves."""

from __future__ import annotations

import re

import pytest

from app.wiring import Services
from courses.models import Course, Role, User
from tests.app.pages.conftest import SignedIn
from tests.app.pages.helpers import Cast, flashes, text_of
from tests.conftest import Client
from tests.factories.catalog import make_course
from tests.factories.people import make_user


@pytest.fixture
async def course(services: Services, cast: Cast) -> Course:
    return await make_course(services, cast.admin, title="Roster Course", capacity=1,
                             faculty_ids=[cast.faculty.id])


@pytest.fixture
async def admin(cast: Cast, signed_in: SignedIn) -> Client:
    return await signed_in(cast.admin)


def roster_rows(page: str) -> list[tuple[str, str]]:
    """(name, status text) of each roster row, in order."""
    rows = []
    for row in page.split("<tbody>")[-1].split("</tbody>")[0].split("<tr>")[1:]:
        name = re.search(r'<th scope="row">([^<]+)</th>', row)
        status = re.search(r'<span class="badge badge-\w+">(\w+)</span>( #\d+)?', row)
        assert name and status, row
        rows.append((name.group(1), status.group(1) + (status.group(2) or "")))
    return rows


def roster_url(course: Course) -> str:
    return f"/admin/courses/{course.id}/enrollments"


async def _people(services: Services, *names: str) -> list[User]:
    return [await make_user(services, Role.LEARNER, name=n) for n in names]


async def test_faculty_read_the_roster_without_admin_controls(
    services: Services, cast: Cast, course: Course, signed_in: SignedIn
) -> None:
    first, second = await _people(services, "Alex Able", "Bo Baker")
    for person in (first, second):
        await (await signed_in(person)).form(f"/courses/{course.id}/enroll")
    page = await (await signed_in(cast.faculty)).get(roster_url(course))
    assert page.status_code == 200
    assert roster_rows(page.text) == [("Alex Able", "Enrolled"), ("Bo Baker", "Waitlisted #1")]
    assert "1 enrolled of 1 seats · 1 waitlisted · 0 withdrawn" in text_of(page.text)
    assert "Enroll someone by email" not in page.text
    assert "/withdraw" not in page.text


async def test_admin_enrolls_someone_by_email(
    services: Services, course: Course, admin: Client, signed_in: SignedIn
) -> None:
    first, second = await _people(services, "Cy Carter", "Di Dunn")
    response = await admin.form(roster_url(course), {"email": first.email.upper()})
    assert response.status_code == 303 and response.headers["location"] == roster_url(course)
    page = await admin.get(roster_url(course))
    assert "Cy Carter is enrolled." in flashes(page.text)
    assert "Enroll someone by email" in page.text
    await admin.form(roster_url(course), {"email": second.email})
    page = await admin.get(roster_url(course))
    assert "Di Dunn is number 1 on the waitlist: the course is full." in flashes(page.text)
    assert roster_rows(page.text) == [("Cy Carter", "Enrolled"), ("Di Dunn", "Waitlisted #1")]
    # the learner sees it on their own pages
    learner = await signed_in(first)
    assert "You are enrolled in this course." in text_of(
        (await learner.get(f"/courses/{course.id}")).text)


@pytest.mark.parametrize(
    ("email", "message"),
    [("nobody@hospital.example.org",
      "No account uses nobody@hospital.example.org. Create the account first."),
     ("not an email", "Enter an email address like name@example.org"),
     ("", "Enter an email address like name@example.org")],
)
async def test_enrolling_an_unknown_or_bad_address_says_so(
    course: Course, admin: Client, email: str, message: str
) -> None:
    response = await admin.form(roster_url(course), {"email": email})
    assert response.status_code == 303
    page = await admin.get(roster_url(course))
    assert any(f.startswith(message) for f in flashes(page.text)), flashes(page.text)
    assert "Nobody has enrolled yet." in page.text


async def test_admin_enrolls_people_in_a_draft_course(
    services: Services, cast: Cast, admin: Client
) -> None:
    draft = await make_course(services, cast.admin, title="Pilot", published=False)
    response = await admin.form(roster_url(draft), {"email": cast.learner.email})
    assert response.status_code == 303
    assert roster_rows((await admin.get(roster_url(draft))).text) == [("Lea Learner", "Enrolled")]


async def test_removing_someone_promotes_the_next_in_line(
    services: Services, course: Course, admin: Client, signed_in: SignedIn
) -> None:
    seated, waiting = await _people(services, "Ed Early", "Flo Later")
    for person in (seated, waiting):
        await admin.form(roster_url(course), {"email": person.email})
    response = await admin.form(f"{roster_url(course)}/{seated.id}/withdraw")
    assert response.status_code == 303 and response.headers["location"] == roster_url(course)
    page = await admin.get(roster_url(course))
    assert "Removed from the course. 1 moved up from the waitlist." in flashes(page.text)
    assert roster_rows(page.text) == [("Flo Later", "Enrolled"), ("Ed Early", "Withdrawn")]
    promoted = await signed_in(waiting)
    assert "You are enrolled in this course." in text_of(
        (await promoted.get(f"/courses/{course.id}")).text)
    removed = await signed_in(seated)
    assert "Roster Course" not in (await removed.get("/dashboard")).text


async def test_removing_someone_not_enrolled_is_harmless(
    cast: Cast, course: Course, admin: Client
) -> None:
    response = await admin.form(f"{roster_url(course)}/{cast.learner.id}/withdraw")
    assert response.status_code == 303
    page = await admin.get(roster_url(course))
    assert "Removed from the course." in flashes(page.text)
    assert "Nobody has enrolled yet." in page.text


async def test_faculty_cannot_enroll_or_remove_people(
    cast: Cast, course: Course, signed_in: SignedIn, admin: Client
) -> None:
    await admin.form(roster_url(course), {"email": cast.learner.email})
    faculty = await signed_in(cast.faculty)
    for url, data in [(roster_url(course), {"email": cast.other_faculty.email}),
                      (f"{roster_url(course)}/{cast.learner.id}/withdraw", {})]:
        response = await faculty.form(url, data)
        assert response.status_code == 403
        assert "This needs the admin role; your account is faculty." in text_of(response.text)
    assert roster_rows((await admin.get(roster_url(course))).text) == [
        ("Lea Learner", "Enrolled")]


@pytest.mark.parametrize("user_id", [2**31, 10**20])
async def test_removing_an_impossible_user_id_is_404(
    course: Course, admin: Client, user_id: int
) -> None:
    response = await admin.form(f"{roster_url(course)}/{user_id}/withdraw")
    assert response.status_code == 404
    assert f"There is no user with id {user_id}." in text_of(response.text)


async def test_enrolling_a_disabled_account_says_so(
    cast: Cast, course: Course, admin: Client
) -> None:
    await admin.form(f"/admin/users/{cast.learner.id}", {"is_active": "0"})
    response = await admin.form(roster_url(course), {"email": cast.learner.email})
    assert response.status_code == 303 and response.headers["location"] == roster_url(course)
    page = await admin.get(roster_url(course))
    assert (f"The account {cast.learner.email} is disabled. Enable it on the Users page first."
            in flashes(page.text))
    assert "Nobody has enrolled yet." in page.text
