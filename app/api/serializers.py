"""Domain objects as JSON-ready dicts. One function per resource."""

from __future__ import annotations

from typing import Any

from courses.catalog import CourseView
from courses.enrollment import AgendaItem, EnrollmentState, RosterEntry
from courses.models import Activity, Course, Enrollment, EnrollmentStatus, User


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
        "auto_record": activity.auto_record,
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
        "promoted_user_ids": list(state.promoted_user_ids),
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


def course_ref_json(course: Course) -> dict[str, Any]:
    """Just enough of a course to name it and link to it."""
    return {"id": course.id, "slug": course.slug, "title": course.title}


def counts_json(counts: dict[EnrollmentStatus, int]) -> dict[str, int]:
    return {status.value: counts.get(status, 0) for status in EnrollmentStatus}


def my_enrollment_json(
    course: Course, row: Enrollment, waitlist_position: int | None
) -> dict[str, Any]:
    return {
        "course": course_ref_json(course),
        "status": row.status,
        "waitlist_position": waitlist_position,
        "enrolled_at": _iso(row.enrolled_at),
        "waitlisted_at": _iso(row.waitlisted_at),
    }


def agenda_item_json(item: AgendaItem) -> dict[str, Any]:
    return {
        "course": course_ref_json(item.course),
        "activity": activity_json(item.activity),
        "status": item.status.value,
    }


# -- what each function above returns, for the OpenAPI document ---------------------------
def _obj(props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": list(props), "properties": props}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


_STR: dict[str, Any] = {"type": "string"}
_INT: dict[str, Any] = {"type": "integer"}
_BOOL: dict[str, Any] = {"type": "boolean"}
_OPT_STR: dict[str, Any] = {"type": ["string", "null"]}
_OPT_INT: dict[str, Any] = {"type": ["integer", "null"]}
_TIME: dict[str, Any] = {"type": ["string", "null"], "format": "date-time"}
_STATUS = {"type": "string", "enum": [s.value for s in EnrollmentStatus]}

OUTPUT_SCHEMAS: dict[str, dict[str, Any]] = {
    "UserPublic": _obj({"id": _INT, "display_name": _STR}),
    "UserPrivate": _obj({
        "id": _INT, "display_name": _STR, "email": _STR,
        "role": {"type": "string", "enum": ["learner", "faculty", "admin"]},
        "is_active": _BOOL, "degree": _OPT_STR, "license_state": _OPT_STR,
        "license_number": _OPT_STR, "npi": _OPT_STR, "nabp_eprofile_id": _OPT_STR,
        "birth_month": _OPT_INT, "birth_day": _OPT_INT, "created_at": _TIME,
    }),
    "Activity": _obj({
        "id": _INT, "course_id": _INT,
        "kind": {"type": "string", "enum": ["live", "on_demand"]},
        "title": _STR, "description": _STR, "position": _INT,
        "starts_at": _TIME, "ends_at": _TIME, "timezone": _OPT_STR,
        "capacity": _OPT_INT, "duration_minutes": _OPT_INT, "auto_record": _BOOL,
    }),
    "CourseSummary": _obj({
        "id": _INT, "slug": _STR, "title": _STR, "summary": _STR,
        "tags": {"type": "array", "items": _STR}, "published": _BOOL, "capacity": _OPT_INT,
        "faculty": {"type": "array", "items": _ref("UserPublic")},
        "live_sessions": _INT, "on_demand_items": _INT,
    }),
    "CourseRef": _obj({"id": _INT, "slug": _STR, "title": _STR}),
    "EnrollmentState": _obj({
        "course_id": _INT, "user_id": _INT,
        "status": {"type": ["string", "null"], "enum": [*_STATUS["enum"], None]},
        "waitlist_position": _OPT_INT, "changed": _BOOL,
        "promoted_user_ids": {"type": "array", "items": _INT},
    }),
    "RosterEntry": _obj({
        "user": _ref("UserPrivate"), "status": _STATUS, "waitlist_position": _OPT_INT,
        "enrolled_at": _TIME, "waitlisted_at": _TIME, "withdrawn_at": _TIME,
    }),
    "EnrollmentCounts": _obj({s.value: _INT for s in EnrollmentStatus}),
    "MyEnrollment": _obj({
        "course": _ref("CourseRef"), "status": _STATUS, "waitlist_position": _OPT_INT,
        "enrolled_at": _TIME, "waitlisted_at": _TIME,
    }),
    "AgendaItem": _obj({
        "course": _ref("CourseRef"), "activity": _ref("Activity"), "status": _STATUS,
    }),
}
OUTPUT_SCHEMAS["CourseDetail"] = _obj({
    **OUTPUT_SCHEMAS["CourseSummary"]["properties"],
    "description": _STR,
    "activities": {"type": "array", "items": _ref("Activity")},
})
