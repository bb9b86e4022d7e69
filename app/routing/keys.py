"""Every Redis key and channel name Rounds uses, in one place."""

from __future__ import annotations

PREFIX = "rounds"

# Media facts: participant joined/left, tracks, speakers, recordings.
MEDIA_EVENTS = f"{PREFIX}:events:media"


def room_channel(room_id: str) -> str:
    """Signaling fan-out for one room (moderation, chat) across web processes."""
    return f"{PREFIX}:room:{room_id}"


def worker_heartbeat(name: str) -> str:
    return f"{PREFIX}:workers:{name}"
