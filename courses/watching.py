"""What a learner has really watched of a recording, from the ranges the player reports.

The replay page sends heartbeats: the media ranges it actually played since the last one,
and where the playhead is. The server merges them into sorted, disjoint intervals per learner
(the xAPI video profile's "played segments"), so watching a part twice counts once and
skipping ahead earns nothing. Percent watched is the merged total over the duration; issue 5's
credit rules read it, so it must be earned, not claimed:

- a range must be finite, non-negative, and end at or after its start (else 422, naming it);
  what lies past the end of the recording is clipped off;
- new watched time (what a heartbeat adds to the merged total) may not grow faster than real
  time: at most ``REAL_TIME_TOLERANCE`` times the wall time since the last accepted heartbeat
  plus ``SLACK_SECONDS`` for network jitter, and never more than ``MAX_HEARTBEAT_SECONDS`` in
  one heartbeat (``FIRST_HEARTBEAT_SECONDS`` for a learner's first). The excess is clipped
  from the end of the ranges, as sent, and reported. So a learner's credit never exceeds the
  wall time they spent, and playing at 2x speed earns 1x;
- a recording counts as completed once ``COMPLETION_PERCENT`` of it has been watched: the
  last few percent are credits and closing words that people fairly stop before.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import structlog
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from courses.clock import Clock
from courses.errors import InvalidInput
from courses.models import Recording, User, WatchProgress

log = structlog.get_logger(__name__)

Interval = tuple[float, float]

COMPLETION_PERCENT = 95.0
REAL_TIME_TOLERANCE = 1.1
SLACK_SECONDS = 2.0
FIRST_HEARTBEAT_SECONDS = 30.0
MAX_HEARTBEAT_SECONDS = 120.0
MAX_RANGES = 200
"""Ranges in one heartbeat; a player flushing every 10 s sends a handful."""
RESUME_NEAR_END_SECONDS = 3.0
"""A learner who stopped this close to the end starts again from the beginning."""


# -- interval math (pure) ------------------------------------------------------------------
def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, disjoint intervals covering the same points; touching ones become one.

    Empty intervals (end == start) cover nothing and are dropped."""
    merged: list[Interval] = []
    for start, end in sorted(i for i in intervals if i[1] > i[0]):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def add(intervals: Iterable[Interval], new: Iterable[Interval]) -> list[Interval]:
    return merge([*intervals, *new])


def total(intervals: Iterable[Interval]) -> float:
    """The length covered, counting overlaps once."""
    return sum(end - start for start, end in merge(intervals))


def clip(intervals: Iterable[Interval], duration: float) -> list[Interval]:
    """The parts of ``intervals`` inside [0, duration], merged."""
    return merge((max(0.0, s), min(duration, e)) for s, e in intervals)


def uncovered(candidate: Interval, covered: Sequence[Interval]) -> list[Interval]:
    """The parts of ``candidate`` that the merged intervals ``covered`` do not cover."""
    start, end = candidate
    gaps: list[Interval] = []
    cursor = start
    for s, e in covered:
        if e <= cursor:
            continue
        if s >= end:
            break
        if s > cursor:
            gaps.append((cursor, s))
        cursor = max(cursor, e)
        if cursor >= end:
            break
    if cursor < end:
        gaps.append((cursor, end))
    return gaps


def within_budget(
    covered: Sequence[Interval], ranges: Sequence[Interval], budget: float
) -> tuple[list[Interval], float]:
    """``ranges`` (in the order played) cut so that they add at most ``budget`` seconds to the
    merged ``covered``; returns the accepted ranges and the seconds cut off."""
    merged = merge(covered)
    accepted: list[Interval] = []
    for candidate in ranges:
        gaps = uncovered(candidate, merged)
        gain = sum(e - s for s, e in gaps)
        if gain <= budget:
            budget -= gain
            granted = candidate
        else:
            cut = candidate[0]
            for s, e in gaps:  # walk the new parts until the budget is spent
                if e - s >= budget:
                    cut = s + budget
                    break
                budget -= e - s
                cut = e
            budget = 0.0
            granted = (candidate[0], cut)
        if granted[1] > granted[0]:
            accepted.append(granted)
            merged = add(merged, [granted])
    clipped = total(add(covered, ranges)) - total(merged)
    return accepted, max(0.0, clipped)


# -- heartbeats ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Heartbeat:
    ranges: list[Interval]
    position: float


def _number(value: object, where: str, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput({name: f"{where} must be a number of seconds, not {value!r}."})
    number = float(value)
    if math.isnan(number):
        raise InvalidInput({name: f"{where} is NaN; send a number of seconds."})
    if math.isinf(number):
        raise InvalidInput({name: f"{where} is infinite; send a finite number of seconds."})
    if number < 0:
        raise InvalidInput({name: f"{where} is negative ({number}); media time starts at 0."})
    return round(number, 3)


def parse_heartbeat(ranges: object, position: object) -> Heartbeat:
    """Check what a player sent; InvalidInput names the first impossible value."""
    if not isinstance(ranges, list):
        raise InvalidInput({"ranges": "Send ranges as a list of [start, end] pairs of seconds."})
    if len(ranges) > MAX_RANGES:
        raise InvalidInput({"ranges": f"Send at most {MAX_RANGES} ranges in one heartbeat."})
    parsed: list[Interval] = []
    for i, pair in enumerate(ranges):
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise InvalidInput({"ranges": f"ranges[{i}] must be a [start, end] pair."})
        start = _number(pair[0], f"ranges[{i}] start", "ranges")
        end = _number(pair[1], f"ranges[{i}] end", "ranges")
        if end < start:
            raise InvalidInput(
                {"ranges": f"ranges[{i}] ends ({end}) before it starts ({start})."}
            )
        parsed.append((start, end))
    return Heartbeat(parsed, _number(position, "position", "position"))


@dataclass(frozen=True)
class WatchState:
    """One learner's progress through one recording."""

    recording_id: int
    user_id: int
    duration_seconds: float
    intervals: list[Interval] = field(default_factory=list)
    position_seconds: float = 0.0
    completed_at: datetime | None = None
    clipped_seconds: float = 0.0
    """What the last heartbeat claimed beyond real time, and was not counted."""

    @property
    def watched_seconds(self) -> float:
        return round(total(self.intervals), 3)

    @property
    def percent(self) -> float:
        if self.duration_seconds <= 0:
            return 0.0
        return round(min(100.0, 100.0 * self.watched_seconds / self.duration_seconds), 1)

    @property
    def resume_at(self) -> float:
        """Where the player starts: where the learner left off, unless that was the end."""
        if self.position_seconds >= self.duration_seconds - RESUME_NEAR_END_SECONDS:
            return 0.0
        return self.position_seconds


def _intervals(raw: str) -> list[Interval]:
    try:
        data = json.loads(raw or "[]")
        return merge((float(s), float(e)) for s, e in data)
    except (ValueError, TypeError):
        return []


def _state(row: WatchProgress, duration: float, clipped: float = 0.0) -> WatchState:
    return WatchState(
        recording_id=row.recording_id,
        user_id=row.user_id,
        duration_seconds=duration,
        intervals=_intervals(row.intervals_json),
        position_seconds=row.position_seconds,
        completed_at=row.completed_at,
        clipped_seconds=round(clipped, 3),
    )


def budget_since(last: datetime | None, now: datetime) -> float:
    """The most new watched time a heartbeat at ``now`` may add."""
    if last is None:
        return FIRST_HEARTBEAT_SECONDS
    elapsed = max(0.0, (now - last).total_seconds())
    return min(MAX_HEARTBEAT_SECONDS, elapsed * REAL_TIME_TOLERANCE + SLACK_SECONDS)


class WatchService:
    """Heartbeats in, merged intervals out. The caller has checked that the user may watch."""

    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    async def progress(self, recording: Recording, user_id: int) -> WatchState:
        duration = recording.duration_seconds or 0.0
        row = await self._row(recording.id or 0, user_id)
        if row is None:
            return WatchState(recording.id or 0, user_id, duration)
        return _state(row, duration)

    async def progress_of(
        self, user_id: int, recordings: Sequence[Recording]
    ) -> dict[int, WatchState]:
        """The user's progress in each of ``recordings`` that they have started."""
        ids = [r.id for r in recordings if r.id is not None]
        if not ids:
            return {}
        durations = {r.id: r.duration_seconds or 0.0 for r in recordings}
        rows = await self.session.exec(
            select(WatchProgress).where(
                WatchProgress.user_id == user_id, col(WatchProgress.recording_id).in_(ids)
            )
        )
        return {r.recording_id: _state(r, durations[r.recording_id]) for r in rows.all()}

    async def heartbeat(
        self, recording: Recording, user: User, ranges: object, position: object
    ) -> WatchState:
        """Merge what the player says it played into the user's intervals (see the module's
        rules); returns the progress after it."""
        beat = parse_heartbeat(ranges, position)
        duration = recording.duration_seconds or 0.0
        row = await self._locked_row(recording.id or 0, user.id or 0)
        now = self.clock.now()
        covered = _intervals(row.intervals_json)
        played = [(s, e) for s, e in ((s, min(e, duration)) for s, e in beat.ranges) if e > s]
        accepted, clipped = within_budget(covered, played, budget_since(row.last_heartbeat_at, now))
        intervals = add(covered, accepted)
        row.intervals_json = json.dumps([[s, e] for s, e in intervals])
        row.watched_seconds = round(total(intervals), 3)
        row.duration_seconds = duration
        row.position_seconds = min(beat.position, duration)
        row.last_heartbeat_at = now
        row.updated_at = now
        state = _state(row, duration, clipped)
        if row.completed_at is None and state.percent >= COMPLETION_PERCENT:
            row.completed_at = now
            state = _state(row, duration, clipped)
            log.info("watch.completed", recording_id=recording.id, user_id=user.id)
        self.session.add(row)
        await self.session.flush()
        if clipped > 0:
            log.warning("watch.clipped", recording_id=recording.id, user_id=user.id,
                        clipped_seconds=round(clipped, 3))
        return state

    async def _row(self, recording_id: int, user_id: int) -> WatchProgress | None:
        stmt = select(WatchProgress).where(
            WatchProgress.recording_id == recording_id, WatchProgress.user_id == user_id
        )
        return (await self.session.exec(stmt.execution_options(populate_existing=True))).first()

    async def _locked_row(self, recording_id: int, user_id: int) -> WatchProgress:
        """The user's row, made if need be, with its write lock taken first: two heartbeats
        at once (a timer's and a pagehide's) are applied one after the other on PostgreSQL
        (row lock) and SQLite (database write lock) alike."""
        for _ in range(2):
            touched = await self.session.exec(
                update(WatchProgress)
                .where(col(WatchProgress.recording_id) == recording_id,
                       col(WatchProgress.user_id) == user_id)
                .values(updated_at=WatchProgress.updated_at)
            )
            if touched.rowcount:
                row = await self._row(recording_id, user_id)
                assert row is not None
                return row
            now = self.clock.now()
            try:
                async with self.session.begin_nested():
                    self.session.add(WatchProgress(recording_id=recording_id, user_id=user_id,
                                                   created_at=now, updated_at=now))
            except IntegrityError:
                continue  # another heartbeat made it first: lock that one
        row = await self._row(recording_id, user_id)
        assert row is not None
        return row
