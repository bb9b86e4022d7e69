"""The users page (create accounts, set roles, disable) and the organisation's settings."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from app.wiring import Services
from courses.models import Role
from tests.app.pages.conftest import SignedIn
from tests.app.pages.helpers import Cast, field_error, flashes, input_value, text_of
from tests.conftest import Client
from tests.factories.people import PASSWORD, make_user


@pytest.fixture
async def admin(cast: Cast, signed_in: SignedIn) -> Client:
    return await signed_in(cast.admin)


def user_rows(page: str) -> dict[str, tuple[str, str]]:
    """email -> (selected role, Active/Disabled) for each row of the users table."""
    rows = {}
    for row in page.split("<tbody>")[1].split("</tbody>")[0].split("<tr>")[1:]:
        email = re.search(r"<td>([^<@]+@[^<]+)</td>", row)
        role = re.search(r'<option value="(\w+)" selected>', row)
        state = re.search(r"(Active|Disabled) <button", row)
        assert email and role and state, row
        rows[email.group(1)] = (role.group(1), state.group(1))
    return rows


async def test_the_users_page_lists_everyone_with_filters(cast: Cast, admin: Client) -> None:
    page = await admin.get("/admin/users")
    assert page.status_code == 200
    rows = user_rows(page.text)
    assert rows[cast.learner.email] == ("learner", "Active")
    assert rows[cast.faculty.email] == ("faculty", "Active")
    assert len(rows) == 4
    by_role = user_rows((await admin.get("/admin/users", params={"role": "faculty"})).text)
    assert set(by_role) == {cast.faculty.email, cast.other_faculty.email}
    by_name = user_rows((await admin.get("/admin/users", params={"q": "otto"})).text)
    assert set(by_name) == {cast.other_faculty.email}
    odd = await admin.get("/admin/users", params={"role": "wizard", "q": "a\x00%"})
    assert odd.status_code == 200


async def test_admin_creates_an_account_that_can_sign_in(
    admin: Client, make_client: Callable[..., Client]
) -> None:
    response = await admin.form("/admin/users", {
        "display_name": "Gus Guest", "email": "Gus@Hospital.example.org",
        "password": "initial passphrase", "role": "faculty"})
    assert response.status_code == 303 and response.headers["location"] == "/admin/users"
    page = await admin.get("/admin/users")
    assert "Account for gus@hospital.example.org created." in flashes(page.text)
    assert user_rows(page.text)["gus@hospital.example.org"] == ("faculty", "Active")
    newcomer = make_client("10.77.0.1")
    await newcomer.sign_in("gus@hospital.example.org", "initial passphrase")
    assert (await newcomer.get("/admin/courses")).status_code == 200  # faculty role


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"display_name": "No Mail", "email": "nope", "password": "long enough pw"},
         "Account not created: email: Enter an email address like name@example.org"),
        ({"display_name": "", "email": "x@hospital.example.org", "password": "long enough pw"},
         "Account not created: display name: Give a name of 1 to 120 characters"),
        ({"display_name": "Short", "email": "y@hospital.example.org", "password": "short"},
         "Account not created: password: Use at least 10 characters."),
        ({"display_name": "Boss", "email": "z@hospital.example.org", "password": "long enough pw",
          "role": "superuser"},
         "Account not created: role: Choose learner, faculty or admin."),
    ],
)
async def test_a_bad_new_account_is_refused_with_the_reason(
    admin: Client, form: dict[str, str], message: str
) -> None:
    response = await admin.form("/admin/users", form)
    assert response.status_code == 303
    page = await admin.get("/admin/users")
    assert any(f.startswith(message) for f in flashes(page.text)), flashes(page.text)
    assert len(user_rows(page.text)) == 4


async def test_a_taken_email_is_a_conflict(cast: Cast, admin: Client) -> None:
    response = await admin.form("/admin/users", {
        "display_name": "Twin", "email": cast.learner.email, "password": "long enough pw"})
    assert response.status_code == 409
    assert "An account with this email already exists." in text_of(response.text)


async def test_changing_a_role_changes_what_they_may_open(
    cast: Cast, admin: Client, signed_in: SignedIn
) -> None:
    learner = await signed_in(cast.learner)
    assert (await learner.get("/admin/courses")).status_code == 403
    response = await admin.form(f"/admin/users/{cast.learner.id}", {"role": "faculty"})
    assert response.status_code == 303 and response.headers["location"] == "/admin/users"
    page = await admin.get("/admin/users")
    assert "User updated." in flashes(page.text)
    assert user_rows(page.text)[cast.learner.email] == ("faculty", "Active")
    assert (await learner.get("/admin/courses")).status_code == 200
    await admin.form(f"/admin/users/{cast.learner.id}", {"role": "learner"})
    assert (await learner.get("/admin/courses")).status_code == 403


async def test_a_bad_role_is_refused(cast: Cast, admin: Client) -> None:
    await admin.form(f"/admin/users/{cast.learner.id}", {"role": "overlord"})
    page = await admin.get("/admin/users")
    assert "Choose learner, faculty or admin." in flashes(page.text)
    assert user_rows(page.text)[cast.learner.email] == ("learner", "Active")


async def test_a_disabled_user_cannot_sign_in_and_is_signed_out(
    cast: Cast, admin: Client, signed_in: SignedIn, make_client: Callable[..., Client]
) -> None:
    session = await signed_in(cast.learner)
    response = await admin.form(f"/admin/users/{cast.learner.id}", {"is_active": "0"})
    assert response.status_code == 303
    assert user_rows((await admin.get("/admin/users")).text)[cast.learner.email] == (
        "learner", "Disabled")
    gone = await session.get("/dashboard")
    assert gone.status_code == 303 and gone.headers["location"].startswith("/signin")
    attempt = await make_client("10.78.0.1").form(
        "/signin", {"email": cast.learner.email, "password": PASSWORD})
    assert attempt.status_code == 403
    assert "This account is disabled. Contact your administrator." in text_of(attempt.text)

    await admin.form(f"/admin/users/{cast.learner.id}", {"is_active": "1"})
    back = make_client("10.78.0.2")
    await back.sign_in(cast.learner.email, PASSWORD)
    assert (await back.get("/dashboard")).status_code == 200


async def test_an_admin_cannot_demote_or_disable_themself(
    cast: Cast, services: Services, admin: Client
) -> None:
    for form, message in [({"role": "learner"}, "You cannot remove your own admin role."),
                          ({"role": "faculty"}, "You cannot remove your own admin role."),
                          ({"is_active": "0"}, "You cannot disable your own account.")]:
        response = await admin.form(f"/admin/users/{cast.admin.id}", form)
        assert response.status_code == 303
        page = await admin.get("/admin/users")
        assert page.status_code == 200, form  # still an admin
        assert message in flashes(page.text)
        assert user_rows(page.text)[cast.admin.email] == ("admin", "Active")
    # another admin may do it
    second = await make_user(services, Role.ADMIN)
    response = await admin.form(f"/admin/users/{second.id}", {"role": "learner"})
    assert response.status_code == 303
    assert user_rows((await admin.get("/admin/users")).text)[second.email][0] == "learner"


@pytest.mark.parametrize("user_id", [999999, 2**31, 10**20])
async def test_updating_an_unknown_user_is_404(admin: Client, user_id: int) -> None:
    response = await admin.form(f"/admin/users/{user_id}", {"role": "faculty"})
    assert response.status_code == 404
    assert f"There is no user with id {user_id}." in text_of(response.text)


# -- settings -----------------------------------------------------------------------------------
async def test_settings_rename_the_organisation(admin: Client, client: Client) -> None:
    page = await admin.get("/admin/settings")
    assert page.status_code == 200
    assert 'name="signup_enabled" checked' in page.text
    response = await admin.form("/admin/settings", {"name": "St. Elsewhere CME",
                                                    "signup_enabled": "on"})
    assert response.status_code == 303 and response.headers["location"] == "/admin/settings"
    page = await admin.get("/admin/settings")
    assert "Settings saved." in flashes(page.text)
    assert input_value(page.text, "name") == "St. Elsewhere CME"
    assert "<title>Catalog · St. Elsewhere CME</title>" in (await client.get("/catalog")).text


@pytest.mark.parametrize("name", ["", "   ", "x" * 201])
async def test_settings_need_a_name(admin: Client, name: str) -> None:
    response = await admin.form("/admin/settings", {"name": name, "signup_enabled": "on"})
    assert response.status_code == 422
    assert field_error(response.text, "name") == (
        "Give the organisation a name of 1 to 200 characters.")
