"""Active speaker from RFC 6464 levels, with hysteresis."""

from __future__ import annotations

from media.sfu.speaker import ActiveSpeakerDetector, SpeakerSlot


def speak(
    detector: ActiveSpeakerDetector, levels: dict[str, int], slots: dict[str, SpeakerSlot]
) -> bool:
    for participant, level in levels.items():
        for _ in range(10):
            slots[participant].add(level)
    return detector.decide()


def test_the_loudest_speaks_and_a_challenger_must_stay_louder() -> None:
    detector = ActiveSpeakerDetector(threshold_dbov=-50, switch_margin_db=6, switch_intervals=2,
                                     smoothing=1.0)
    slots = {p: detector.slot(p) for p in ("alice", "bob")}
    assert not speak(detector, {"alice": 127, "bob": 127}, slots)  # silence: nobody
    assert detector.current is None
    assert speak(detector, {"alice": 20, "bob": 90}, slots)
    assert detector.current == "alice"
    assert not speak(detector, {"alice": 22, "bob": 20}, slots)  # not louder by the margin
    assert not speak(detector, {"alice": 40, "bob": 20}, slots)  # louder, once
    assert speak(detector, {"alice": 40, "bob": 20}, slots)  # and again: bob
    assert detector.current == "bob"
    assert not speak(detector, {"alice": 127, "bob": 127}, slots)  # silence keeps the last one
    assert detector.current == "bob"


def test_leaving_clears_the_speaker() -> None:
    detector = ActiveSpeakerDetector(smoothing=1.0)
    slot = detector.slot("alice")
    slot.add(10)
    assert detector.decide() and detector.current == "alice"
    assert detector.forget("alice") and detector.current is None
    assert not detector.forget("bob")
