"""The forwarding SFU: encoded RTP between participants, never decoded or re-encoded.

Public API (what app/'s signaling layer calls)::

    sfu = Sfu(SfuConfig(...), events)        # events: (MediaEvent) -> None | Awaitable[None]
    room = sfu.room(room_id)                 # get or create; sfu.get_room(room_id) only gets
    participant = room.join(participant_id, ParticipantInfo(user_id, name, role, Grants(...)))

    answer = await participant.handle_offer(sdp, track_sources={"<msid track id>": "screen"})
    async for offer in participant.offers():  # server offers; the iterator ends on leave
        ...send it to the client, get its answer...
        await participant.handle_answer(answer)
    await participant.add_ice_candidate("candidate:...", sdp_mid="0")   # None: end
    participant.set_muted("audio", True)     # host or self; stops forwarding, MuteChanged
    participant.state                        # new, negotiated, connected, closed
    participant.stats()                      # ParticipantStats

    room.tracks()                            # [TrackInfo]: owner, display name, stream id, ...
    room.stream_owners()                     # msid stream id -> participant id (label tiles)
    room.active_speaker                      # participant id or None
    await room.leave(participant_id, "kicked")   # or "left"; "dropped" is the SFU's own
    room.start_recording(directory, recording_id, layout="presenter")   # media/recording
    await room.stop_recording()              # RecordingSummary; closing the room stops it too
    await sfu.close_room(room_id)
    await sfu.close()

The exchange: the client makes the first offer (a viewer offers receive-only transceivers);
after that the server offers whenever what the participant receives changes, and the client
answers. The client is the polite peer: its offer while a server offer waits for an answer
raises GlareError. An offer the SFU cannot use (garbage, no Opus/VP8/H.264, no BUNDLE, data
channels, an ICE restart) raises NegotiationError, whose str() can be shown to the user; the
participant's session, its room and every other room carry on. What grants forbid is answered
inactive. Camera and microphone of a participant share one msid stream (lip sync); a screen
share is a second video track.

Emitted (media.events), in order, through the sink: ParticipantJoined when a participant's
media connects (attendance comes from the connection), ParticipantLeft (left: hung up or
closed DTLS; kicked; dropped: ICE failure or nothing heard for ``SfuConfig.peer_timeout``),
TrackPublished / TrackUnpublished, MuteChanged, ActiveSpeakerChanged (RFC 6464 levels).

Inside: ``_aiortc_shim`` (the only code touching aiortc's privates) hands over clear RTP right
after SRTP and sends protected packets itself; ``publisher`` demultiplexes what a participant
sends; ``forwarder`` fans each published track out to its ``downtrack`` per subscriber, which
rewrites headers in place (``rewrite``), keeps a NACK history (``nack``) and translates sender
reports; ``rtcp``, ``reception`` and ``speaker`` do feedback, reports and the active speaker;
``sdp`` and ``negotiation`` handle offers and answers.
"""

from .config import IceServer, SfuConfig
from .errors import (
    GlareError,
    NegotiationError,
    ParticipantClosed,
    ParticipantExists,
    RoomClosed,
    RoomFull,
    SfuError,
)
from .info import Grants, ParticipantInfo, TrackInfo
from .participant import Participant, ParticipantStats
from .room import Room
from .sfu import EventSink, Sfu

__all__ = [
    "EventSink",
    "GlareError",
    "Grants",
    "IceServer",
    "NegotiationError",
    "Participant",
    "ParticipantClosed",
    "ParticipantExists",
    "ParticipantInfo",
    "ParticipantStats",
    "Room",
    "RoomClosed",
    "RoomFull",
    "Sfu",
    "SfuConfig",
    "SfuError",
    "TrackInfo",
]
