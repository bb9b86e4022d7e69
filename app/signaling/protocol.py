"""Client messages of signaling protocol v1, validated with clear errors."""

from __future__ import annotations

import json
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from app.signaling.interaction_protocol import INTERACTION_TYPES, InteractionMessage

MAX_MESSAGE_BYTES = 128 * 1024
MAX_SDP_CHARS = 100_000


class ProtocolError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Join(_Message):
    type: Literal["join"]
    token: str = Field(min_length=1, max_length=4096)
    v: int = 1


TrackSource = Literal["microphone", "camera", "screen"]


class Offer(_Message):
    type: Literal["offer"]
    sdp: str = Field(min_length=1, max_length=MAX_SDP_CHARS)
    tracks: dict[Annotated[str, Field(max_length=128)], TrackSource] = Field(
        default_factory=dict, max_length=16
    )


class Answer(_Message):
    type: Literal["answer"]
    sdp: str = Field(min_length=1, max_length=MAX_SDP_CHARS)


class Candidate(_Message):
    model_config = ConfigDict(extra="ignore", frozen=True)  # browsers add usernameFragment

    type: Literal["candidate"]
    candidate: str | None = Field(default=None, max_length=2048)
    sdpMid: str | None = Field(default=None, max_length=64)
    sdpMLineIndex: int | None = Field(default=None, ge=0, le=1024)


class Mute(_Message):
    type: Literal["mute"]
    kind: Literal["audio", "video"]
    muted: bool


class Leave(_Message):
    type: Literal["leave"]


class Ping(_Message):
    type: Literal["ping"]


class CloseRoom(_Message):
    type: Literal["close_room"]


class Record(_Message):
    """Hosts only: start (on) or stop (off) recording the room."""

    type: Literal["record"]
    on: bool


class Chat(_Message):
    """A chat message to everyone, or privately to the hosts. The text's length is checked
    once stripped (app.signaling.chat), so the sender gets a reason, not a schema error."""

    type: Literal["chat"]
    text: str
    to: Literal["everyone", "hosts"] = "everyone"


class Hand(_Message):
    """Raise or lower one's own hand; a host lowers someone else's with ``participant_id``."""

    type: Literal["hand"]
    raised: bool
    participant_id: str | None = Field(default=None, min_length=1, max_length=64)


ParticipantRef = Annotated[str, Field(min_length=1, max_length=64)]


class _Someone(_Message):
    participant_id: ParticipantRef


class _OneOrAll(_Message):
    """A lobby decision for one waiting person (``participant_id``) or everyone (``all``)."""

    participant_id: ParticipantRef | None = None
    all: bool = False

    @model_validator(mode="after")
    def _one_or_all(self) -> _OneOrAll:
        if (self.participant_id is None) == (not self.all):
            raise ValueError("give either participant_id or all: true")
        return self


class Admit(_OneOrAll):
    """Hosts only: let one waiting person in, or everyone in the lobby."""

    type: Literal["admit"]


class Deny(_OneOrAll):
    """Hosts only: turn one waiting person away, or everyone in the lobby."""

    type: Literal["deny"]


class Lock(_Message):
    """Hosts only: lock the room (nobody new but hosts gets in) or unlock it."""

    type: Literal["lock"]
    locked: bool


class SetGuestPolicy(_Message):
    """Hosts only: what happens to people arriving (courses.rooms.admission)."""

    type: Literal["guest_policy"]
    policy: Literal["admit", "ask", "signed_in", "deny"]


class MuteParticipant(_Someone):
    """Hosts only: turn someone's microphone (audio) or camera (video) off. They are told,
    and only they can turn it back on."""

    type: Literal["mute_participant"]
    kind: Literal["audio", "video"] = "audio"


class MuteAll(_Message):
    """Hosts only: turn off the microphone of everyone who is not a host."""

    type: Literal["mute_all"]


class StopScreen(_Someone):
    """Hosts only: ask someone to stop sharing their screen."""

    type: Literal["stop_screen"]


class Remove(_Someone):
    """Hosts only: remove someone; ``allow_rejoin`` false keeps them out for good."""

    type: Literal["remove"]
    allow_rejoin: bool = False


class SetRole(_Someone):
    """Hosts only: make someone a co-host (host powers), a presenter (may share the
    screen), or a plain participant again."""

    type: Literal["set_role"]
    role: Literal["cohost", "presenter", "participant"]


HostCommand = (
    Admit | Deny | Lock | SetGuestPolicy | MuteParticipant | MuteAll | StopScreen | Remove
    | SetRole
)

ClientMessage = (
    Join | Offer | Answer | Candidate | Mute | Leave | Ping | CloseRoom | Record | Chat | Hand
    | HostCommand | InteractionMessage
)
_ADAPTER: TypeAdapter[ClientMessage] = TypeAdapter(
    Annotated[ClientMessage, Field(discriminator="type")]
)
KNOWN_TYPES = (
    "join", "offer", "answer", "candidate", "mute", "leave", "ping", "close_room", "record",
    "chat", "hand", "admit", "deny", "lock", "guest_policy", "mute_participant", "mute_all",
    "stop_screen", "remove", "set_role", *INTERACTION_TYPES,
)


def parse(raw: str) -> ClientMessage:
    """One client frame as a message, or ProtocolError saying what is wrong with it."""
    if len(raw) > MAX_MESSAGE_BYTES:
        raise ProtocolError("too_large", f"Messages are limited to {MAX_MESSAGE_BYTES} bytes.")
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise ProtocolError("bad_json", f"The message is not valid JSON: {exc}.") from None
    if not isinstance(data, dict):
        raise ProtocolError("bad_message", "A message is a JSON object with a 'type'.")
    kind = data.get("type")
    if kind not in KNOWN_TYPES:
        raise ProtocolError(
            "unknown_type", f"Unknown message type {kind!r}; known: {', '.join(KNOWN_TYPES)}."
        )
    try:
        return _ADAPTER.validate_python(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())[1:]) or "message"
        raise ProtocolError(
            "bad_message", f"{kind}: {where}: {first.get('msg', 'invalid')}."
        ) from None
