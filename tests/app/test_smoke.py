"""The app answers its basic pages on both databases."""

from __future__ import annotations

from app.wiring import Services
from courses.models import Role
from tests.conftest import Client
from tests.factories.catalog import make_course
from tests.factories.people import PASSWORD, make_user


async def test_catalog_lists_published_courses(client: Client, services: Services) -> None:
    admin = await make_user(services, Role.ADMIN)
    await make_course(services, admin, title="Sepsis Bundle Update")
    await make_course(services, admin, title="Hidden Draft", published=False)
    response = await client.get("/catalog")
    assert response.status_code == 200
    assert "Sepsis Bundle Update" in response.text
    assert "Hidden Draft" not in response.text


async def test_learner_signs_in_and_enrolls(client: Client, services: Services) -> None:
    admin = await make_user(services, Role.ADMIN)
    course = await make_course(services, admin, title="Stroke Alert")
    learner = await make_user(services, Role.LEARNER)
    await client.sign_in(learner.email, PASSWORD)
    response = await client.form(f"/courses/{course.id}/enroll")
    assert response.status_code == 303
    page = await client.get("/dashboard")
    assert "Stroke Alert" in page.text
