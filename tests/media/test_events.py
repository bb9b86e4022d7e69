"""The events media emits, and how they reach app/'s sink: in order, one at a time, a
failing sink logged and skipped."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime

import pytest

from media.events import MediaEvent, MuteChanged, ParticipantLeft
from media.sfu import Grants, ParticipantInfo, Sfu, SfuConfig

AT = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def test_events_are_frozen_records() -> None:
    event = ParticipantLeft("r", "p", 7, "attendee", "dropped", AT)
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.reason = "left"  # type: ignore[misc]
    assert event == ParticipantLeft("r", "p", 7, "attendee", "dropped", AT)


async def test_an_async_sink_gets_events_in_order_and_a_failure_does_not_stop_it() -> None:
    seen: list[MediaEvent] = []

    async def sink(event: MediaEvent) -> None:
        await asyncio.sleep(0.01 if len(seen) == 0 else 0)
        seen.append(event)
        if len(seen) == 1:
            raise RuntimeError("the bus is down")

    sfu = Sfu(SfuConfig(), sink, clock=lambda: AT)
    participant = sfu.room("r").join("p", ParticipantInfo(7, "P", "host", Grants(is_host=True)))
    participant.set_muted("audio", True)
    participant.set_muted("video", True)
    participant.set_muted("audio", False)
    assert not participant.set_muted("audio", False)  # no change, no event
    await sfu.close()
    assert seen == [
        MuteChanged("r", "p", "audio", True, AT),
        MuteChanged("r", "p", "video", True, AT),
        MuteChanged("r", "p", "audio", False, AT),
    ]
