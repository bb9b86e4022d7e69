"""Domain objects as JSON-ready dicts. One function per resource."""

from __future__ import annotations

from typing import Any

from courses.catalog import CourseView
from courses.enrollment import EnrollmentState, RosterEntry
from courses.models import Activity, User


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def user_json(user: User, *, private: bool = False) -> dict[str, Any]:
    """Public: id and name. Private (the user themself, admins): profile too."""
    data: dict[str, Any] = {"id": user.id, "display_name": user.display_name}
    if private:
        data.update(
            email=user.email,
            role=user.role,
            is_active=user.is_active,
            degree=user.degree,
            license_state=user.license_state,
            license_number=user.license_number,
            npi=user.npi,
            nabp_eprofile_id=user.nabp_eprofile_id,
            birth_month=user.birth_month,
            birth_day=user.birth_day,
            created_at=_iso(user.created_at),
        )
    return data


def activity_json(activity: Activity) -> dict[str, Any]:
    return {
        "id": activity.id,
        "course_id": activity.course_id,
        "kind": activity.kind,
        "title": activity.title,
        "description": activity.description,
        "position": activity.position,
        "starts_at": _iso(activity.starts_at),
        "ends_at": _iso(activity.ends_at),
        "timezone": activity.timezone,
        "capacity": activity.capacity,
        "duration_minutes": activity.duration_minutes,
    }


def course_json(view: CourseView, *, detail: bool = False) -> dict[str, Any]:
    course = view.course
    data: dict[str, Any] = {
        "id": course.id,
        "slug": course.slug,
        "title": course.title,
        "summary": course.summary,
        "tags": view.tags,
        "published": course.published,
        "capacity": course.capacity,
        "faculty": [user_json(u) for u in view.faculty],
        "live_sessions": len(view.live_sessions),
        "on_demand_items": len(view.on_demand),
    }
    if detail:
        data["description"] = course.description
        data["activities"] = [activity_json(a) for a in view.activities]
    return data


def enrollment_state_json(state: EnrollmentState) -> dict[str, Any]:
    return {
        "course_id": state.course_id,
        "user_id": state.user_id,
        "status": state.status.value if state.status else None,
        "waitlist_position": state.waitlist_position,
        "changed": state.changed,
    }


def roster_entry_json(entry: RosterEntry) -> dict[str, Any]:
    row = entry.enrollment
    return {
        "user": user_json(entry.user, private=True),
        "status": row.status,
        "waitlist_position": entry.waitlist_position,
        "enrolled_at": _iso(row.enrolled_at),
        "waitlisted_at": _iso(row.waitlisted_at),
        "withdrawn_at": _iso(row.withdrawn_at),
    }
