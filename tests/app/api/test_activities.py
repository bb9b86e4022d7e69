"""/api/courses/{id}/activities and /api/activities/{id}."""

from __future__ import annotations

from datetime import timedelta

from app.wiring import Services
from tests.app.api.conftest import Conforms, People, RecordedLog, SignedIn
from tests.conftest import START, Client
from tests.factories.catalog import make_course, make_live, make_on_demand

LIVE = {
    "kind": "live", "title": "Grand rounds", "timezone": "America/New_York",
    "starts_at": "2026-12-10T09:00", "ends_at": "2026-12-10T10:30", "capacity": 80,
}


async def test_list_activities_in_course_order(
    anonymous: Client, services: Services, people: People, conforms: Conforms
) -> None:
    course = await make_course(services, people.admin)
    first = await make_on_demand(services, people.admin, course, title="Intro")
    second = await make_live(services, people.admin, course, starts_at=START + timedelta(days=2))
    response = await anonymous.get(f"/api/courses/{course.id}/activities")
    assert response.status_code == 200
    body = response.json()
    assert body["course_id"] == course.id
    assert [(a["id"], a["position"]) for a in body["activities"]] == [(first.id, 1),
                                                                      (second.id, 2)]
    conforms("GET", "/api/courses/{id}/activities", 200, body)


async def test_activities_of_a_draft_are_hidden_like_the_draft(
    anonymous: Client, signed_in: SignedIn, services: Services, people: People
) -> None:
    draft = await make_course(services, people.admin, published=False,
                              faculty_ids=[people.faculty.id])
    module = await make_on_demand(services, people.admin, draft)
    for url in (f"/api/courses/{draft.id}/activities", f"/api/activities/{module.id}"):
        assert (await anonymous.get(url)).status_code == 404
        assert (await (await signed_in(people.learner)).get(url)).status_code == 404
        assert (await (await signed_in(people.faculty)).get(url)).status_code == 200
    response = await anonymous.get(f"/api/activities/{module.id}")
    assert response.json()["error"]["code"] == "activity_not_found"


async def test_faculty_add_a_live_session_in_its_own_time_zone(
    signed_in: SignedIn, services: Services, people: People, conforms: Conforms,
    recorded_log: RecordedLog,
) -> None:
    course = await make_course(services, people.admin, faculty_ids=[people.faculty.id])
    faculty = await signed_in(people.faculty)
    response = await faculty.api("POST", f"/api/courses/{course.id}/activities", LIVE)
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == f"/api/activities/{body['id']}"
    # 09:00 in New York in December is 14:00 UTC.
    assert body["starts_at"] == "2026-12-10T14:00:00+00:00"
    assert body["ends_at"] == "2026-12-10T15:30:00+00:00"
    assert (body["kind"], body["capacity"], body["position"]) == ("live", 80, 1)
    conforms("POST", "/api/courses/{id}/activities", 201, body)
    assert (await faculty.get(f"/api/activities/{body['id']}")).json() == body
    assert recorded_log.named("activity.created") == [
        {"activity_id": body["id"], "course_id": course.id, "user_id": people.faculty.id,
         "via": "api"}
    ]


async def test_invalid_activities_are_422_naming_the_field(
    signed_in: SignedIn, services: Services, people: People
) -> None:
    course = await make_course(services, people.admin)
    admin = await signed_in(people.admin)
    url = f"/api/courses/{course.id}/activities"
    cases = [
        ({**LIVE, "timezone": None}, "timezone"),
        ({**LIVE, "timezone": "Mars/Olympus"}, "timezone"),
        ({**LIVE, "ends_at": "2026-12-10T08:00"}, "ends_at"),
        ({**LIVE, "starts_at": "next tuesday"}, "starts_at"),
        ({"kind": "on_demand", "title": "Module"}, "duration_minutes"),
        ({"kind": "podcast", "title": "Module", "duration_minutes": 5}, "kind"),
        ({"kind": "on_demand", "title": "", "duration_minutes": 5}, "title"),
    ]
    for data, field in cases:
        response = await admin.api("POST", url, data)
        assert response.status_code == 422, data
        assert field in response.json()["error"]["fields"], (data, response.json())
    assert (await admin.get(url)).json()["activities"] == []


async def test_only_the_course_faculty_and_admins_add_activities(
    anonymous: Client, signed_in: SignedIn, services: Services, people: People
) -> None:
    course = await make_course(services, people.admin, faculty_ids=[people.faculty.id])
    url = f"/api/courses/{course.id}/activities"
    module = {"kind": "on_demand", "title": "Module", "duration_minutes": 20}
    assert (await anonymous.api("POST", url, module)).status_code == 401
    for user in (people.learner, people.other_faculty):
        assert (await (await signed_in(user)).api("POST", url, module)).status_code == 403
    admin = await signed_in(people.admin)
    assert (await admin.api("POST", url, module)).status_code == 201
    assert (await admin.api("POST", "/api/courses/9999/activities", module)).status_code == 404
    assert len((await admin.get(url)).json()["activities"]) == 1


async def test_patch_changes_only_the_fields_sent(
    signed_in: SignedIn, services: Services, people: People, conforms: Conforms
) -> None:
    course = await make_course(services, people.admin, faculty_ids=[people.faculty.id])
    live = await make_live(services, people.admin, course, starts_at=START + timedelta(days=1),
                           title="Before")
    faculty = await signed_in(people.faculty)
    response = await faculty.api("PATCH", f"/api/activities/{live.id}",
                                 {"title": "After", "capacity": 12})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["title"], body["capacity"], body["kind"]) == ("After", 12, "live")
    assert body["starts_at"] == (START + timedelta(days=1)).isoformat()
    conforms("PATCH", "/api/activities/{id}", 200, body)
    switched = await faculty.api("PATCH", f"/api/activities/{live.id}", {"kind": "on_demand"})
    assert switched.status_code == 422
    assert "duration_minutes" in switched.json()["error"]["fields"]
    switched = await faculty.api("PATCH", f"/api/activities/{live.id}",
                                 {"kind": "on_demand", "duration_minutes": 25})
    assert switched.status_code == 200
    assert (switched.json()["starts_at"], switched.json()["duration_minutes"]) == (None, 25)


async def test_patch_and_delete_permissions(
    anonymous: Client, signed_in: SignedIn, services: Services, people: People
) -> None:
    course = await make_course(services, people.admin, faculty_ids=[people.faculty.id])
    module = await make_on_demand(services, people.admin, course)
    url = f"/api/activities/{module.id}"
    assert (await anonymous.api("PATCH", url, {"title": "x"})).status_code == 401
    assert (await anonymous.api("DELETE", url)).status_code == 401
    for user in (people.learner, people.other_faculty):
        client = await signed_in(user)
        assert (await client.api("PATCH", url, {"title": "x"})).status_code == 403
        assert (await client.api("DELETE", url)).status_code == 403
    assert (await anonymous.get(url)).json()["title"] == module.title


async def test_delete_removes_the_activity(
    signed_in: SignedIn, services: Services, people: People, recorded_log: RecordedLog
) -> None:
    course = await make_course(services, people.admin, faculty_ids=[people.faculty.id])
    module = await make_on_demand(services, people.admin, course)
    faculty = await signed_in(people.faculty)
    response = await faculty.api("DELETE", f"/api/activities/{module.id}")
    assert response.status_code == 204
    assert response.content == b""
    assert (await faculty.get(f"/api/activities/{module.id}")).status_code == 404
    assert (await faculty.api("DELETE", f"/api/activities/{module.id}")).status_code == 404
    assert recorded_log.named("activity.deleted")[0]["course_id"] == course.id


async def test_unknown_activity_ids_are_404(signed_in: SignedIn, people: People) -> None:
    admin = await signed_in(people.admin)
    for activity_id in ("12345", "0", "99999999999999999999999"):
        url = f"/api/activities/{activity_id}"
        for method, body in (("GET", None), ("PATCH", {"title": "x"}), ("DELETE", None)):
            response = await admin.api(method, url, body)
            assert response.status_code == 404, (method, url)
            assert response.json()["error"]["code"] == "activity_not_found"
