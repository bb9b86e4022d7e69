"""/api/courses: the catalog search, one course, creating and editing."""

from __future__ import annotations

from datetime import timedelta

from app.wiring import Services
from tests.app.api.conftest import Conforms, People, RecordedLog, SignedIn
from tests.conftest import START, Client
from tests.factories.catalog import make_course, make_live, make_on_demand


async def test_anonymous_catalog_lists_published_courses_only(
    anonymous: Client, services: Services, people: People, conforms: Conforms
) -> None:
    await make_course(services, people.admin, title="Sepsis Bundle", tags="sepsis, ed")
    await make_course(services, people.admin, title="Hidden Draft", published=False)
    response = await anonymous.get("/api/courses")
    assert response.status_code == 200
    body = response.json()
    assert [c["title"] for c in body["courses"]] == ["Sepsis Bundle"]
    assert body["courses"][0]["tags"] == ["ed", "sepsis"]
    assert body["page"] == 1
    assert body["next_page"] is None
    conforms("GET", "/api/courses", 200, body)


async def test_faculty_see_their_own_drafts_and_admins_see_all(
    signed_in: SignedIn, services: Services, people: People
) -> None:
    await make_course(services, people.admin, title="A published")
    await make_course(services, people.admin, title="B mine", published=False,
                      faculty_ids=[people.faculty.id])
    await make_course(services, people.admin, title="C not mine", published=False,
                      faculty_ids=[people.other_faculty.id])
    faculty = await signed_in(people.faculty)
    titles = [c["title"] for c in (await faculty.get("/api/courses")).json()["courses"]]
    assert titles == ["A published", "B mine"]
    admin = await signed_in(people.admin)
    titles = [c["title"] for c in (await admin.get("/api/courses")).json()["courses"]]
    assert titles == ["A published", "B mine", "C not mine"]


async def test_search_filters_by_words_tag_and_format(
    anonymous: Client, services: Services, people: People
) -> None:
    live = await make_course(services, people.admin, title="Stroke Alert", tags="neuro")
    await make_live(services, people.admin, live, starts_at=START + timedelta(days=3))
    recorded = await make_course(services, people.admin, title="Sepsis Recorded", tags="sepsis")
    await make_on_demand(services, people.admin, recorded)

    async def titles(query: str) -> list[str]:
        response = await anonymous.get(f"/api/courses?{query}")
        assert response.status_code == 200, response.text
        return [c["title"] for c in response.json()["courses"]]

    assert await titles("q=STROKE") == ["Stroke Alert"]
    assert await titles("q=sepsis") == ["Sepsis Recorded"]
    assert await titles("tag=NEURO") == ["Stroke Alert"]
    assert await titles("format=live") == ["Stroke Alert"]
    assert await titles("format=on_demand") == ["Sepsis Recorded"]
    assert await titles("q=nothing-matches-this") == []


async def test_pages_hold_24_courses_and_point_to_the_next(
    anonymous: Client, services: Services, people: People
) -> None:
    for n in range(25):
        await make_course(services, people.admin, title=f"Course {n:02d}")
    first = (await anonymous.get("/api/courses")).json()
    assert len(first["courses"]) == 24
    assert first["next_page"] == 2
    second = (await anonymous.get("/api/courses?page=2")).json()
    assert [c["title"] for c in second["courses"]] == ["Course 24"]
    assert second["page"] == 2
    assert second["next_page"] is None


async def test_bad_query_parameters_are_422_naming_each(anonymous: Client) -> None:
    response = await anonymous.get("/api/courses?page=zero&format=podcast")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert set(error["fields"]) == {"page", "format"}
    assert "live, on_demand" in error["fields"]["format"]
    for query in ("page=0", "page=-1", "page=10000", "page=1.5", "page=" + "9" * 5000,
                  "q=" + "x" * 201, "q=%00", "tag=" + "t" * 41):
        response = await anonymous.get(f"/api/courses?{query}")
        assert response.status_code == 422, query
        assert response.json()["error"]["fields"], query


async def test_course_detail_includes_activities(
    anonymous: Client, services: Services, people: People, conforms: Conforms
) -> None:
    course = await make_course(services, people.admin, title="Stroke Alert",
                               description="Door to needle.", faculty_ids=[people.faculty.id])
    live = await make_live(services, people.admin, course, starts_at=START + timedelta(days=1))
    module = await make_on_demand(services, people.admin, course, minutes=45)
    response = await anonymous.get(f"/api/courses/{course.id}")
    assert response.status_code == 200
    body = response.json()
    assert body["description"] == "Door to needle."
    assert body["faculty"] == [{"id": people.faculty.id, "display_name": "Fay Faculty"}]
    assert [a["id"] for a in body["activities"]] == [live.id, module.id]
    assert body["activities"][1]["duration_minutes"] == 45
    assert body["live_sessions"] == 1
    assert body["on_demand_items"] == 1
    conforms("GET", "/api/courses/{id}", 200, body)


async def test_unpublished_course_is_404_except_to_its_faculty_and_admins(
    anonymous: Client, signed_in: SignedIn, services: Services, people: People
) -> None:
    draft = await make_course(services, people.admin, published=False,
                              faculty_ids=[people.faculty.id])
    url = f"/api/courses/{draft.id}"
    for user in (people.learner, people.other_faculty):
        response = await (await signed_in(user)).get(url)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "course_not_found"
    assert (await anonymous.get(url)).status_code == 404
    assert (await (await signed_in(people.faculty)).get(url)).status_code == 200
    assert (await (await signed_in(people.admin)).get(url)).status_code == 200


async def test_unknown_and_out_of_range_course_ids_are_404(anonymous: Client) -> None:
    for course_id in ("999", "0", "2147483648", "9" * 30):
        response = await anonymous.get(f"/api/courses/{course_id}")
        assert response.status_code == 404, course_id
        assert response.json()["error"]["code"] == "course_not_found"
    assert (await anonymous.get("/api/courses/abc")).status_code == 404


async def test_admin_creates_a_course(
    signed_in: SignedIn, services: Services, people: People, conforms: Conforms,
    recorded_log: RecordedLog,
) -> None:
    admin = await signed_in(people.admin)
    response = await admin.api("POST", "/api/courses", {
        "title": "Telehealth Etiquette", "summary": "Camera on.", "tags": ["Tele", "ethics"],
        "capacity": 30, "faculty_ids": [people.faculty.id], "published": True,
    })
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == f"/api/courses/{body['id']}"
    assert body["slug"] == "telehealth-etiquette"
    assert body["tags"] == ["ethics", "tele"]
    assert body["capacity"] == 30
    assert body["activities"] == []
    conforms("POST", "/api/courses", 201, body)
    fetched = await admin.get(response.headers["location"])
    assert fetched.json()["title"] == "Telehealth Etiquette"
    assert recorded_log.named("course.created")[0]["course_id"] == body["id"]


async def test_only_admins_create_courses(
    anonymous: Client, signed_in: SignedIn, people: People
) -> None:
    response = await anonymous.api("POST", "/api/courses", {"title": "Nope"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "login_required"
    for user in (people.learner, people.faculty):
        response = await (await signed_in(user)).api("POST", "/api/courses", {"title": "Nope"})
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden"
    admin = await signed_in(people.admin)
    assert (await admin.get("/api/courses")).json()["courses"] == []


async def test_invalid_course_is_422_naming_each_field(
    signed_in: SignedIn, people: People
) -> None:
    admin = await signed_in(people.admin)
    response = await admin.api("POST", "/api/courses", {
        "slug": "Not A Slug", "capacity": 0, "tags": ["bad tag!"], "colour": "red",
    })
    assert response.status_code == 422
    fields = response.json()["error"]["fields"]
    assert set(fields) == {"title", "slug", "capacity", "tags", "colour"}
    assert fields["title"] == "This field is required."
    assert "lower-case" in fields["slug"]
    assert fields["colour"] == "This field is not accepted here."
    response = await admin.api("POST", "/api/courses", {
        "title": "Faculty check", "faculty_ids": [people.learner.id],
    })
    assert response.status_code == 422
    assert "faculty_ids" in response.json()["error"]["fields"]


async def test_taken_slug_is_409(signed_in: SignedIn, services: Services, people: People) -> None:
    await make_course(services, people.admin, title="Sepsis", slug="sepsis")
    admin = await signed_in(people.admin)
    response = await admin.api("POST", "/api/courses", {"title": "Other", "slug": "sepsis"})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "slug_taken"


async def test_faculty_edit_their_course_content(
    signed_in: SignedIn, services: Services, people: People, conforms: Conforms,
    recorded_log: RecordedLog,
) -> None:
    course = await make_course(services, people.admin, title="Old", capacity=10,
                               faculty_ids=[people.faculty.id])
    faculty = await signed_in(people.faculty)
    response = await faculty.api("PATCH", f"/api/courses/{course.id}",
                                 {"title": "New title", "summary": "Better", "capacity": 10})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["title"], body["summary"], body["capacity"]) == ("New title", "Better", 10)
    assert body["slug"] == course.slug  # unchanged fields keep their values
    assert body["published"] is True
    conforms("PATCH", "/api/courses/{id}", 200, body)
    assert recorded_log.named("course.updated")[0]["course_id"] == course.id


async def test_faculty_may_not_change_admin_only_fields(
    signed_in: SignedIn, services: Services, people: People
) -> None:
    course = await make_course(services, people.admin, title="Mine", capacity=10,
                               faculty_ids=[people.faculty.id])
    faculty = await signed_in(people.faculty)
    for change in ({"published": False}, {"capacity": 50},
                   {"faculty_ids": [people.faculty.id, people.other_faculty.id]}):
        response = await faculty.api("PATCH", f"/api/courses/{course.id}", change)
        assert response.status_code == 403, change
        assert next(iter(change)) in response.json()["error"]["message"]
    detail = (await faculty.get(f"/api/courses/{course.id}")).json()
    assert (detail["published"], detail["capacity"]) == (True, 10)


async def test_other_people_may_not_edit_a_course(
    anonymous: Client, signed_in: SignedIn, services: Services, people: People
) -> None:
    course = await make_course(services, people.admin, faculty_ids=[people.faculty.id])
    draft = await make_course(services, people.admin, published=False,
                              faculty_ids=[people.faculty.id])
    change = {"title": "Taken over"}
    assert (await anonymous.api("PATCH", f"/api/courses/{course.id}", change)).status_code == 401
    learner = await signed_in(people.learner)
    assert (await learner.api("PATCH", f"/api/courses/{course.id}", change)).status_code == 403
    other = await signed_in(people.other_faculty)
    assert (await other.api("PATCH", f"/api/courses/{course.id}", change)).status_code == 403
    assert (await other.api("PATCH", f"/api/courses/{draft.id}", change)).status_code == 404
    assert (await other.api("PATCH", "/api/courses/9999", change)).status_code == 404
    assert (await anonymous.get(f"/api/courses/{course.id}")).json()["title"] != "Taken over"


async def test_admin_publishes_and_invalid_changes_are_422(
    signed_in: SignedIn, services: Services, people: People
) -> None:
    draft = await make_course(services, people.admin, published=False)
    admin = await signed_in(people.admin)
    response = await admin.api("PATCH", f"/api/courses/{draft.id}", {"published": True})
    assert response.status_code == 200
    assert response.json()["published"] is True
    response = await admin.api("PATCH", f"/api/courses/{draft.id}",
                               {"title": "", "capacity": "many", "id": 5})
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {"title", "capacity", "id"}


async def test_raising_capacity_moves_the_waitlist_up(
    signed_in: SignedIn, services: Services, people: People
) -> None:
    course = await make_course(services, people.admin, capacity=1)
    first, second = await signed_in(people.learner), await signed_in(people.learner2)
    await first.api("PUT", f"/api/courses/{course.id}/enrollment")
    waiting = await second.api("PUT", f"/api/courses/{course.id}/enrollment")
    assert waiting.json()["status"] == "waitlisted"
    admin = await signed_in(people.admin)
    response = await admin.api("PATCH", f"/api/courses/{course.id}", {"capacity": 2})
    assert response.status_code == 200
    mine = (await second.get(f"/api/courses/{course.id}/enrollment")).json()
    assert (mine["status"], mine["waitlist_position"]) == ("enrolled", None)
