"""Meetings, scheduled through the real service."""

from __future__ import annotations

from app.wiring import Services
from courses.meetings import MeetingChange, MeetingService
from courses.models import User


def meeting_form(**overrides: object) -> dict[str, object]:
    """A valid scheduling form: Monday 7 December 2026, 09:00 to 10:00 in New York."""
    form: dict[str, object] = {
        "title": "Operations huddle",
        "agenda": "Staffing\nRooms",
        "timezone": "America/New_York",
        "starts_at": "2026-12-07T09:00",
        "ends_at": "2026-12-07T10:00",
        "recurrence": "none",
        "count": "",
        "until": "",
        "invitee_ids": [],
        "guests": "",
    }
    form.update(overrides)
    return form


async def make_meeting(
    services: Services,
    organizer: User,
    *,
    invitees: list[User] | None = None,
    guests: str = "",
    **overrides: object,
) -> MeetingChange:
    form = meeting_form(invitee_ids=[str(u.id) for u in invitees or []], guests=guests, **overrides)
    async with services.unit() as unit:
        return await MeetingService(unit.session, unit.clock).schedule(form, organizer)
