"""/api/courses/{id}/enrollment (your own) and /api/courses/{id}/enrollments (the roster)."""

from __future__ import annotations

from datetime import timedelta

from app.wiring import Services
from courses.models import Role
from tests.app.api.conftest import Conforms, People, RecordedLog, SignedIn
from tests.conftest import START, Client
from tests.factories.catalog import make_course, make_live
from tests.factories.people import make_user


async def test_state_before_enrolling_is_null(
    signed_in: SignedIn, services: Services, people: People, conforms: Conforms
) -> None:
    course = await make_course(services, people.admin)
    learner = await signed_in(people.learner)
    response = await learner.get(f"/api/courses/{course.id}/enrollment")
    assert response.status_code == 200
    assert response.json() == {
        "course_id": course.id, "user_id": people.learner.id, "status": None,
        "waitlist_position": None, "changed": False, "promoted_user_ids": [],
    }
    conforms("GET", "/api/courses/{id}/enrollment", 200, response.json())


async def test_enrolling_is_201_then_idempotent_200(
    signed_in: SignedIn, services: Services, people: People, conforms: Conforms,
    recorded_log: RecordedLog,
) -> None:
    course = await make_course(services, people.admin)
    learner = await signed_in(people.learner)
    url = f"/api/courses/{course.id}/enrollment"
    first = await learner.api("PUT", url)
    assert first.status_code == 201
    assert (first.json()["status"], first.json()["changed"]) == ("enrolled", True)
    conforms("PUT", "/api/courses/{id}/enrollment", 201, first.json())
    again = await learner.api("PUT", url)
    assert again.status_code == 200
    assert (again.json()["status"], again.json()["changed"]) == ("enrolled", False)
    conforms("PUT", "/api/courses/{id}/enrollment", 200, again.json())
    assert (await learner.get(url)).json()["status"] == "enrolled"
    assert recorded_log.named("enrollment.enrolled") == [
        {"course_id": course.id, "user_id": people.learner.id, "via": "api"}
    ]
    mine = (await learner.get("/api/me/enrollments")).json()["enrollments"]
    assert [e["course"]["id"] for e in mine] == [course.id]


async def test_full_course_waitlists_in_order(
    signed_in: SignedIn, services: Services, people: People, recorded_log: RecordedLog
) -> None:
    course = await make_course(services, people.admin, capacity=1)
    third_user = await make_user(services, Role.LEARNER)
    url = f"/api/courses/{course.id}/enrollment"
    seated = await signed_in(people.learner)
    assert (await seated.api("PUT", url)).json()["status"] == "enrolled"
    second, third = await signed_in(people.learner2), await signed_in(third_user)
    waiting = await second.api("PUT", url)
    assert waiting.status_code == 201
    assert (waiting.json()["status"], waiting.json()["waitlist_position"]) == ("waitlisted", 1)
    later = await third.api("PUT", url)
    assert (later.json()["status"], later.json()["waitlist_position"]) == ("waitlisted", 2)
    again = await third.api("PUT", url)
    assert again.status_code == 200
    assert (again.json()["waitlist_position"], again.json()["changed"]) == (2, False)
    assert recorded_log.named("enrollment.waitlisted")[1]["position"] == 2

    left = await seated.api("DELETE", url)
    assert left.status_code == 200
    assert (left.json()["status"], left.json()["changed"]) == ("withdrawn", True)
    assert left.json()["promoted_user_ids"] == [people.learner2.id]
    assert (await second.get(url)).json()["status"] == "enrolled"
    moved = (await third.get(url)).json()
    assert (moved["status"], moved["waitlist_position"]) == ("waitlisted", 1)
    assert recorded_log.named("enrollment.withdrawn")[0]["promoted"] == [people.learner2.id]


async def test_withdrawing_when_not_enrolled_changes_nothing(
    signed_in: SignedIn, services: Services, people: People
) -> None:
    course = await make_course(services, people.admin)
    learner = await signed_in(people.learner)
    response = await learner.api("DELETE", f"/api/courses/{course.id}/enrollment")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["changed"]) == (None, False)


async def test_enrollment_needs_sign_in_a_visible_course_and_the_csrf_header(
    anonymous: Client, signed_in: SignedIn, services: Services, people: People
) -> None:
    course = await make_course(services, people.admin)
    draft = await make_course(services, people.admin, published=False)
    url = f"/api/courses/{course.id}/enrollment"
    for method in ("GET", "PUT", "DELETE"):
        response = await anonymous.api(method, url)
        assert response.status_code == 401, method
    learner = await signed_in(people.learner)
    refused = await learner.put(url)  # no X-CSRF-Token header
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "csrf_failed"
    assert (await learner.get(url)).json()["status"] is None
    for method in ("GET", "PUT"):
        assert (await learner.api(method, f"/api/courses/{draft.id}/enrollment")
                ).status_code == 404
        assert (await learner.api(method, "/api/courses/9999/enrollment")).status_code == 404


async def test_enrollment_closes_when_every_live_session_is_over(
    signed_in: SignedIn, services: Services, people: People
) -> None:
    course = await make_course(services, people.admin)
    await make_live(services, people.admin, course, starts_at=START - timedelta(days=2))
    learner = await signed_in(people.learner)
    response = await learner.api("PUT", f"/api/courses/{course.id}/enrollment")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "enrollment_closed"


async def test_roster_for_the_course_faculty_and_admins(
    anonymous: Client, signed_in: SignedIn, services: Services, people: People,
    conforms: Conforms,
) -> None:
    course = await make_course(services, people.admin, capacity=1,
                               faculty_ids=[people.faculty.id])
    for user in (people.learner, people.learner2):
        await (await signed_in(user)).api("PUT", f"/api/courses/{course.id}/enrollment")
    url = f"/api/courses/{course.id}/enrollments"
    for user in (people.faculty, people.admin):
        response = await (await signed_in(user)).get(url)
        assert response.status_code == 200
        body = response.json()
        assert body["counts"] == {"enrolled": 1, "waitlisted": 1, "withdrawn": 0}
        rows = [(e["user"]["id"], e["status"], e["waitlist_position"])
                for e in body["enrollments"]]
        assert rows == [(people.learner.id, "enrolled", None),
                        (people.learner2.id, "waitlisted", 1)]
        conforms("GET", "/api/courses/{id}/enrollments", 200, body)
    assert (await anonymous.get(url)).status_code == 401
    for user in (people.learner, people.other_faculty):
        response = await (await signed_in(user)).get(url)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden"


async def test_admin_enrolls_someone_by_id_or_email(
    signed_in: SignedIn, services: Services, people: People, conforms: Conforms,
    recorded_log: RecordedLog,
) -> None:
    draft = await make_course(services, people.admin, published=False)
    admin = await signed_in(people.admin)
    url = f"/api/courses/{draft.id}/enrollments"
    by_id = await admin.api("POST", url, {"user_id": people.learner.id})
    assert by_id.status_code == 201, by_id.text
    assert (by_id.json()["user_id"], by_id.json()["status"]) == (people.learner.id, "enrolled")
    conforms("POST", "/api/courses/{id}/enrollments", 201, by_id.json())
    again = await admin.api("POST", url, {"user_id": people.learner.id})
    assert (again.status_code, again.json()["changed"]) == (200, False)
    by_email = await admin.api("POST", url, {"email": people.learner2.email.upper()})
    assert by_email.status_code == 201
    assert by_email.json()["user_id"] == people.learner2.id
    roster = (await admin.get(url)).json()["enrollments"]
    assert {e["user"]["id"] for e in roster} == {people.learner.id, people.learner2.id}
    logged = recorded_log.named("enrollment.enrolled")
    assert [(e["user_id"], e["admin_id"]) for e in logged] == [
        (people.learner.id, people.admin.id), (people.learner2.id, people.admin.id)]


async def test_admin_enroll_body_errors_are_422_naming_the_field(
    signed_in: SignedIn, services: Services, people: People
) -> None:
    course = await make_course(services, people.admin)
    disabled = await make_user(services, Role.LEARNER)
    async with services.unit() as unit:
        await unit.accounts.set_active(disabled.id or 0, False, actor=people.admin)
    admin = await signed_in(people.admin)
    url = f"/api/courses/{course.id}/enrollments"
    cases = [
        ({}, {"user_id", "email"}),
        ({"user_id": people.learner.id, "email": people.learner.email}, {"user_id", "email"}),
        ({"user_id": "7"}, {"user_id"}),
        ({"user_id": True}, {"user_id"}),
        ({"user_id": 0}, {"user_id"}),
        ({"user_id": 99999}, {"user_id"}),
        ({"user_id": 2**40}, {"user_id"}),
        ({"user_id": disabled.id}, {"user_id"}),
        ({"email": "not an email"}, {"email"}),
        ({"email": 42}, {"email"}),
        ({"email": "nobody@hospital.example.org"}, {"email"}),
        ({"user_id": people.learner.id, "note": "hi"}, {"note"}),
    ]
    for body, fields in cases:
        response = await admin.api("POST", url, body)
        assert response.status_code == 422, body
        assert set(response.json()["error"]["fields"]) == fields, (body, response.json())
    assert (await admin.get(url)).json()["enrollments"] == []
    response = await admin.api("POST", "/api/courses/9999/enrollments",
                               {"user_id": people.learner.id})
    assert response.status_code == 404


async def test_only_admins_enroll_and_remove_others(
    anonymous: Client, signed_in: SignedIn, services: Services, people: People
) -> None:
    course = await make_course(services, people.admin, faculty_ids=[people.faculty.id])
    url = f"/api/courses/{course.id}/enrollments"
    body = {"user_id": people.learner2.id}
    remove = f"{url}/{people.learner2.id}"
    assert (await anonymous.api("POST", url, body)).status_code == 401
    assert (await anonymous.api("DELETE", remove)).status_code == 401
    for user in (people.learner, people.faculty):
        client = await signed_in(user)
        assert (await client.api("POST", url, body)).status_code == 403
        assert (await client.api("DELETE", remove)).status_code == 403
    admin = await signed_in(people.admin)
    assert (await admin.get(url)).json()["enrollments"] == []


async def test_admin_removes_someone_and_the_waitlist_moves_up(
    signed_in: SignedIn, services: Services, people: People, conforms: Conforms,
    recorded_log: RecordedLog,
) -> None:
    course = await make_course(services, people.admin, capacity=1)
    admin = await signed_in(people.admin)
    url = f"/api/courses/{course.id}/enrollments"
    await admin.api("POST", url, {"user_id": people.learner.id})
    waiting = await admin.api("POST", url, {"user_id": people.learner2.id})
    assert (waiting.json()["status"], waiting.json()["waitlist_position"]) == ("waitlisted", 1)
    response = await admin.api("DELETE", f"{url}/{people.learner.id}")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["changed"], body["promoted_user_ids"]) == (
        "withdrawn", True, [people.learner2.id])
    conforms("DELETE", "/api/courses/{id}/enrollments/{user_id}", 200, body)
    again = await admin.api("DELETE", f"{url}/{people.learner.id}")
    assert (again.status_code, again.json()["changed"]) == (200, False)
    assert recorded_log.named("enrollment.removed_by_admin")[0]["user_id"] == people.learner.id
    for missing in (f"{url}/99999", f"{url}/{2**40}", f"/api/courses/9999/enrollments/"
                    f"{people.learner2.id}"):
        assert (await admin.api("DELETE", missing)).status_code == 404, missing
