"""/api/users: finding, creating and changing accounts (administrators only)."""

from __future__ import annotations

from tests.app.api.conftest import Conforms, People, RecordedLog, SignedIn
from tests.conftest import Client
from tests.factories.people import PASSWORD

NEW = {"email": "New.Person@Hospital.example.org", "display_name": "New Person",
       "password": "a long enough passphrase", "role": "faculty"}


async def test_only_admins_use_the_users_api(
    anonymous: Client, signed_in: SignedIn, people: People
) -> None:
    calls = [("GET", "/api/users", None), ("POST", "/api/users", NEW),
             ("PATCH", f"/api/users/{people.learner.id}", {"role": "admin"})]
    for method, url, body in calls:
        assert (await anonymous.api(method, url, body)).status_code == 401, url
    for user in (people.learner, people.faculty):
        client = await signed_in(user)
        for method, url, body in calls:
            response = await client.api(method, url, body)
            assert response.status_code == 403, (user.role, url)
            assert "admin" in response.json()["error"]["message"]
    me = await (await signed_in(people.learner)).get("/api/me")
    assert me.json()["role"] == "learner"


async def test_admin_finds_users_by_words_and_role(
    signed_in: SignedIn, people: People, conforms: Conforms
) -> None:
    admin = await signed_in(people.admin)
    response = await admin.get("/api/users")
    assert response.status_code == 200
    body = response.json()
    assert [u["display_name"] for u in body["users"]] == [
        "Ada Admin", "Fay Faculty", "Lea Learner", "Leo Learner", "Otto Other"]
    conforms("GET", "/api/users", 200, body)
    found = (await admin.get("/api/users?q=LEARNER")).json()["users"]
    assert [u["id"] for u in found] == [people.learner.id, people.learner2.id]
    found = (await admin.get("/api/users?role=faculty")).json()["users"]
    assert [u["id"] for u in found] == [people.faculty.id, people.other_faculty.id]
    bad = await admin.get("/api/users?role=superuser&q=" + "x" * 101)
    assert bad.status_code == 422
    assert set(bad.json()["error"]["fields"]) == {"role", "q"}


async def test_admin_creates_an_account_that_can_sign_in(
    signed_in: SignedIn, anonymous: Client, people: People, conforms: Conforms,
    recorded_log: RecordedLog,
) -> None:
    admin = await signed_in(people.admin)
    response = await admin.api("POST", "/api/users", NEW)
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["email"], body["role"], body["is_active"]) == (
        "new.person@hospital.example.org", "faculty", True)
    conforms("POST", "/api/users", 201, body)
    signin = await anonymous.api("POST", "/api/session",
                                 {"email": NEW["email"], "password": NEW["password"]})
    assert signin.status_code == 200
    assert signin.json()["user"]["id"] == body["id"]
    assert recorded_log.named("user.created_by_admin")[0]["role"] == "faculty"
    duplicate = await admin.api("POST", "/api/users", NEW)
    assert duplicate.status_code == 409
    assert duplicate.json()["error"]["code"] == "email_taken"


async def test_role_defaults_to_learner(signed_in: SignedIn, people: People) -> None:
    admin = await signed_in(people.admin)
    body = {k: v for k, v in NEW.items() if k != "role"}
    response = await admin.api("POST", "/api/users", body)
    assert (response.status_code, response.json()["role"]) == (201, "learner")


async def test_invalid_accounts_are_422_naming_each_field(
    signed_in: SignedIn, people: People
) -> None:
    admin = await signed_in(people.admin)
    cases = [
        ({}, {"email", "display_name", "password"}),
        ({**NEW, "email": "nope", "password": "short", "display_name": " "},
         {"email", "password", "display_name"}),
        ({**NEW, "role": "superuser"}, {"role"}),
        ({**NEW, "email": ["a@b.org"], "password": 12345678901}, {"email", "password"}),
        ({**NEW, "is_active": False}, {"is_active"}),
    ]
    for body, fields in cases:
        response = await admin.api("POST", "/api/users", body)
        assert response.status_code == 422, body
        assert set(response.json()["error"]["fields"]) == fields, (body, response.json())
    assert len((await admin.get("/api/users")).json()["users"]) == 5


async def test_admin_changes_role_and_disables_which_ends_sessions(
    signed_in: SignedIn, people: People, conforms: Conforms, recorded_log: RecordedLog
) -> None:
    admin = await signed_in(people.admin)
    learner = await signed_in(people.learner)
    url = f"/api/users/{people.learner.id}"
    promoted = await admin.api("PATCH", url, {"role": "faculty"})
    assert promoted.status_code == 200
    assert promoted.json()["role"] == "faculty"
    conforms("PATCH", "/api/users/{id}", 200, promoted.json())
    assert (await learner.get("/api/me")).json()["role"] == "faculty"
    disabled = await admin.api("PATCH", url, {"is_active": False})
    assert (disabled.status_code, disabled.json()["is_active"]) == (200, False)
    assert (await learner.get("/api/me")).status_code == 401
    assert recorded_log.named("user.updated_by_admin")[-1]["is_active"] is False
    enabled = await admin.api("PATCH", url, {"is_active": True, "role": "learner"})
    assert (enabled.json()["is_active"], enabled.json()["role"]) == (True, "learner")


async def test_user_change_errors(signed_in: SignedIn, people: People) -> None:
    admin = await signed_in(people.admin)
    own = f"/api/users/{people.admin.id}"
    response = await admin.api("PATCH", own, {"role": "learner"})
    assert response.status_code == 422
    assert "own admin role" in response.json()["error"]["fields"]["role"]
    response = await admin.api("PATCH", own, {"is_active": False})
    assert response.status_code == 422
    assert "is_active" in response.json()["error"]["fields"]
    other = f"/api/users/{people.learner.id}"
    for body, field in (({"role": "root"}, "role"), ({"is_active": "no"}, "is_active"),
                        ({"is_active": 0}, "is_active"), ({"email": "x@y.org"}, "email")):
        response = await admin.api("PATCH", other, body)
        assert response.status_code == 422, body
        assert field in response.json()["error"]["fields"], body
    for missing in ("/api/users/99999", f"/api/users/{2**40}"):
        response = await admin.api("PATCH", missing, {"role": "faculty"})
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "user_not_found"
    me = (await admin.get("/api/me")).json()
    assert (me["role"], me["is_active"]) == ("admin", True)
    not_allowed = await admin.get(other)
    assert not_allowed.status_code == 405
    assert "GET is not accepted" in not_allowed.json()["error"]["message"]


async def test_signing_in_and_out_over_the_api(anonymous: Client, people: People) -> None:
    wrong = await anonymous.api("POST", "/api/session",
                                {"email": people.learner.email, "password": "not it at all"})
    assert wrong.status_code == 401
    assert wrong.json()["error"]["code"] == "invalid_credentials"
    ok = await anonymous.api("POST", "/api/session",
                             {"email": people.learner.email, "password": PASSWORD})
    assert ok.status_code == 200
    assert (await anonymous.get("/api/me")).status_code == 200
    assert (await anonymous.api("DELETE", "/api/session")).status_code == 204
    assert (await anonymous.get("/api/me")).status_code == 401
