"""Who may see and change what in the catalog (pure rules, no database)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from courses import permissions
from courses.models import Course, Role, User

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def person(user_id: int, role: Role) -> User:
    return User(id=user_id, email=f"u{user_id}@example.org", password_hash="x",
                display_name=f"User {user_id}", role=role.value, created_at=NOW)


ADMIN = person(1, Role.ADMIN)
FACULTY = person(2, Role.FACULTY)
OTHER_FACULTY = person(3, Role.FACULTY)
LEARNER = person(4, Role.LEARNER)
DRAFT = Course(id=10, slug="draft", title="Draft", published=False, created_at=NOW,
               updated_at=NOW)
PUBLISHED = Course(id=11, slug="live", title="Published", published=True, created_at=NOW,
                   updated_at=NOW)
TEACHERS = {FACULTY.id or 0}


@pytest.mark.parametrize(
    ("user", "admin"), [(ADMIN, True), (FACULTY, False), (LEARNER, False), (None, False)]
)
def test_is_admin(user: User | None, admin: bool) -> None:
    assert permissions.is_admin(user) is admin
    assert permissions.can_create_course(user) is admin
    assert permissions.can_enroll_others(user) is admin


def test_teaching_needs_the_course_and_the_role() -> None:
    assert permissions.teaches(FACULTY, TEACHERS)
    assert not permissions.teaches(OTHER_FACULTY, TEACHERS)
    assert not permissions.teaches(None, TEACHERS)
    # listed on the course but since demoted to learner: no longer teaches it
    demoted = person(5, Role.LEARNER)
    assert not permissions.teaches(demoted, {5})
    # an admin listed as faculty teaches it too
    assert permissions.teaches(ADMIN, {1})


@pytest.mark.parametrize(
    ("user", "manages"),
    [(ADMIN, True), (FACULTY, True), (OTHER_FACULTY, False), (LEARNER, False), (None, False)],
)
def test_who_manages_a_course(user: User | None, manages: bool) -> None:
    assert permissions.can_manage_course(user, TEACHERS) is manages


@pytest.mark.parametrize(
    ("user", "sees_draft"),
    [(ADMIN, True), (FACULTY, True), (OTHER_FACULTY, False), (LEARNER, False), (None, False)],
)
def test_drafts_are_seen_by_managers_only(user: User | None, sees_draft: bool) -> None:
    assert permissions.can_view_course(user, DRAFT, TEACHERS) is sees_draft
    assert permissions.can_view_course(user, PUBLISHED, TEACHERS) is True
