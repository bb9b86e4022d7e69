"""RecordingStarted and RecordingStopped travel over the bus like the other media events."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from app.routing.codec import decode, encode
from media.events import RecordingStarted, RecordingStopped

AT = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("event", [
    RecordingStarted("r1", "rec-1", "/var/rounds/rec-1", AT),
    RecordingStopped("r1", "rec-1", "/var/rounds/rec-1", "failed",
                     "writing tracks/a.rtp failed: [Errno 28] No space left on device", AT),
])
def test_recording_events_round_trip_through_json(
    event: RecordingStarted | RecordingStopped,
) -> None:
    message = json.loads(json.dumps(encode(event)))
    assert message["type"] == type(event).__name__ and message["at"] == AT.isoformat()
    assert decode(message) == event


def test_a_stopped_event_without_its_reason_is_refused() -> None:
    message = encode(RecordingStopped("r1", "rec-1", "/d", "stopped", "", AT))
    del message["reason"]
    with pytest.raises(ValueError, match="without reason"):
        decode(message)
