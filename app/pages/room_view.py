"""What the live room page needs to know, whichever kind of room it is (a course's live
session or a meeting): templates/live/room.html renders one of these."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class RoomView:
    room_id: str
    title: str
    token: str
    token_url: str
    """Where the page asks for a fresh join token (POST, with the CSRF header)."""
    display_name: str
    is_host: bool
    """Hosts run the room: they share their screen, record, and end it for everyone."""
    starts_at: datetime
    ends_at: datetime
    timezone: str | None
    noun: str
    """"session" or "meeting", for the page's words."""
    back_href: str = ""
    back_label: str = ""
    crumb_href: str = ""
    crumb_label: str = ""
    guest: bool = False
    """A meeting guest: the page shows nothing of the rest of Rounds."""
