"""Fixtures for the HTML page tests: people of each role, signed-in clients, recorded mail."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable

import pytest

from app.mail import Message
from app.wiring import Services
from courses.models import Role, User
from tests.app.pages.helpers import Cast, RecordingMailer
from tests.conftest import Client
from tests.factories.people import FAST_PASSWORDS, PASSWORD, make_user

SignedIn = Callable[..., Awaitable[Client]]


@pytest.fixture(autouse=True)
def fast_passwords(services: Services) -> None:
    """These tests sign in hundreds of times."""
    services.passwords = FAST_PASSWORDS


@pytest.fixture
def outbox(services: Services) -> list[Message]:
    """Mail the app sends during the test, kept instead of delivered."""
    mailer = RecordingMailer()
    services.mailer = mailer
    return mailer.sent


@pytest.fixture
async def cast(services: Services) -> Cast:
    return Cast(
        admin=await make_user(services, Role.ADMIN, name="Ada Admin"),
        faculty=await make_user(services, Role.FACULTY, name="Fay Faculty"),
        other_faculty=await make_user(services, Role.FACULTY, name="Otto Other"),
        learner=await make_user(services, Role.LEARNER, name="Lea Learner"),
    )


_addresses = (f"10.{i // 250 % 250}.{i % 250}.1" for i in itertools.count(1))


@pytest.fixture
def signed_in(make_client: Callable[..., Client]) -> SignedIn:
    """A new client signed in as ``user``, from an address of its own unless one is given."""

    async def sign_in(user: User, *, address: str | None = None,
                      password: str = PASSWORD) -> Client:
        http = make_client(address or next(_addresses))
        await http.sign_in(user.email, password)
        return http

    return sign_in
