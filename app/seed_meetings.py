"""The demo's meeting: a weekly huddle whose room opens a few minutes after the server
starts, with users and one guest invited, so the lobby and host controls can be tried at once.
The guest's join link exists only at scheduling time; it is kept in ``demo-guest-link.txt``
beside the demo logins and printed with them."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from app.settings import Settings
from app.wiring import Unit
from courses.meetings import MeetingService
from courses.models import User

GUEST = "Dr. Visiting Pharmacist <pharmacist@partner.example.org>"


def guest_link_file(settings: Settings) -> Path:
    return settings.data_dir / "demo-guest-link.txt"


async def seed_meeting(unit: Unit, organizer: User, invitees: list[User], zone: str,
                       now: datetime, settings: Settings) -> int:
    """Schedule the huddle (five minutes from ``now``, weekly); returns its id."""
    local = (now + timedelta(minutes=5)).astimezone(ZoneInfo(zone))
    start = local.replace(second=0, microsecond=0)
    change = await MeetingService(unit.session, unit.clock).schedule({
        "title": "Weekly operations huddle",
        "agenda": "Bed census\nStaffing for the weekend\nOpen issues",
        "timezone": zone,
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + timedelta(minutes=45)).strftime("%Y-%m-%dT%H:%M"),
        "recurrence": "weekly", "count": "8", "until": "",
        "invitee_ids": [str(u.id) for u in invitees],
        "guests": GUEST,
    }, organizer)
    meeting_id = change.meeting.id or 0
    token = next(n.guest_token for n in change.invitations if n.guest)
    path = guest_link_file(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(f"{settings.public_url}/meetings/{meeting_id}/join/{token}\n")
    return meeting_id
