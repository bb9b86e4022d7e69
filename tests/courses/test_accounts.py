"""Accounts: sign-up, sign-in, roles, profile and password reset, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlmodel import select

from app.wiring import Services
from courses.accounts import ResetRequest
from courses.errors import (
    AccountDisabled,
    EmailTaken,
    InvalidCredentials,
    InvalidInput,
    ResetTokenInvalid,
    SignupDisabled,
    UserNotFound,
)
from courses.models import Organization, PasswordResetToken, Role, User
from courses.passwords import Passwords
from tests.conftest import MovableClock
from tests.factories.people import PASSWORD, make_user

NEW_PASSWORD = "a brand new passphrase 42"
TTL = timedelta(hours=1)


async def sign_up(services: Services, **fields: object) -> User:
    data: dict[str, object] = {
        "email": "jane.doe@hospital.example.org", "password": PASSWORD,
        "display_name": "Jane Doe", **fields,
    }
    async with services.unit() as unit:
        return await unit.accounts.create(**data)  # type: ignore[arg-type]


async def sign_in(services: Services, email: str, password: str) -> User:
    async with services.unit() as unit:
        return await unit.accounts.authenticate(email, password)


async def fetch(services: Services, user_id: int | None) -> User:
    async with services.unit() as unit:
        return await unit.accounts.get(user_id or 0)


async def start_reset(services: Services, email: str) -> ResetRequest | None:
    async with services.unit() as unit:
        return await unit.accounts.start_password_reset(email, TTL)


async def complete_reset(services: Services, token: str, password: str = NEW_PASSWORD) -> User:
    async with services.unit() as unit:
        return await unit.accounts.complete_password_reset(token, password)


async def check_token(services: Services, token: str) -> User:
    async with services.unit() as unit:
        return await unit.accounts.check_reset_token(token)


# -- creating accounts ----------------------------------------------------------------------
async def test_create_normalises_the_email_and_hashes_the_password(
    services: Services, clock: MovableClock
) -> None:
    user = await sign_up(services, email="  Jane.Doe@Hospital.Example.ORG ",
                         display_name="  Jane Doe ")
    stored = await fetch(services, user.id)
    assert stored.email == "jane.doe@hospital.example.org"
    assert stored.display_name == "Jane Doe"
    assert stored.role == Role.LEARNER
    assert stored.is_active
    assert stored.created_at == clock.now()
    assert stored.last_login_at is None
    assert PASSWORD not in stored.password_hash
    assert services.passwords.verify(stored.password_hash, PASSWORD)


async def test_create_with_a_role(services: Services) -> None:
    user = await sign_up(services, role=Role.FACULTY)
    assert (await fetch(services, user.id)).role == "faculty"


async def test_an_email_has_one_account_whatever_its_case(services: Services) -> None:
    await sign_up(services)
    with pytest.raises(EmailTaken):
        await sign_up(services, email="JANE.DOE@hospital.example.org", display_name="Other Jane")
    async with services.unit() as unit:
        assert await unit.accounts.count() == 1


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"password": "short"}, {"password"}),
        ({"password": "aaaaaaaaaaaaaa"}, {"password"}),
        ({"password": "Jane.Doe@hospital.example.org"}, {"password"}),
        ({"email": "not-an-email"}, {"email"}),
        ({"email": ""}, {"email"}),
        ({"email": "jane@@example.org"}, {"email"}),
        ({"display_name": "   "}, {"display_name"}),
        ({"display_name": "x" * 121}, {"display_name"}),
        ({"email": "nope", "password": "x", "display_name": ""},
         {"email", "password", "display_name"}),
    ],
)
async def test_create_names_each_bad_field(
    services: Services, fields: dict[str, object], bad: set[str]
) -> None:
    with pytest.raises(InvalidInput) as caught:
        await sign_up(services, **fields)
    assert set(caught.value.errors) == bad
    async with services.unit() as unit:
        assert await unit.accounts.count() == 0


async def test_self_service_sign_up_honours_the_organisation_switch(services: Services) -> None:
    assert (await sign_up(services, self_service=True)).id is not None
    async with services.unit() as unit:
        org = await unit.accounts.update_organization(name=" St Elsewhere ", signup_enabled=False)
    assert org.name == "St Elsewhere"
    with pytest.raises(SignupDisabled):
        await sign_up(services, email="late@hospital.example.org", self_service=True)
    # an administrator still creates accounts
    await sign_up(services, email="late@hospital.example.org")
    async with services.unit() as unit:
        await unit.accounts.update_organization(name="St Elsewhere", signup_enabled=True)
    await sign_up(services, email="later@hospital.example.org", self_service=True)


async def test_there_is_one_organisation(services: Services) -> None:
    async with services.unit() as unit:
        first = await unit.accounts.organization()
    async with services.unit() as unit:
        second = await unit.accounts.organization()
        assert len((await unit.session.exec(select(Organization))).all()) == 1
    assert first.id == second.id
    assert first.signup_enabled
    for name in ("", "   ", "x" * 201):
        with pytest.raises(InvalidInput) as caught:
            async with services.unit() as unit:
                await unit.accounts.update_organization(name=name, signup_enabled=True)
        assert set(caught.value.errors) == {"name"}


# -- signing in -----------------------------------------------------------------------------
async def test_authenticate_records_the_sign_in(services: Services, clock: MovableClock) -> None:
    user = await sign_up(services)
    clock.at += timedelta(days=2)
    signed_in = await sign_in(services, " JANE.DOE@hospital.example.org", PASSWORD)
    assert signed_in.id == user.id
    assert (await fetch(services, user.id)).last_login_at == clock.now()


async def test_wrong_password_and_unknown_email_fail_alike(services: Services) -> None:
    user = await sign_up(services)
    messages = []
    for email, password in [
        (user.email, "not the password at all"),
        (user.email, ""),
        ("nobody@hospital.example.org", PASSWORD),
        ("not an email", PASSWORD),
        ("", ""),
    ]:
        with pytest.raises(InvalidCredentials) as caught:
            await sign_in(services, email, password)
        messages.append(caught.value.message)
    assert set(messages) == {"That email and password do not match an account."}
    assert (await fetch(services, user.id)).last_login_at is None


async def test_a_disabled_account_cannot_sign_in(services: Services) -> None:
    admin = await make_user(services, Role.ADMIN)
    user = await sign_up(services)
    async with services.unit() as unit:
        await unit.accounts.set_active(user.id or 0, False, actor=admin)
    with pytest.raises(AccountDisabled):
        await sign_in(services, user.email, PASSWORD)
    # the wrong password does not reveal that the account exists but is disabled
    with pytest.raises(InvalidCredentials):
        await sign_in(services, user.email, "not the password at all")
    async with services.unit() as unit:
        await unit.accounts.set_active(user.id or 0, True, actor=admin)
    assert (await sign_in(services, user.email, PASSWORD)).id == user.id


async def test_sign_in_upgrades_an_outdated_hash(services: Services) -> None:
    user = await sign_up(services)
    old_hash = (await fetch(services, user.id)).password_hash
    services.passwords = Passwords(PasswordHasher(time_cost=2, memory_cost=512, parallelism=1))
    await sign_in(services, user.email, PASSWORD)
    new_hash = (await fetch(services, user.id)).password_hash
    assert new_hash != old_hash
    assert not services.passwords.needs_rehash(new_hash)
    assert (await sign_in(services, user.email, PASSWORD)).id == user.id


# -- changing passwords ---------------------------------------------------------------------
async def test_change_password(services: Services) -> None:
    user = await sign_up(services)
    async with services.unit() as unit:
        await unit.accounts.change_password(user.id or 0, PASSWORD, NEW_PASSWORD)
    assert (await sign_in(services, user.email, NEW_PASSWORD)).id == user.id
    with pytest.raises(InvalidCredentials):
        await sign_in(services, user.email, PASSWORD)


async def test_change_password_checks_both_passwords(services: Services) -> None:
    user = await sign_up(services)
    for current, new, field in [
        ("wrong current password", NEW_PASSWORD, "current_password"),
        (PASSWORD, "short", "new_password"),
        (PASSWORD, user.email.upper(), "new_password"),
    ]:
        with pytest.raises(InvalidInput) as caught:
            async with services.unit() as unit:
                await unit.accounts.change_password(user.id or 0, current, new)
        assert set(caught.value.errors) == {field}
    assert (await sign_in(services, user.email, PASSWORD)).id == user.id


# -- password reset -------------------------------------------------------------------------
async def test_reset_token_works_once(services: Services) -> None:
    user = await sign_up(services)
    request = await start_reset(services, "Jane.Doe@hospital.example.org")
    assert request is not None
    assert request.user.id == user.id
    assert (await check_token(services, request.token)).id == user.id

    await complete_reset(services, request.token)
    assert (await sign_in(services, user.email, NEW_PASSWORD)).id == user.id
    with pytest.raises(InvalidCredentials):
        await sign_in(services, user.email, PASSWORD)
    with pytest.raises(ResetTokenInvalid):
        await check_token(services, request.token)
    with pytest.raises(ResetTokenInvalid):
        await complete_reset(services, request.token, "yet another passphrase 7")
    assert (await sign_in(services, user.email, NEW_PASSWORD)).id == user.id


async def test_only_the_tokens_digest_is_stored(services: Services) -> None:
    await sign_up(services)
    request = await start_reset(services, "jane.doe@hospital.example.org")
    assert request is not None
    async with services.unit() as unit:
        row = (await unit.session.exec(select(PasswordResetToken))).one()
    assert row.token_hash == hashlib.sha256(request.token.encode()).hexdigest()
    assert request.token not in row.token_hash
    assert len(request.token) >= 40


async def test_reset_token_expires_after_its_ttl(services: Services, clock: MovableClock) -> None:
    user = await sign_up(services)
    start = clock.now()
    request = await start_reset(services, user.email)
    assert request is not None
    clock.at = start + TTL - timedelta(seconds=1)
    assert (await check_token(services, request.token)).id == user.id
    clock.at = start + TTL
    with pytest.raises(ResetTokenInvalid):
        await check_token(services, request.token)
    with pytest.raises(ResetTokenInvalid):
        await complete_reset(services, request.token)
    assert (await sign_in(services, user.email, PASSWORD)).id == user.id


async def test_completing_a_reset_voids_the_other_tokens(services: Services) -> None:
    user = await sign_up(services)
    other = await sign_up(services, email="other@hospital.example.org", display_name="Other")
    first = await start_reset(services, user.email)
    second = await start_reset(services, user.email)
    theirs = await start_reset(services, other.email)
    assert first and second and theirs
    assert first.token != second.token

    await complete_reset(services, second.token)
    with pytest.raises(ResetTokenInvalid):
        await complete_reset(services, first.token, "sneaky other passphrase")
    assert (await sign_in(services, user.email, NEW_PASSWORD)).id == user.id
    # someone else's token is theirs still
    assert (await check_token(services, theirs.token)).id == other.id


async def test_a_weak_new_password_keeps_the_token(services: Services) -> None:
    user = await sign_up(services)
    request = await start_reset(services, user.email)
    assert request is not None
    with pytest.raises(InvalidInput) as caught:
        await complete_reset(services, request.token, "short")
    assert set(caught.value.errors) == {"password"}
    assert (await check_token(services, request.token)).id == user.id


@pytest.mark.parametrize("email", ["nobody@hospital.example.org", "not an email", ""])
async def test_reset_for_no_account_returns_nothing(services: Services, email: str) -> None:
    await sign_up(services)
    assert await start_reset(services, email) is None
    async with services.unit() as unit:
        assert (await unit.session.exec(select(PasswordResetToken))).all() == []


async def test_reset_for_a_disabled_account_returns_nothing(services: Services) -> None:
    admin = await make_user(services, Role.ADMIN)
    user = await sign_up(services)
    async with services.unit() as unit:
        await unit.accounts.set_active(user.id or 0, False, actor=admin)
    assert await start_reset(services, user.email) is None


@pytest.mark.parametrize("token", ["", "made-up-token", "x" * 43])
async def test_unknown_tokens_are_invalid(services: Services, token: str) -> None:
    with pytest.raises(ResetTokenInvalid):
        await check_token(services, token)


# -- roles and access -----------------------------------------------------------------------
async def test_set_role(services: Services) -> None:
    admin = await make_user(services, Role.ADMIN)
    user = await sign_up(services)
    async with services.unit() as unit:
        await unit.accounts.set_role(user.id or 0, "faculty", actor=admin)
    assert (await fetch(services, user.id)).can_teach
    with pytest.raises(InvalidInput) as caught:
        async with services.unit() as unit:
            await unit.accounts.set_role(user.id or 0, "superuser", actor=admin)
    assert set(caught.value.errors) == {"role"}
    with pytest.raises(UserNotFound):
        async with services.unit() as unit:
            await unit.accounts.set_role(987654, "faculty", actor=admin)


async def test_an_admin_cannot_remove_their_own_admin_role(services: Services) -> None:
    admin = await make_user(services, Role.ADMIN)
    second = await make_user(services, Role.ADMIN)
    for role in ("faculty", "learner"):
        with pytest.raises(InvalidInput) as caught:
            async with services.unit() as unit:
                await unit.accounts.set_role(admin.id or 0, role, actor=admin)
        assert caught.value.errors == {"role": "You cannot remove your own admin role."}
    async with services.unit() as unit:
        await unit.accounts.set_role(admin.id or 0, "admin", actor=admin)  # unchanged: fine
    assert (await fetch(services, admin.id)).is_admin
    async with services.unit() as unit:  # another admin may
        await unit.accounts.set_role(admin.id or 0, "learner", actor=second)
    assert (await fetch(services, admin.id)).role == "learner"


async def test_an_admin_cannot_disable_themselves(services: Services) -> None:
    admin = await make_user(services, Role.ADMIN)
    with pytest.raises(InvalidInput) as caught:
        async with services.unit() as unit:
            await unit.accounts.set_active(admin.id or 0, False, actor=admin)
    assert set(caught.value.errors) == {"is_active"}
    assert (await fetch(services, admin.id)).is_active


async def test_get_and_list(services: Services) -> None:
    await make_user(services, Role.FACULTY, name="Dr Who", email="who@tardis.example.org")
    await make_user(services, Role.LEARNER, name="Amy Pond")
    await make_user(services, Role.ADMIN, name="Brigadier")
    async with services.unit() as unit:
        assert [u.display_name for u in await unit.accounts.list()] == [
            "Amy Pond", "Brigadier", "Dr Who"
        ]
        assert [u.display_name for u in await unit.accounts.list(q="TARDIS")] == ["Dr Who"]
        assert [u.display_name for u in await unit.accounts.list(q="pond")] == ["Amy Pond"]
        assert [u.display_name for u in await unit.accounts.list(role="admin")] == ["Brigadier"]
        assert len(await unit.accounts.list(limit=2)) == 2
        assert await unit.accounts.count() == 3
        assert (await unit.accounts.by_email("who@tardis.example.org")) is not None
        with pytest.raises(UserNotFound):
            await unit.accounts.get(987654)


# -- profile --------------------------------------------------------------------------------
async def test_update_profile_stores_checked_values(services: Services) -> None:
    user = await sign_up(services)
    async with services.unit() as unit:
        await unit.accounts.update_profile(user.id or 0, {
            "display_name": "Dr Jane Doe", "degree": "pharmd", "license_state": "ny",
            "license_number": "PH-12345", "npi": "1234567893", "nabp_eprofile_id": "1234567",
            "birth_month": "2", "birth_day": "29",
        })
    stored = await fetch(services, user.id)
    assert (stored.display_name, stored.degree, stored.license_state, stored.license_number,
            stored.npi, stored.nabp_eprofile_id, stored.birth_month, stored.birth_day) == (
        "Dr Jane Doe", "PharmD", "NY", "PH-12345", "1234567893", "1234567", 2, 29
    )

    # the form's blank choices clear the fields again
    async with services.unit() as unit:
        await unit.accounts.update_profile(user.id or 0, {
            "display_name": "Dr Jane Doe", "degree": "", "license_state": "", "npi": "",
            "birth_month": "", "birth_day": "",
        })
    stored = await fetch(services, user.id)
    assert (stored.degree, stored.license_state, stored.npi, stored.birth_month) == (
        None, None, None, None
    )


async def test_update_profile_refuses_bad_values_and_changes_nothing(services: Services) -> None:
    user = await sign_up(services)
    with pytest.raises(InvalidInput) as caught:
        async with services.unit() as unit:
            await unit.accounts.update_profile(user.id or 0, {
                "display_name": "Renamed", "npi": "1234567890", "license_state": "ZZ",
                "birth_month": "2", "birth_day": "30", "email": "new@example.org",
            })
    assert set(caught.value.errors) == {"npi", "license_state", "birth_day", "email"}
    stored = await fetch(services, user.id)
    assert (stored.display_name, stored.email) == ("Jane Doe", "jane.doe@hospital.example.org")


async def test_update_profile_of_nobody(services: Services) -> None:
    with pytest.raises(UserNotFound):
        async with services.unit() as unit:
            await unit.accounts.update_profile(987654, {"display_name": "Ghost"})
