"""Sign-in, sign-out, sign-up, sign-in throttling and the password reset flow, over HTTP."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from app.mail import Message
from app.settings import Settings
from app.wiring import Services
from courses.models import Role
from tests.app.pages.conftest import SignedIn
from tests.app.pages.helpers import (
    RecordingMailer,
    field_error,
    flashes,
    input_value,
    reset_path,
    text_of,
)
from tests.conftest import Client, MovableClock
from tests.factories.catalog import make_course
from tests.factories.people import PASSWORD, make_user

NEW_PASSWORD = "a fresh passphrase for rounds"


async def whoami(http: Client) -> str | None:
    """The signed-in account's email as the server sees this client's session."""
    user = (await http.get("/api/session")).json()["user"]
    return user["email"] if user else None


# -- sign in and out -------------------------------------------------------------------------
async def test_signin_page_has_a_form_with_the_security_token(client: Client) -> None:
    page = await client.get("/signin")
    assert page.status_code == 200
    assert 'action="/signin"' in page.text
    assert input_value(page.text, "csrf_token") == await client.csrf()


async def test_sign_in_goes_to_my_learning_then_sign_out_ends_the_session(
    client: Client, services: Services
) -> None:
    learner = await make_user(services, Role.LEARNER, name="Sam Signin")
    response = await client.form("/signin", {"email": learner.email, "password": PASSWORD})
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard"
    assert await whoami(client) == learner.email
    page = await client.get("/dashboard")
    assert page.status_code == 200 and "Sam Signin" in page.text

    out = await client.form("/signout")
    assert out.status_code == 303 and out.headers["location"] == "/signin"
    assert await whoami(client) is None
    assert "You are signed out." in flashes((await client.get("/signin")).text)
    again = await client.get("/dashboard")
    assert again.status_code == 303
    assert again.headers["location"] == "/signin?next=/dashboard"


async def test_email_is_matched_whatever_its_case_and_spacing(
    client: Client, services: Services
) -> None:
    learner = await make_user(services, Role.LEARNER, email="casey@hospital.example.org")
    response = await client.form(
        "/signin", {"email": "  Casey@Hospital.Example.ORG ", "password": PASSWORD}
    )
    assert response.status_code == 303
    assert await whoami(client) == learner.email


@pytest.mark.parametrize("email", ["known", "nobody@hospital.example.org", "not an address", ""])
async def test_wrong_password_or_unknown_account_is_401_with_the_same_message(
    client: Client, services: Services, email: str
) -> None:
    learner = await make_user(services, Role.LEARNER)
    address = learner.email if email == "known" else email
    response = await client.form("/signin", {"email": address, "password": "not the password"})
    assert response.status_code == 401
    assert "That email and password do not match an account." in text_of(response.text)
    assert input_value(response.text, "email") == address.strip().lower()
    assert await whoami(client) is None


async def test_session_cookie_is_httponly_and_samesite_lax(
    client: Client, services: Services
) -> None:
    learner = await make_user(services, Role.LEARNER)
    response = await client.form("/signin", {"email": learner.email, "password": PASSWORD})
    cookies = [c for c in response.headers.get_list("set-cookie")
               if c.startswith("rounds_session=")]
    assert len(cookies) == 1
    attributes = {part.strip().split("=")[0].lower(): part.strip()
                  for part in cookies[0].split(";")[1:]}
    assert "httponly" in attributes
    assert attributes["samesite"].lower() == "samesite=lax"
    assert "path" in attributes and attributes["path"] == "path=/"


async def test_signing_in_starts_a_new_session_and_csrf_token(
    client: Client, services: Services
) -> None:
    learner = await make_user(services, Role.LEARNER)
    before = await client.csrf()
    await client.sign_in(learner.email, PASSWORD)
    after = await client.csrf()
    assert after != before
    stale = await client.post("/profile", data={"csrf_token": before, "display_name": "X Y"})
    assert stale.status_code == 403


# -- where sign-in leads ------------------------------------------------------------------------
async def test_next_is_honoured_after_sign_in(client: Client, services: Services) -> None:
    admin = await make_user(services, Role.ADMIN)
    course = await make_course(services, admin)
    page = await client.get("/profile")
    assert page.status_code == 303
    target = page.headers["location"]
    assert target == "/signin?next=/profile"
    form = await client.get(target)
    assert input_value(form.text, "next") == "/profile"
    response = await client.form(
        "/signin", {"email": admin.email, "password": PASSWORD, "next": f"/courses/{course.id}?x=1"}
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/courses/{course.id}?x=1"
    # once signed in, the sign-in page forwards to next straight away
    forwarded = await client.get("/signin?next=/profile")
    assert forwarded.status_code == 303 and forwarded.headers["location"] == "/profile"


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "//evil.example/path",
        "http://evil.example/",
        "https://evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "evil.example",
        "/\t/evil.example",
    ],
)
async def test_open_redirects_are_refused(
    client: Client, services: Services, target: str
) -> None:
    learner = await make_user(services, Role.LEARNER)
    response = await client.form(
        "/signin", {"email": learner.email, "password": PASSWORD, "next": target}
    )
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/") and not location.startswith(("//", "/\\"))
    assert "evil.example" not in location or target == "/\t/evil.example"
    if target != "/\t/evil.example":
        assert location == "/dashboard"
    else:  # kept on this site: the tab is percent-encoded, never dropped into '//'
        assert location == "/%09/evil.example"
    forwarded = await client.get("/signin", params={"next": target})
    assert forwarded.status_code == 303
    assert forwarded.headers["location"] == location


async def test_next_is_escaped_in_the_sign_in_form(client: Client) -> None:
    page = await client.get("/signin", params={"next": '/x"><script>alert(1)</script>'})
    assert page.status_code == 200
    assert "<script>alert(1)" not in page.text
    assert input_value(page.text, "next") == '/x"><script>alert(1)</script>'


async def test_a_form_sent_after_the_session_lapsed_signs_in_then_returns_to_its_page(
    client: Client, services: Services, signed_in: SignedIn
) -> None:
    """The enroll button of a page whose session ended: sign in, then back to that page."""
    admin = await make_user(services, Role.ADMIN)
    course = await make_course(services, admin, title="Lapsed Session Course")
    learner = await make_user(services, Role.LEARNER)
    await client.sign_in(learner.email, PASSWORD)
    token = await client.csrf()
    # the password changes on another device, which ends this session but not its token
    other = await signed_in(learner)
    changed = await other.form("/profile/password",
                               {"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert changed.status_code == 303
    response = await client.post(
        f"/courses/{course.id}/enroll", data={"csrf_token": token},
        headers={"referer": f"http://testserver/courses/{course.id}"},
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/signin?next=/courses/{course.id}"
    signin_page = await client.get(response.headers["location"])
    back = await client.form("/signin", {"email": learner.email, "password": NEW_PASSWORD,
                                         "next": input_value(signin_page.text, "next") or ""})
    assert back.headers["location"] == f"/courses/{course.id}"
    assert (await client.get(back.headers["location"])).status_code == 200
    # a referer from another site is not followed
    await client.form("/signout")
    token = await client.csrf()
    elsewhere = await client.post(
        f"/courses/{course.id}/enroll", data={"csrf_token": token},
        headers={"referer": "https://evil.example/courses/1"},
    )
    assert elsewhere.headers["location"] == "/signin"


# -- sign-up ------------------------------------------------------------------------------------
async def test_sign_up_creates_the_account_and_signs_in(client: Client) -> None:
    page = await client.get("/signup")
    assert page.status_code == 200 and 'action="/signup"' in page.text
    response = await client.form("/signup", {
        "display_name": "Nora Newcomer", "email": "Nora@Clinic.example.org",
        "password": "my own long passphrase",
    })
    assert response.status_code == 303
    assert response.headers["location"] == "/profile"
    assert await whoami(client) == "nora@clinic.example.org"
    profile = await client.get("/profile")
    assert profile.status_code == 200
    assert any("Welcome to Rounds" in f for f in flashes(profile.text))
    assert input_value(profile.text, "display_name") == "Nora Newcomer"
    await client.form("/signout")
    again = await client.form("/signin", {"email": "nora@clinic.example.org",
                                          "password": "my own long passphrase"})
    assert again.status_code == 303


async def test_sign_up_names_each_bad_field_and_keeps_what_was_typed(client: Client) -> None:
    response = await client.form("/signup", {
        "display_name": "", "email": "nora-at-clinic", "password": "short",
    })
    assert response.status_code == 422
    assert field_error(response.text, "display_name") == (
        "Give a name of 1 to 120 characters, as it should appear.")
    assert "Enter an email address like name@example.org" in (
        field_error(response.text, "email") or "")
    assert field_error(response.text, "password") == "Use at least 10 characters."
    assert input_value(response.text, "email") == "nora-at-clinic"
    assert input_value(response.text, "password") == ""  # never sent back
    assert await whoami(client) is None


@pytest.mark.parametrize(
    "junk",
    [{"display_name": "nul\x00name"}, {"email": "nul\x00@clinic.example.org"},
     {"email": "x" * 400 + "@clinic.example.org"}, {"password": "p" * 300},
     {"display_name": "\u202e" * 5}, {"email": "名前@例え.テスト"}, {}],
)
async def test_odd_sign_up_and_sign_in_forms_are_never_a_server_error(
    client: Client, junk: dict[str, str]
) -> None:
    form = {"display_name": "Odd One", "email": "odd@clinic.example.org",
            "password": "a long passphrase", **junk} if junk else {}
    signup = await client.form("/signup", form)
    assert signup.status_code in (303, 409, 422), signup.text[:300]
    await client.form("/signout")
    signin = await client.form("/signin", form)
    assert signin.status_code in (303, 401), signin.text[:300]


async def test_sign_up_with_a_taken_email_is_refused(client: Client, services: Services) -> None:
    learner = await make_user(services, Role.LEARNER)
    response = await client.form("/signup", {
        "display_name": "Copy Cat", "email": learner.email.upper(),
        "password": "yet another passphrase",
    })
    assert response.status_code == 409
    assert "An account with this email already exists." in text_of(response.text)
    assert await whoami(client) is None


async def test_sign_up_turned_off_by_an_admin_is_refused_with_a_clear_message(
    client: Client, services: Services, signed_in: SignedIn, make_client: Callable[..., Client]
) -> None:
    admin = await make_user(services, Role.ADMIN)
    admin_http = await signed_in(admin)
    saved = await admin_http.form("/admin/settings", {"name": "Rounds Hospital"})
    assert saved.status_code == 303
    settings_page = await admin_http.get("/admin/settings")
    assert "signup_enabled" in settings_page.text
    assert 'name="signup_enabled" checked' not in settings_page.text

    page = await client.get("/signup")
    assert page.status_code == 200
    message = "Sign-up is turned off here. Ask your CME office or administrator for an account."
    assert message in text_of(page.text)
    assert 'action="/signup"' not in page.text
    response = await client.form("/signup", {
        "display_name": "Late Comer", "email": "late@clinic.example.org",
        "password": "a perfectly fine passphrase",
    })
    assert response.status_code == 403
    assert message in text_of(response.text)
    assert await whoami(client) is None
    refused = await make_client("10.9.9.9").form(
        "/signin", {"email": "late@clinic.example.org", "password": "a perfectly fine passphrase"})
    assert refused.status_code == 401

    # turned back on, sign-up works again
    await admin_http.form("/admin/settings", {"name": "Rounds Hospital", "signup_enabled": "on"})
    reopened = await client.form("/signup", {
        "display_name": "Late Comer", "email": "late@clinic.example.org",
        "password": "a perfectly fine passphrase",
    })
    assert reopened.status_code == 303


# -- throttling ---------------------------------------------------------------------------------
class TestThrottling:
    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return settings.model_copy(
            update={"login_failures_per_account": 3, "login_attempts_per_address": 6}
        )

    async def test_an_account_locks_after_its_failures_even_from_another_address(
        self, services: Services, make_client: Callable[..., Client]
    ) -> None:
        learner = await make_user(services, Role.LEARNER)
        bystander = await make_user(services, Role.LEARNER)
        attacker = make_client("10.1.0.1")
        for _ in range(3):
            wrong = await attacker.form("/signin", {"email": learner.email, "password": "guess!"})
            assert wrong.status_code == 401
        owner = make_client("10.2.0.1")
        locked = await owner.form("/signin", {"email": learner.email, "password": PASSWORD})
        assert locked.status_code == 429
        text = text_of(locked.text)
        assert "Too many failed sign-ins for this account." in text
        assert "Try again in about 15 minute(s)" in text
        assert await whoami(owner) is None
        # only that account: another one still signs in from the attacker's address
        other = await attacker.form("/signin", {"email": bystander.email, "password": PASSWORD})
        assert other.status_code == 303

    async def test_one_address_is_limited_across_accounts(
        self, services: Services, make_client: Callable[..., Client]
    ) -> None:
        learner = await make_user(services, Role.LEARNER)
        sprayer = make_client("10.3.0.1")
        for n in range(6):
            wrong = await sprayer.form(
                "/signin", {"email": f"user{n}@hospital.example.org", "password": "Spring2026!"})
            assert wrong.status_code == 401
        blocked = await sprayer.form("/signin", {"email": learner.email, "password": PASSWORD})
        assert blocked.status_code == 429
        assert "Too many sign-in attempts from your network." in text_of(blocked.text)
        assert await whoami(sprayer) is None
        elsewhere = make_client("10.4.0.1")
        allowed = await elsewhere.form("/signin", {"email": learner.email, "password": PASSWORD})
        assert allowed.status_code == 303

    async def test_a_successful_sign_in_resets_the_account_counter(
        self, services: Services, make_client: Callable[..., Client]
    ) -> None:
        learner = await make_user(services, Role.LEARNER)
        clients = iter(make_client(f"10.5.0.{n}") for n in range(1, 20))  # no address limit
        for _ in range(2):
            assert (await next(clients).form(
                "/signin", {"email": learner.email, "password": "typo"})).status_code == 401
        await next(clients).sign_in(learner.email, PASSWORD)
        for _ in range(2):
            assert (await next(clients).form(
                "/signin", {"email": learner.email, "password": "typo"})).status_code == 401
        # four failures in all, but only two since the success: still allowed
        ok = await next(clients).form("/signin", {"email": learner.email, "password": PASSWORD})
        assert ok.status_code == 303


# -- password reset -----------------------------------------------------------------------------
async def test_password_reset_end_to_end(
    client: Client, services: Services, outbox: list[Message], signed_in: SignedIn
) -> None:
    learner = await make_user(services, Role.LEARNER, name="Rita Reset")
    elsewhere = await signed_in(learner)  # a session on another device

    form = await client.get("/password/forgot")
    assert form.status_code == 200 and 'action="/password/forgot"' in form.text
    sent = await client.form("/password/forgot", {"email": learner.email.upper()})
    assert sent.status_code == 200
    assert "a link to choose a new password is on its way" in text_of(sent.text)
    assert len(outbox) == 1
    mail = outbox[0]
    assert mail.to == learner.email
    assert "Hello Rita Reset" in mail.body
    assert f"{services.settings.public_url}/password/reset/" in mail.body
    link = reset_path(mail)

    page = await client.get(link)
    assert page.status_code == 200
    assert f'action="{link}"' in page.text

    differ = await client.form(link, {"password": NEW_PASSWORD, "password_again": "other"})
    assert differ.status_code == 422
    assert field_error(differ.text, "password_again") == "The two passwords differ."
    weak = await client.form(link, {"password": "short", "password_again": "short"})
    assert weak.status_code == 422
    assert field_error(weak.text, "password") == "Use at least 10 characters."

    done = await client.form(link, {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert done.status_code == 303 and done.headers["location"] == "/signin"
    assert "Your password is changed." in " ".join(flashes((await client.get("/signin")).text))

    old = await client.form("/signin", {"email": learner.email, "password": PASSWORD})
    assert old.status_code == 401
    await client.sign_in(learner.email, NEW_PASSWORD)
    assert await whoami(client) == learner.email
    # the other device's session ended with the old password
    assert await whoami(elsewhere) is None

    # the link works once
    used = await client.get(link)
    assert used.status_code == 400
    assert "This reset link is invalid, used or expired." in text_of(used.text)
    reuse = await client.form(link, {"password": "third passphrase here",
                                     "password_again": "third passphrase here"})
    assert reuse.status_code == 400
    await client.form("/signout")
    assert (await client.form("/signin", {"email": learner.email,
                                          "password": "third passphrase here"})).status_code == 401


async def test_unknown_email_gets_the_same_answer_and_no_mail(
    client: Client, services: Services, outbox: list[Message]
) -> None:
    learner = await make_user(services, Role.LEARNER)
    known = await client.form("/password/forgot", {"email": learner.email})
    unknown = await client.form("/password/forgot", {"email": "stranger@hospital.example.org"})
    malformed = await client.form("/password/forgot", {"email": "not an address"})
    assert known.status_code == unknown.status_code == malformed.status_code == 200
    assert known.text == unknown.text == malformed.text
    assert [m.to for m in outbox] == [learner.email]


async def test_a_mail_server_failure_gives_the_same_answer(
    client: Client, services: Services
) -> None:
    """When SMTP is down the answer must not differ, or it tells who has an account."""

    class DownMailer(RecordingMailer):
        async def send(self, message: Message) -> None:
            raise ConnectionRefusedError("smtp.example.org:587")

    services.mailer = DownMailer()
    learner = await make_user(services, Role.LEARNER)
    known = await client.form("/password/forgot", {"email": learner.email})
    unknown = await client.form("/password/forgot", {"email": "stranger@hospital.example.org"})
    assert known.status_code == unknown.status_code == 200
    assert known.text == unknown.text


async def test_disabled_accounts_get_no_reset_mail(
    client: Client, services: Services, outbox: list[Message]
) -> None:
    admin = await make_user(services, Role.ADMIN)
    learner = await make_user(services, Role.LEARNER)
    async with services.unit() as unit:
        await unit.accounts.set_active(learner.id or 0, False, actor=admin)
    response = await client.form("/password/forgot", {"email": learner.email})
    assert response.status_code == 200
    assert outbox == []


async def test_a_reset_link_expires(
    client: Client, services: Services, outbox: list[Message], clock: MovableClock
) -> None:
    learner = await make_user(services, Role.LEARNER)
    await client.form("/password/forgot", {"email": learner.email})
    link = reset_path(outbox[0])
    clock.at += timedelta(seconds=services.settings.password_reset_ttl_seconds + 1)
    expired = await client.get(link)
    assert expired.status_code == 400
    assert "Ask for a new link" in text_of(expired.text)
    refused = await client.form(link, {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert refused.status_code == 400
    assert (await client.form("/signin", {"email": learner.email,
                                          "password": NEW_PASSWORD})).status_code == 401


async def test_a_newer_reset_link_voids_the_older_one_once_used(
    client: Client, services: Services, outbox: list[Message]
) -> None:
    learner = await make_user(services, Role.LEARNER)
    await client.form("/password/forgot", {"email": learner.email})
    await client.form("/password/forgot", {"email": learner.email})
    first, second = (reset_path(m) for m in outbox)
    assert first != second
    done = await client.form(second, {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert done.status_code == 303
    assert (await client.get(first)).status_code == 400
