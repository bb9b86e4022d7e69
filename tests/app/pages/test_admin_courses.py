"""Managing courses: the list, creating (admins) and editing (admins and the course's faculty)."""

from __future__ import annotations

import re

import pytest

from app.wiring import Services
from courses.models import Course
from tests.app.pages.conftest import SignedIn
from tests.app.pages.helpers import Cast, field_error, flashes, input_value, text_of
from tests.conftest import Client
from tests.factories.catalog import make_course
from tests.factories.people import make_user


@pytest.fixture
async def admin(cast: Cast, signed_in: SignedIn) -> Client:
    return await signed_in(cast.admin)


@pytest.fixture
async def faculty(cast: Cast, signed_in: SignedIn) -> Client:
    return await signed_in(cast.faculty)


@pytest.fixture
async def taught(services: Services, cast: Cast) -> Course:
    return await make_course(services, cast.admin, title="Taught Course", slug="taught",
                             tags="ethics", capacity=10, faculty_ids=[cast.faculty.id])


def course_rows(page: str) -> list[str]:
    return re.findall(r'<th scope="row"><a href="/courses/\d+">([^<]+)</a></th>', page)


async def test_admins_list_every_course_faculty_their_own(
    services: Services, cast: Cast, taught: Course, admin: Client, faculty: Client
) -> None:
    await make_course(services, cast.admin, title="Draft Elsewhere", published=False)
    page = await admin.get("/admin/courses")
    assert course_rows(page.text) == ["Draft Elsewhere", "Taught Course"]
    assert 'href="/admin/courses/new"' in page.text
    page = await faculty.get("/admin/courses")
    assert course_rows(page.text) == ["Taught Course"]
    assert 'href="/admin/courses/new"' not in page.text
    assert "0 / 10" in text_of(page.text)


async def test_admin_creates_a_course(cast: Cast, admin: Client, client: Client) -> None:
    page = await admin.get("/admin/courses/new")
    assert page.status_code == 200
    assert "Fay Faculty" in page.text and "Otto Other" in page.text  # faculty to choose from
    response = await admin.form("/admin/courses/new", {
        "title": "Remote Triage 101", "slug": "", "summary": "Safe triage by video.",
        "tags": "Triage, video visits", "description": "Part one.\n\nPart two.",
        "capacity": "25", "faculty_ids": str(cast.faculty.id), "published": "on",
    })
    assert response.status_code == 303
    location = response.headers["location"]
    found = re.fullmatch(r"/admin/courses/(\d+)/edit", location)
    assert found
    edit = await admin.get(location)
    assert "Course “Remote Triage 101” created. Add its activities next." in flashes(edit.text)
    assert input_value(edit.text, "slug") == "remote-triage-101"
    assert input_value(edit.text, "tags") == "triage, video-visits"
    assert input_value(edit.text, "capacity") == "25"
    public = await client.get(f"/courses/{found.group(1)}")
    assert public.status_code == 200
    text = text_of(public.text)
    assert "Safe triage by video." in text and "Fay Faculty" in text and "0 of 25" in text
    catalog = await client.get("/catalog", params={"tag": "video-visits"})
    assert "Remote Triage 101" in catalog.text


async def test_a_course_created_unpublished_stays_out_of_the_catalog(
    admin: Client, client: Client
) -> None:
    response = await admin.form("/admin/courses/new", {"title": "Quiet Draft"})
    assert response.status_code == 303
    assert "Quiet Draft" not in (await client.get("/catalog")).text


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"title": ""}, "title", "This field is required."),
        ({"title": "   "}, "title", "This field is required."),
        ({"title": "x" * 201}, "title", "Use at most 200 characters."),
        ({"slug": "Bad Slug!"}, "slug",
         "Use lower-case letters, digits and single dashes, like cardiology-101."),
        ({"slug": "double--dash"}, "slug",
         "Use lower-case letters, digits and single dashes, like cardiology-101."),
        ({"slug": "taught"}, "slug", "Another course already uses the address 'taught'; "
         "choose another."),
        ({"slug": "", "title": "Taught"}, "slug", "Another course already uses the address "
         "'taught'; choose another."),
        ({"capacity": "0"}, "capacity", "Enter a number of at least 1."),
        ({"capacity": "lots"}, "capacity", "Enter a whole number."),
        ({"tags": "ok, not/ok"}, "tags",
         "Tag 'not/ok': use up to 40 lower-case letters, digits, '-' or '+'."),
        ({"summary": "s" * 301}, "summary", "Use at most 300 characters."),
        ({"faculty_ids": "abc"}, "faculty_ids", "Enter a whole number."),
    ],
)
async def test_course_form_errors_are_422_and_name_the_field(
    taught: Course, admin: Client, changes: dict[str, str], field: str, message: str
) -> None:
    data = {"title": "Good Title", "slug": "good-title", "capacity": "", **changes}
    response = await admin.form("/admin/courses/new", data)
    assert response.status_code == 422
    assert field_error(response.text, field) == message or (
        field == "faculty_ids" and message in text_of(response.text))
    assert "Please correct the following:" in text_of(response.text)
    if field != "title":
        assert input_value(response.text, "title") == data["title"]
    courses = course_rows((await admin.get("/admin/courses")).text)
    assert courses == ["Taught Course"]


async def test_faculty_must_have_a_teaching_role(cast: Cast, admin: Client) -> None:
    response = await admin.form("/admin/courses/new", {
        "title": "Odd Faculty", "faculty_ids": str(cast.learner.id)})
    assert response.status_code == 422
    assert (f"Faculty must be users with the faculty or admin role (not: {cast.learner.id})."
            in text_of(response.text))


@pytest.mark.parametrize(
    "junk",
    [{"title": "a\x00b"}, {"title": "é" * 200}, {"capacity": "1e9"},
     {"capacity": "99999999999999999999999"}, {"faculty_ids": "99999999999999999999999"},
     {"faculty_ids": "-1"}, {"published": "maybe"}, {"tags": ",,,"}, {"unknown": "x"}],
)
async def test_junk_course_forms_are_never_a_server_error(
    admin: Client, junk: dict[str, str]
) -> None:
    response = await admin.form("/admin/courses/new", {"title": "Junk Test", **junk})
    assert response.status_code in (303, 422), response.text[:500]


# -- editing ----------------------------------------------------------------------------------
async def test_the_edit_page_is_filled_in(taught: Course, faculty: Client) -> None:
    page = await faculty.get(f"/admin/courses/{taught.id}/edit")
    assert page.status_code == 200
    assert input_value(page.text, "title") == "Taught Course"
    assert input_value(page.text, "slug") == "taught"
    assert input_value(page.text, "tags") == "ethics"
    # admin-only fields are not offered to faculty
    assert 'name="published"' not in page.text and 'name="capacity"' not in page.text


async def test_faculty_edit_content_of_their_course(
    taught: Course, faculty: Client, client: Client
) -> None:
    response = await faculty.form(f"/admin/courses/{taught.id}/edit", {
        "title": "Taught Course, Revised", "slug": "taught", "summary": "Now with cases.",
        "tags": "ethics, cases", "description": "More."})
    assert response.status_code == 303
    assert response.headers["location"] == f"/admin/courses/{taught.id}/edit"
    assert "Course saved." in flashes((await faculty.get(response.headers["location"])).text)
    page = await client.get(f"/courses/{taught.id}")
    text = text_of(page.text)
    assert "Taught Course, Revised" in text and "Now with cases." in text
    assert "0 of 10 seats taken" in text  # capacity and publication untouched


@pytest.mark.parametrize(
    ("changes", "what"),
    [({"published": ""}, "published"), ({"capacity": "500"}, "capacity"),
     ({"faculty_ids": ""}, "faculty_ids")],
)
async def test_faculty_cannot_change_admin_only_settings(
    taught: Course, faculty: Client, client: Client, changes: dict[str, str], what: str
) -> None:
    response = await faculty.form(f"/admin/courses/{taught.id}/edit",
                                  {"title": "Taught Course", **changes})
    assert response.status_code == 403
    assert f"Only administrators may change {what} of a course." in text_of(response.text)
    assert (await client.get(f"/courses/{taught.id}")).status_code == 200


async def test_admin_unpublishes_by_unticking_the_box(
    taught: Course, admin: Client, client: Client
) -> None:
    page = await admin.get(f"/admin/courses/{taught.id}/edit")
    assert 'name="published" checked' in page.text
    response = await admin.form(f"/admin/courses/{taught.id}/edit", {
        "title": "Taught Course", "slug": "taught", "capacity": "10"})
    assert response.status_code == 303
    assert (await client.get(f"/courses/{taught.id}")).status_code == 404
    assert "Taught Course" not in (await client.get("/catalog")).text


async def test_edit_errors_are_422(
    services: Services, cast: Cast, taught: Course, faculty: Client
) -> None:
    await make_course(services, cast.admin, title="Other", slug="other-course")
    empty = await faculty.form(f"/admin/courses/{taught.id}/edit", {"title": ""})
    assert empty.status_code == 422
    assert field_error(empty.text, "title") == "This field is required."
    taken = await faculty.form(f"/admin/courses/{taught.id}/edit",
                               {"title": "Taught Course", "slug": "other-course"})
    assert taken.status_code == 422
    assert field_error(taken.text, "slug") == (
        "Another course already uses the address 'other-course'; choose another.")
    assert input_value(taken.text, "slug") == "other-course"
    bad = await faculty.form(f"/admin/courses/{taught.id}/edit", {"slug": "No Good"})
    assert bad.status_code == 422


async def test_raising_capacity_moves_the_waitlist_up(
    services: Services, cast: Cast, admin: Client, signed_in: SignedIn
) -> None:
    course = await make_course(services, cast.admin, title="Tiny Room", capacity=1)
    people = [await make_user(services, name=f"Hopeful {i}") for i in range(3)]
    clients = [await signed_in(p) for p in people]
    for http in clients:
        await http.form(f"/courses/{course.id}/enroll")
    response = await admin.form(f"/admin/courses/{course.id}/edit", {
        "title": "Tiny Room", "capacity": "2", "published": "on"})
    assert response.status_code == 303
    page = await clients[1].get(f"/courses/{course.id}")
    assert "You are enrolled in this course." in text_of(page.text)
    page = await clients[2].get(f"/courses/{course.id}")
    assert "You are number 1 on the waitlist." in text_of(page.text)
