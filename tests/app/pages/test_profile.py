"""The profile page: professional details with field-by-field messages, and the password."""

from __future__ import annotations

import pytest

from app.wiring import Services
from courses.models import Role
from tests.app.pages.conftest import SignedIn
from tests.app.pages.helpers import field_error, flashes, input_value, text_of
from tests.conftest import Client
from tests.factories.people import PASSWORD, make_user

GOOD = {
    "display_name": "Dr. Pat Provider",
    "degree": "MD",
    "license_state": "ca",
    "license_number": "A-12345",
    "npi": "1234567893",
    "nabp_eprofile_id": "1234567",
    "birth_month": "2",
    "birth_day": "29",
}


@pytest.fixture
async def me(client: Client, services: Services) -> Client:
    learner = await make_user(services, Role.LEARNER, name="Pat Provider")
    await client.sign_in(learner.email, PASSWORD)
    return client


async def test_profile_shows_the_current_details(me: Client) -> None:
    page = await me.get("/profile")
    assert page.status_code == 200
    assert input_value(page.text, "display_name") == "Pat Provider"
    assert input_value(page.text, "npi") == ""


async def test_saving_the_profile_stores_normalised_values(me: Client) -> None:
    response = await me.form("/profile", GOOD)
    assert response.status_code == 303 and response.headers["location"] == "/profile"
    page = await me.get("/profile")
    assert "Profile saved." in flashes(page.text)
    assert input_value(page.text, "display_name") == "Dr. Pat Provider"
    assert input_value(page.text, "license_state") == "CA"
    assert input_value(page.text, "npi") == "1234567893"
    assert input_value(page.text, "birth_month") == "2"
    assert input_value(page.text, "birth_day") == "29"
    assert '<option value="MD" selected>' in page.text
    stored = (await me.get("/api/session")).json()["user"]
    assert (stored["degree"], stored["license_state"], stored["birth_day"]) == ("MD", "CA", 29)


async def test_optional_fields_can_be_cleared(me: Client) -> None:
    await me.form("/profile", GOOD)
    cleared = {**dict.fromkeys(GOOD, ""), "display_name": "Pat Provider"}
    assert (await me.form("/profile", cleared)).status_code == 303
    stored = (await me.get("/api/session")).json()["user"]
    assert stored["npi"] is None and stored["birth_month"] is None and stored["degree"] is None


@pytest.mark.parametrize(
    ("changes", "field", "label", "message"),
    [
        ({"npi": "1234567890"}, "npi", "NPI",
         "An NPI is 10 digits with a valid check digit, like 1234567893."),
        ({"npi": "12345"}, "npi", "NPI",
         "An NPI is 10 digits with a valid check digit, like 1234567893."),
        ({"npi": "١٢٣٤٥٦٧٨٩٣"}, "npi", "NPI",  # Arabic-Indic digits are not an NPI
         "An NPI is 10 digits with a valid check digit, like 1234567893."),
        ({"license_state": "ZZ"}, "license_state", "Licence state",
         "Use the two-letter code of a US state or territory, like CA or NY."),
        ({"license_state": "California"}, "license_state", "Licence state",
         "Use the two-letter code of a US state or territory, like CA or NY."),
        ({"birth_month": "2", "birth_day": "30"}, "birth_day", "Birth day",
         "Birth day must be between 1 and 29 for that month."),
        ({"birth_month": "4", "birth_day": "31"}, "birth_day", "Birth day",
         "Birth day must be between 1 and 30 for that month."),
        ({"birth_month": "", "birth_day": "12"}, "birth_day", "Birth day",
         "Give both birth month and birth day, or neither."),
        ({"birth_month": "5", "birth_day": "fifth"}, "birth_day", "Birth day",
         "Enter a whole number."),
        ({"birth_month": "13"}, "birth_month", "Birth month",
         "Birth month is a number from 1 to 12."),
        ({"nabp_eprofile_id": "12345678"}, "nabp_eprofile_id", "NABP e-Profile ID",
         "The NABP e-Profile ID is a number of up to 7 digits, like 1234567."),
        ({"degree": "Wizard"}, "degree", "Degree or profession",
         "Choose one of: MD, DO, RN, NP, PA, PharmD, SW, other."),
        ({"display_name": "   "}, "display_name", "Full name", "This field is required."),
        ({"license_number": "<script>"}, "license_number", "Licence number",
         "Use the licence number as printed: letters, digits, '-', '.', '/' or spaces."),
    ],
)
async def test_a_bad_field_is_422_naming_the_field_and_its_format(
    me: Client, changes: dict[str, str], field: str, label: str, message: str
) -> None:
    response = await me.form("/profile", {**GOOD, **changes})
    assert response.status_code == 422
    assert field_error(response.text, field) == message
    assert f'<label for="f-{field}">{label}' in response.text
    assert 'aria-invalid="true"' in response.text
    summary = text_of(response.text)
    assert "Please correct the following:" in summary and message in summary
    # what was typed comes back, so only the bad field needs retyping
    if field not in ("degree",):
        assert input_value(response.text, field) == {**GOOD, **changes}[field]
    assert input_value(response.text, "license_number") == {**GOOD, **changes}["license_number"]
    # nothing was saved
    stored = (await me.get("/api/session")).json()["user"]
    assert stored["npi"] is None and stored["display_name"] == "Pat Provider"


async def test_several_bad_fields_are_all_named(me: Client) -> None:
    response = await me.form("/profile", {**GOOD, "npi": "1", "license_state": "XX",
                                          "birth_month": "0"})
    assert response.status_code == 422
    for name in ("npi", "license_state", "birth_month"):
        assert field_error(response.text, name), name


@pytest.mark.parametrize(
    "junk",
    [
        {"birth_month": "1e400"},
        {"birth_month": "-0", "birth_day": "-0"},
        {"birth_month": "99999999999999999999999", "birth_day": "1"},
        {"birth_month": "2.5", "birth_day": "1"},
        {"npi": "x" * 5000},
        {"display_name": "x" * 121},
        {"display_name": "nul\x00byte"},
        {"license_number": "A" * 31},
        {"unexpected": "field"},
        {},
    ],
)
async def test_junk_is_never_a_server_error(me: Client, junk: dict[str, str]) -> None:
    response = await me.form("/profile", {**GOOD, **junk} if junk else {})
    assert response.status_code in (303, 422), response.text[:500]


async def test_anonymous_profile_posts_go_to_sign_in(client: Client) -> None:
    await client.get("/catalog")
    response = await client.form("/profile", GOOD)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/signin")


# -- password ------------------------------------------------------------------------------
async def test_wrong_current_password_is_422(me: Client) -> None:
    response = await me.form("/profile/password", {"current_password": "not it at all",
                                                   "new_password": "a new long passphrase"})
    assert response.status_code == 422
    assert field_error(response.text, "current_password") == "That is not your current password."
    assert input_value(response.text, "display_name") == "Pat Provider"


async def test_weak_new_password_is_422(me: Client) -> None:
    response = await me.form("/profile/password", {"current_password": PASSWORD,
                                                   "new_password": "short"})
    assert response.status_code == 422
    assert field_error(response.text, "new_password") == "Use at least 10 characters."


async def test_changing_the_password_signs_out_other_sessions_but_keeps_this_one(
    client: Client, services: Services, signed_in: SignedIn
) -> None:
    learner = await make_user(services, Role.LEARNER)
    here = await signed_in(learner)
    laptop = await signed_in(learner)
    assert (await laptop.get("/dashboard")).status_code == 200

    changed = await here.form("/profile/password", {"current_password": PASSWORD,
                                                    "new_password": "a new long passphrase"})
    assert changed.status_code == 303 and changed.headers["location"] == "/profile"
    page = await here.get("/profile")
    assert page.status_code == 200
    assert "Password changed. Other devices have been signed out." in flashes(page.text)
    assert (await here.get("/dashboard")).status_code == 200

    gone = await laptop.get("/dashboard")
    assert gone.status_code == 303
    assert gone.headers["location"] == "/signin?next=/dashboard"
    # the old password no longer works, the new one does
    assert (await client.form("/signin", {"email": learner.email,
                                          "password": PASSWORD})).status_code == 401
    await client.sign_in(learner.email, "a new long passphrase")
