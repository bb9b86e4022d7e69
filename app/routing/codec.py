"""Media events to and from the JSON-ready dicts the bus carries."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from media import events

_TYPES: dict[str, type[Any]] = {
    cls.__name__: cls
    for cls in (
        events.ParticipantJoined,
        events.ParticipantLeft,
        events.TrackPublished,
        events.TrackUnpublished,
        events.ActiveSpeakerChanged,
        events.MuteChanged,
        events.RecordingStarted,
        events.RecordingStopped,
    )
}


def encode(event: Any) -> dict[str, Any]:
    """``{"type": "ParticipantJoined", ...fields}`` with times as ISO 8601 strings."""
    data: dict[str, Any] = {"type": type(event).__name__}
    for field in dataclasses.fields(event):
        value = getattr(event, field.name)
        data[field.name] = value.isoformat() if isinstance(value, datetime) else value
    return data


def decode(message: dict[str, Any]) -> Any:
    """The event back from ``encode``'s output; ValueError for anything else."""
    cls = _TYPES.get(str(message.get("type")))
    if cls is None:
        raise ValueError(f"unknown event type {message.get('type')!r}")
    kwargs = {}
    for field in dataclasses.fields(cls):
        if field.name not in message:
            raise ValueError(f"{cls.__name__} without {field.name}")
        value = message[field.name]
        if field.name == "at":
            value = datetime.fromisoformat(value)
        kwargs[field.name] = value
    return cls(**kwargs)
