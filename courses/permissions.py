"""Who may see and change what in the catalog. Pure functions, no I/O."""

from __future__ import annotations

from collections.abc import Collection

from courses.models import Course, Role, User


def is_admin(user: User | None) -> bool:
    return user is not None and user.role == Role.ADMIN


def teaches(user: User | None, faculty_ids: Collection[int]) -> bool:
    return user is not None and user.id in faculty_ids and user.can_teach


def can_create_course(user: User | None) -> bool:
    return is_admin(user)


def can_manage_course(user: User | None, faculty_ids: Collection[int]) -> bool:
    """Edit content and activities, see the roster: admins, and the course's own faculty."""
    return is_admin(user) or teaches(user, faculty_ids)


def can_view_course(user: User | None, course: Course, faculty_ids: Collection[int]) -> bool:
    return course.published or can_manage_course(user, faculty_ids)


def can_enroll_others(user: User | None) -> bool:
    return is_admin(user)
