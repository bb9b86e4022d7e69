"""Users of each role."""

from __future__ import annotations

import itertools

from argon2 import PasswordHasher

from app.wiring import Services
from courses.models import Role, User
from courses.passwords import Passwords

PASSWORD = "correct horse battery staple"
# argon2id at its cheapest, for suites that sign in hundreds of times; only speed changes.
# Hashing with the real parameters is tested in tests/courses.
FAST_PASSWORDS = Passwords(PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))
_seq = itertools.count(1)


async def make_user(
    services: Services,
    role: Role = Role.LEARNER,
    *,
    email: str | None = None,
    name: str | None = None,
    password: str = PASSWORD,
    degree: str | None = None,
) -> User:
    n = next(_seq)
    email = email or f"{role.value}{n}@hospital.example.org"
    name = name or f"{role.value.title()} {n}"
    async with services.unit() as unit:
        user = await unit.accounts.create(
            email=email, password=password, display_name=name, role=role
        )
        if degree:
            user = await unit.accounts.update_profile(
                user.id or 0, {"display_name": name, "degree": degree}
            )
    return user
