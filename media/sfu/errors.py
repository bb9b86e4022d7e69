"""What the SFU raises; the signaling layer turns these into messages for the client."""

from __future__ import annotations


class SfuError(Exception):
    """Base of every error media.sfu raises on purpose. ``str(error)`` is for humans."""


class NegotiationError(SfuError):
    """An offer or answer the SFU cannot use: unparsable SDP, no usable codec, wrong state.

    The participant's existing session is left as it was.
    """


class GlareError(NegotiationError):
    """The client offered while the server's own offer waits for an answer.

    The client is the polite peer: it answers the server's offer, then offers again.
    """


class ParticipantClosed(SfuError):
    """The participant has left the room (or was dropped); its methods no longer apply."""


class RoomClosed(SfuError):
    """The room has been closed; nobody can join it."""


class RoomFull(SfuError):
    """The room (or the SFU process) is at its configured limit."""


class ParticipantExists(SfuError):
    """A participant with this id is already in the room; leave it first."""
