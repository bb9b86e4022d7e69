"""Fixtures for the education domain's service tests.

The services here are the real ones (``app.wiring.build_services``) on SQLite and PostgreSQL,
with one change: passwords are hashed with cheap argon2id parameters. The production profile
costs about 0.3 s a hash on a CI machine, and these tests create hundreds of accounts; the
parameters themselves are checked in test_passwords.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from argon2 import PasswordHasher

import app.wiring
from app.settings import Settings
from app.wiring import Services, build_services
from courses.models import Role, User
from courses.passwords import Passwords
from tests.conftest import MovableClock
from tests.factories.people import make_user

FAST_PASSWORDS = Passwords(PasswordHasher(time_cost=1, memory_cost=256, parallelism=1))


@pytest.fixture
async def services(
    settings: Settings, clock: MovableClock, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Services]:
    monkeypatch.setattr(app.wiring, "Passwords", lambda: FAST_PASSWORDS)
    built = build_services(settings, clock=clock)
    assert built.passwords is FAST_PASSWORDS
    try:
        yield built
    finally:
        await built.close()


@pytest.fixture
async def admin(services: Services) -> User:
    return await make_user(services, Role.ADMIN, name="Ada Admin")
