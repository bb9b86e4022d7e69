"""/api/me: your account and profile, your enrollments and your agenda."""

from __future__ import annotations

from datetime import timedelta

from app.wiring import Services
from tests.app.api.conftest import Conforms, People, RecordedLog, SignedIn
from tests.conftest import START, Client
from tests.factories.catalog import make_course, make_live, make_on_demand


async def test_me_needs_sign_in(anonymous: Client) -> None:
    for method, url in (("GET", "/api/me"), ("PATCH", "/api/me"),
                        ("GET", "/api/me/enrollments"), ("GET", "/api/me/agenda")):
        response = await anonymous.api(method, url, {} if method == "PATCH" else None)
        assert response.status_code == 401, url
        assert response.json()["error"]["code"] == "login_required"


async def test_me_is_the_private_view(
    signed_in: SignedIn, people: People, conforms: Conforms
) -> None:
    response = await (await signed_in(people.learner)).get("/api/me")
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["email"], body["role"]) == (
        people.learner.id, people.learner.email, "learner")
    assert "password_hash" not in body
    conforms("GET", "/api/me", 200, body)


async def test_patch_me_changes_only_the_fields_sent(
    signed_in: SignedIn, people: People, conforms: Conforms, recorded_log: RecordedLog
) -> None:
    learner = await signed_in(people.learner)
    response = await learner.api("PATCH", "/api/me", {
        "degree": "rn", "license_state": "ca", "license_number": "RN 12345",
        "npi": "1234567893", "nabp_eprofile_id": "1234567", "birth_month": 2, "birth_day": 29,
    })
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["degree"], body["license_state"], body["npi"]) == ("RN", "CA", "1234567893")
    assert (body["birth_month"], body["birth_day"]) == (2, 29)
    assert body["display_name"] == "Lea Learner"
    conforms("PATCH", "/api/me", 200, body)
    renamed = await learner.api("PATCH", "/api/me", {"display_name": "Dr. Lea", "npi": None})
    assert renamed.status_code == 200
    assert (renamed.json()["display_name"], renamed.json()["npi"],
            renamed.json()["degree"]) == ("Dr. Lea", None, "RN")
    assert (await learner.get("/api/me")).json()["display_name"] == "Dr. Lea"
    assert recorded_log.named("profile.updated")[0]["user_id"] == people.learner.id


async def test_invalid_profile_fields_are_422_each_named_with_the_format(
    signed_in: SignedIn, people: People
) -> None:
    learner = await signed_in(people.learner)
    response = await learner.api("PATCH", "/api/me", {
        "display_name": "", "degree": "wizard", "license_state": "ZZ", "npi": "1234567890",
        "nabp_eprofile_id": "12345678", "birth_month": 13, "email": "me@else.example",
    })
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    fields = error["fields"]
    assert set(fields) == {"display_name", "degree", "license_state", "npi",
                           "nabp_eprofile_id", "birth_month", "email"}
    assert "MD" in fields["degree"]
    assert "two-letter" in fields["license_state"]
    assert "10 digits" in fields["npi"]
    assert "7 digits" in fields["nabp_eprofile_id"]
    assert "1 to 12" in fields["birth_month"]
    assert fields["email"] == "This field is not accepted here."
    day = await learner.api("PATCH", "/api/me", {"birth_month": 4, "birth_day": 31})
    assert day.json()["error"]["fields"] == {
        "birth_day": "Birth day must be between 1 and 30 for that month."}
    alone = await learner.api("PATCH", "/api/me", {"birth_month": 4})
    assert set(alone.json()["error"]["fields"]) == {"birth_day"}
    assert (await learner.get("/api/me")).json()["degree"] is None


async def test_my_enrollments_leave_out_withdrawn_ones(
    signed_in: SignedIn, services: Services, people: People, conforms: Conforms
) -> None:
    full = await make_course(services, people.admin, title="B full", capacity=1)
    open_ = await make_course(services, people.admin, title="A open")
    left = await make_course(services, people.admin, title="C left")
    await (await signed_in(people.learner2)).api("PUT", f"/api/courses/{full.id}/enrollment")
    learner = await signed_in(people.learner)
    for course in (full, open_, left):
        await learner.api("PUT", f"/api/courses/{course.id}/enrollment")
    await learner.api("DELETE", f"/api/courses/{left.id}/enrollment")
    response = await learner.get("/api/me/enrollments")
    assert response.status_code == 200
    body = response.json()
    rows = [(e["course"]["title"], e["status"], e["waitlist_position"])
            for e in body["enrollments"]]
    assert rows == [("A open", "enrolled", None), ("B full", "waitlisted", 1)]
    conforms("GET", "/api/me/enrollments", 200, body)


async def test_agenda_lists_upcoming_live_sessions_then_on_demand_items(
    signed_in: SignedIn, services: Services, people: People, conforms: Conforms
) -> None:
    course = await make_course(services, people.admin, title="Stroke")
    later = await make_live(services, people.admin, course, starts_at=START + timedelta(days=5),
                            title="Later")
    sooner = await make_live(services, people.admin, course,
                             starts_at=START + timedelta(days=1), title="Sooner")
    await make_live(services, people.admin, course, starts_at=START - timedelta(days=1),
                    title="Over")
    module = await make_on_demand(services, people.admin, course, title="Module")
    other = await make_course(services, people.admin, title="Not enrolled")
    await make_on_demand(services, people.admin, other)
    learner = await signed_in(people.learner)
    empty = (await learner.get("/api/me/agenda")).json()
    assert (empty["live"], empty["on_demand"]) == ([], [])
    await learner.api("PUT", f"/api/courses/{course.id}/enrollment")
    response = await learner.get("/api/me/agenda")
    assert response.status_code == 200
    body = response.json()
    assert body["now"] == START.isoformat()
    assert [i["activity"]["id"] for i in body["live"]] == [sooner.id, later.id]
    assert [i["activity"]["id"] for i in body["on_demand"]] == [module.id]
    assert body["live"][0]["course"] == {"id": course.id, "slug": course.slug,
                                         "title": "Stroke"}
    assert body["live"][0]["status"] == "enrolled"
    conforms("GET", "/api/me/agenda", 200, body)
