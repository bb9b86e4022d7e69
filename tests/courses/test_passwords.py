"""argon2id hashing and the rules for a new password (no database)."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher, extract_parameters
from argon2.profiles import RFC_9106_LOW_MEMORY

from courses.passwords import MAX_LENGTH, MIN_LENGTH, Passwords, password_problem

FAST = PasswordHasher(time_cost=1, memory_cost=256, parallelism=1)
SECRET = "correct horse battery staple"
NOT_EMAIL = "Your password must not be your email address."


@pytest.fixture(scope="module")
def passwords() -> Passwords:
    return Passwords(FAST)


def test_default_hashes_are_argon2id_with_the_rfc_9106_low_memory_profile() -> None:
    hashed = Passwords().hash(SECRET)
    assert hashed.startswith("$argon2id$")
    assert extract_parameters(hashed) == RFC_9106_LOW_MEMORY


def test_hash_and_verify(passwords: Passwords) -> None:
    hashed = passwords.hash(SECRET)
    assert SECRET not in hashed
    assert hashed != passwords.hash(SECRET)  # salted
    assert passwords.verify(hashed, SECRET)
    assert not passwords.verify(hashed, SECRET.upper())
    assert not passwords.verify(hashed, "")


@pytest.mark.parametrize("stored", [None, "", "not-a-hash", "$argon2id$v=19$m=1,t=1,p=1$broken"])
def test_verify_without_a_usable_hash_is_false(passwords: Passwords, stored: str | None) -> None:
    assert not passwords.verify(stored, SECRET)


def test_no_account_never_verifies_even_with_the_timing_dummys_password(
    passwords: Passwords,
) -> None:
    # Without an account the dummy hash is checked to keep timing even; it must not pass.
    assert not passwords.verify(None, "rounds-timing-equaliser")


def test_needs_rehash_when_parameters_change(passwords: Passwords) -> None:
    assert not passwords.needs_rehash(passwords.hash(SECRET))
    stronger = Passwords(PasswordHasher(time_cost=2, memory_cost=512, parallelism=1))
    assert stronger.needs_rehash(passwords.hash(SECRET))
    assert stronger.verify(passwords.hash(SECRET), SECRET)  # old hashes still verify


@pytest.mark.parametrize(
    ("password", "email", "problem"),
    [
        ("short", "", f"Use at least {MIN_LENGTH} characters."),
        ("a1b2c3d4e", "", f"Use at least {MIN_LENGTH} characters."),
        ("ab" * 129, "", f"Use at most {MAX_LENGTH} characters."),
        ("Ana.Lee@Clinic.org", "ana.lee@clinic.org", NOT_EMAIL),
        (" ana.lee@clinic.org ", "Ana.Lee@clinic.org", NOT_EMAIL),
        ("aaaaaaaaaaaa", "", "Choose a password with more variety than that."),
        ("abcabcabcabc", "", "Choose a password with more variety than that."),
    ],
)
def test_password_problems(password: str, email: str, problem: str) -> None:
    assert password_problem(password, email) == problem


@pytest.mark.parametrize(
    ("password", "email"),
    [
        ("abcdabcdab", ""),  # exactly the minimum, four different characters
        ("x1!" + "y" * (MAX_LENGTH - 3), ""),  # exactly the maximum
        (SECRET, "someone@example.org"),
        ("ana.lee@clinic.org!", "ana.lee@clinic.org"),  # contains it, is not it
    ],
)
def test_acceptable_passwords(password: str, email: str) -> None:
    assert password_problem(password, email) is None
