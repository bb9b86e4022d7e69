"""Typed records the signaling layer hands in (who joins, with which rights) and reads back
(which tracks a room has, for labelling video tiles)."""

from __future__ import annotations

from dataclasses import dataclass

from media.events import TrackKind, TrackSource, UserId


@dataclass(frozen=True, slots=True)
class Grants:
    can_publish: bool = True
    """Microphone and camera."""
    can_subscribe: bool = True
    can_share_screen: bool = False
    is_host: bool = False
    """Informational for media/: hosts' powers (mute, kick) are exercised by app/ through
    Participant.set_muted and Room.leave(reason='kicked')."""

    def allows(self, source: TrackSource) -> bool:
        if source == "screen":
            return self.can_share_screen
        return self.can_publish


@dataclass(frozen=True, slots=True)
class ParticipantInfo:
    user_id: UserId
    display_name: str
    role: str
    grants: Grants = Grants()


@dataclass(frozen=True, slots=True)
class TrackInfo:
    participant_id: str
    display_name: str
    track_id: str
    stream_id: str
    """The msid stream id subscribers see on the m-line (label tiles with it)."""
    kind: TrackKind
    source: TrackSource
    muted: bool
