"""Active speaker from RFC 6464 audio levels in the publishers' RTP headers (no decoding).

Each published microphone gets a ``SpeakerSlot`` the forwarder adds levels to, per packet;
every ``interval`` the room asks ``decide()`` who speaks. Hysteresis: a challenger must be
louder than the current speaker by a margin for a number of consecutive decisions, so the
speaker does not flap between two people talking over each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class SpeakerSlot:
    """Level accumulator of one microphone; ``add`` is on the per-packet path."""

    __slots__ = ("count", "participant_id", "total")

    def __init__(self, participant_id: str) -> None:
        self.participant_id = participant_id
        self.total = 0
        self.count = 0

    def add(self, level: int) -> None:
        """level: 0 (loudest, 0 dBov) .. 127 (silence, -127 dBov)."""
        self.total += 127 - level
        self.count += 1

    def take(self) -> float | None:
        """Mean loudness (dB above -127 dBov) since the last call, None if no packets."""
        if not self.count:
            return None
        mean = self.total / self.count
        self.total = self.count = 0
        return mean


@dataclass
class ActiveSpeakerDetector:
    threshold_dbov: int = -50
    switch_margin_db: float = 6.0
    switch_intervals: int = 2
    smoothing: float = 0.5
    """Weight of the newest interval in each microphone's smoothed loudness."""

    current: str | None = None
    _slots: dict[int, SpeakerSlot] = field(default_factory=dict)
    _loudness: dict[str, float] = field(default_factory=dict)
    _challenger: str | None = None
    _challenges: int = 0

    def slot(self, participant_id: str) -> SpeakerSlot:
        slot = SpeakerSlot(participant_id)
        self._slots[id(slot)] = slot
        return slot

    def remove(self, slot: SpeakerSlot) -> None:
        self._slots.pop(id(slot), None)
        if not any(s.participant_id == slot.participant_id for s in self._slots.values()):
            self._loudness.pop(slot.participant_id, None)

    def forget(self, participant_id: str) -> bool:
        """The participant left; True if that changes the current speaker (to nobody)."""
        for key, slot in list(self._slots.items()):
            if slot.participant_id == participant_id:
                del self._slots[key]
        self._loudness.pop(participant_id, None)
        if self._challenger == participant_id:
            self._challenger, self._challenges = None, 0
        if self.current == participant_id:
            self.current = None
            return True
        return False

    def decide(self) -> bool:
        """Take the levels since the last decision; True if the current speaker changed."""
        weight = self.smoothing
        heard: dict[str, float] = {}
        for slot in self._slots.values():
            mean = slot.take()
            if mean is not None:
                heard[slot.participant_id] = max(heard.get(slot.participant_id, 0.0), mean)
        for participant_id in list(self._loudness):
            if participant_id not in heard:  # no packets (muted, stopped): fades out
                heard[participant_id] = 0.0
        for participant_id, mean in heard.items():
            before = self._loudness.get(participant_id, mean)
            self._loudness[participant_id] = weight * mean + (1 - weight) * before
        threshold = 127 + self.threshold_dbov
        speaking = {p: v for p, v in self._loudness.items() if v >= threshold}
        if not speaking:
            self._challenger, self._challenges = None, 0
            return False
        loudest = max(speaking, key=speaking.__getitem__)
        if self.current is None:
            self.current = loudest
            self._challenger, self._challenges = None, 0
            return True
        if loudest == self.current:
            self._challenger, self._challenges = None, 0
            return False
        current_level = self._loudness.get(self.current, 0.0)
        if speaking[loudest] < current_level + self.switch_margin_db:
            self._challenger, self._challenges = None, 0
            return False
        if loudest == self._challenger:
            self._challenges += 1
        else:
            self._challenger, self._challenges = loudest, 1
        if self._challenges >= self.switch_intervals:
            self.current = loudest
            self._challenger, self._challenges = None, 0
            return True
        return False
