"""Watched intervals: the merging rules as properties, and heartbeats on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import itertools
import math
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.wiring import Services
from courses.errors import InvalidInput
from courses.models import Recording, Role, User
from courses.watching import (
    FIRST_HEARTBEAT_SECONDS,
    MAX_HEARTBEAT_SECONDS,
    Interval,
    WatchState,
    add,
    clip,
    merge,
    parse_heartbeat,
    total,
    uncovered,
    within_budget,
)
from tests.conftest import MovableClock
from tests.factories.catalog import make_course
from tests.factories.people import make_user
from tests.factories.replay import make_recording

# Quarter seconds keep float arithmetic exact, so "equal" can mean equal.
times = st.integers(min_value=0, max_value=4000).map(lambda n: n / 4)
intervals_st = st.tuples(times, times).map(lambda p: (min(p), max(p)))
interval_lists = st.lists(intervals_st, max_size=30)


def covers(intervals: list[Interval], point: float) -> bool:
    return any(s <= point <= e for s, e in intervals if e > s)


# -- the interval math -------------------------------------------------------------------
@given(interval_lists)
def test_merged_intervals_are_sorted_disjoint_and_non_empty(intervals: list[Interval]) -> None:
    merged = merge(intervals)
    for start, end in merged:
        assert start < end
    for (_, end), (start, _) in itertools.pairwise(merged):
        assert end < start  # touching intervals were joined, so a real gap remains


@given(interval_lists, st.lists(times, max_size=20))
def test_merging_covers_exactly_the_same_points(
    intervals: list[Interval], points: list[float]
) -> None:
    merged = merge(intervals)
    for point in points + [p for i in intervals for p in i]:
        assert covers(merged, point) == covers(intervals, point)


@given(interval_lists)
def test_merging_is_idempotent(intervals: list[Interval]) -> None:
    assert merge(merge(intervals)) == merge(intervals)


@given(st.data(), interval_lists)
def test_merging_does_not_depend_on_order(data: st.DataObject, intervals: list[Interval]) -> None:
    shuffled = data.draw(st.permutations(intervals))
    assert merge(shuffled) == merge(intervals)
    assert total(shuffled) == total(intervals)


@given(interval_lists, times)
def test_clipped_intervals_stay_within_the_duration(
    intervals: list[Interval], duration: float
) -> None:
    clipped = clip(intervals, duration)
    assert all(0 <= s < e <= duration for s, e in clipped)
    assert total(clipped) <= duration
    assert total(clipped) <= total(intervals)


@given(interval_lists)
def test_the_total_counts_overlaps_once(intervals: list[Interval]) -> None:
    assert total(intervals) <= sum(e - s for s, e in intervals)
    if intervals:
        assert total(intervals) <= max(e for _, e in intervals) - min(s for s, _ in intervals)


@given(interval_lists, st.data())
def test_seeking_back_over_watched_parts_adds_nothing(
    intervals: list[Interval], data: st.DataObject
) -> None:
    merged = merge(intervals)
    if not merged:
        return
    start, end = data.draw(st.sampled_from(merged))
    a = data.draw(st.integers(int(start * 4), int(end * 4))) / 4
    b = data.draw(st.integers(int(a * 4), int(end * 4))) / 4
    assert add(merged, [(a, b)]) == merged
    assert total(add(merged, [(a, b)])) == total(merged)


@given(st.lists(st.integers(min_value=1, max_value=200), min_size=1, max_size=40), times)
def test_a_sequential_play_totals_the_time_played(steps: list[int], start: float) -> None:
    """Played without seeking, reported as back-to-back ranges: it all counts, once."""
    cuts = [start]
    for step in steps:
        cuts.append(cuts[-1] + step / 4)
    ranges = list(itertools.pairwise(cuts))
    assert total(ranges) == cuts[-1] - start
    assert merge(ranges) == [(start, cuts[-1])]
    accepted, clipped = within_budget([], ranges, budget=cuts[-1] - start)
    assert accepted == ranges and clipped == 0


@given(interval_lists, interval_lists, times)
def test_a_budget_caps_what_ranges_add(
    covered: list[Interval], ranges: list[Interval], budget: float
) -> None:
    accepted, clipped = within_budget(covered, ranges, budget)
    gain = total(add(covered, accepted)) - total(covered)
    assert gain <= budget + 1e-9
    claimed = total(add(covered, ranges)) - total(covered)
    assert math.isclose(gain + clipped, claimed, abs_tol=1e-6)
    for a_start, a_end in accepted:  # each a prefix of something played
        assert any(a_start == s and a_end <= e for s, e in ranges)


@given(interval_lists, intervals_st)
def test_uncovered_is_what_adding_would_add(covered: list[Interval], candidate: Interval) -> None:
    merged = merge(covered)
    gaps = uncovered(candidate, merged)
    added = total(add(merged, [candidate])) - total(merged)
    assert math.isclose(sum(e - s for s, e in gaps), added)
    assert all(not covers(merged, (s + e) / 2) for s, e in gaps)


# -- what a player may send ----------------------------------------------------------------
@pytest.mark.parametrize(("ranges", "position", "field", "words"), [
    ([[-1, 5]], 0, "ranges", "ranges[0] start is negative"),
    ([[0, 5], [3, float("nan")]], 0, "ranges", "ranges[1] end is NaN"),
    ([[0, float("inf")]], 0, "ranges", "infinite"),
    ([[10, 5]], 0, "ranges", "ranges[0] ends (5.0) before it starts (10.0)"),
    ([[0, "5"]], 0, "ranges", "must be a number"),
    ([[0, True]], 0, "ranges", "must be a number"),
    ([[0, 1, 2]], 0, "ranges", "must be a [start, end] pair"),
    ({"start": 0}, 0, "ranges", "list of [start, end] pairs"),
    ([[0, 5]], -3, "position", "position is negative"),
    ([[0, 5]], None, "position", "must be a number"),
    ([[0, 1]] * 201, 0, "ranges", "at most 200 ranges"),
])
def test_impossible_heartbeats_are_refused_by_name(
    ranges: object, position: object, field: str, words: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_heartbeat(ranges, position)
    assert list(caught.value.errors) == [field]
    assert words in caught.value.errors[field]


def test_resume_starts_over_near_the_end() -> None:
    assert WatchState(1, 1, 600.0, position_seconds=120.5).resume_at == 120.5
    assert WatchState(1, 1, 600.0, position_seconds=598.0).resume_at == 0.0
    assert WatchState(1, 1, 600.0, [(0.0, 300.0)]).percent == 50.0


# -- heartbeats, stored --------------------------------------------------------------------
@pytest.fixture
async def learner(services: Services) -> User:
    return await make_user(services, Role.LEARNER)


@pytest.fixture
async def recording(services: Services, admin: User) -> Recording:
    course = await make_course(services, admin)
    return await make_recording(services, course=course, duration=600.0)


async def beat(services: Services, recording: Recording, user: User, ranges: list[list[float]],
               position: float | None = None) -> WatchState:
    end = position if position is not None else (ranges[-1][1] if ranges else 0.0)
    async with services.unit() as unit:
        return await unit.watching.heartbeat(recording, user, ranges, end)


async def test_a_real_time_play_counts_fully_and_completes(
    services: Services, clock: MovableClock, admin: User, learner: User
) -> None:
    course = await make_course(services, admin)
    short = await make_recording(services, course=course, duration=60.0)
    state = None
    for start in range(0, 60, 10):
        state = await beat(services, short, learner, [[start, start + 10]])
        assert state.clipped_seconds == 0
        if start < 50:
            assert state.completed_at is None
        clock.at += timedelta(seconds=10)
    assert state is not None
    assert state.intervals == [(0.0, 60.0)] and state.watched_seconds == 60.0
    assert state.percent == 100.0
    assert state.completed_at is not None
    async with services.unit() as unit:
        stored = await unit.watching.progress(short, learner.id or 0)
    assert stored.watched_seconds == 60.0 and stored.completed_at == state.completed_at


async def test_completion_comes_at_95_percent(
    services: Services, clock: MovableClock, admin: User, learner: User
) -> None:
    course = await make_course(services, admin)
    short = await make_recording(services, course=course, duration=100.0)
    for start in range(0, 90, 10):
        await beat(services, short, learner, [[start, start + 10]])
        clock.at += timedelta(seconds=10)
    state = await beat(services, short, learner, [[90, 94]])
    assert state.percent == 94.0 and state.completed_at is None
    clock.at += timedelta(seconds=5)
    state = await beat(services, short, learner, [[94, 95]])
    assert state.percent == 95.0 and state.completed_at == clock.at


async def test_seeking_back_counts_once(
    services: Services, clock: MovableClock, recording: Recording, learner: User
) -> None:
    await beat(services, recording, learner, [[0, 20]])
    clock.at += timedelta(seconds=20)
    again = await beat(services, recording, learner, [[5, 15]])
    assert again.watched_seconds == 20.0 and again.intervals == [(0.0, 20.0)]
    clock.at += timedelta(seconds=20)
    overlap = await beat(services, recording, learner, [[10, 30]])
    assert overlap.watched_seconds == 30.0


async def test_skipping_ahead_earns_nothing(
    services: Services, clock: MovableClock, recording: Recording, learner: User
) -> None:
    await beat(services, recording, learner, [[0, 10]])
    clock.at += timedelta(seconds=12)
    # The learner jumped from 10 s to 300 s and watched 10 s there.
    state = await beat(services, recording, learner, [[300, 310]])
    assert state.intervals == [(0.0, 10.0), (300.0, 310.0)]
    assert state.watched_seconds == 20.0
    assert state.percent == round(100 * 20 / 600, 1)
    assert state.position_seconds == 310.0


async def test_ranges_past_the_end_are_clipped(
    services: Services, recording: Recording, learner: User
) -> None:
    state = await beat(services, recording, learner, [[590, 700]], position=1000)
    assert state.intervals == [(590.0, 600.0)]
    assert state.watched_seconds == 10.0 and state.clipped_seconds == 0
    assert state.position_seconds == 600.0
    only_beyond = await beat(services, recording, learner, [[650, 660]])
    assert only_beyond.watched_seconds == 10.0


async def test_growth_faster_than_real_time_is_clipped(
    services: Services, clock: MovableClock, recording: Recording, learner: User
) -> None:
    first = await beat(services, recording, learner, [[0, 100]])
    assert first.intervals == [(0.0, FIRST_HEARTBEAT_SECONDS)]
    assert first.clipped_seconds == 100 - FIRST_HEARTBEAT_SECONDS
    clock.at += timedelta(seconds=10)
    # 50 s of new media in 10 s of wall time: 10 x 1.1 + 2 = 13 s count.
    fast = await beat(services, recording, learner, [[30, 80]])
    assert fast.intervals == [(0.0, 43.0)]
    assert fast.clipped_seconds == 37.0
    clock.at += timedelta(hours=2)
    # However long since the last heartbeat, one heartbeat adds at most MAX_HEARTBEAT_SECONDS.
    late = await beat(services, recording, learner, [[43, 600]])
    assert late.watched_seconds == 43.0 + MAX_HEARTBEAT_SECONDS


async def test_clipping_keeps_the_earliest_ranges_and_skips_watched_parts(
    services: Services, clock: MovableClock, recording: Recording, learner: User
) -> None:
    await beat(services, recording, learner, [[0, 20]])
    clock.at += timedelta(seconds=10)
    # Replaying 0-20 costs nothing; of 100-200 only the 13 s budget counts.
    state = await beat(services, recording, learner, [[0, 20], [100, 200]])
    assert state.intervals == [(0.0, 20.0), (100.0, 113.0)]


async def test_a_refused_heartbeat_changes_nothing(
    services: Services, clock: MovableClock, recording: Recording, learner: User
) -> None:
    await beat(services, recording, learner, [[0, 10]])
    with pytest.raises(InvalidInput):
        await beat(services, recording, learner, [[10, 20], [-5, 3]])
    async with services.unit() as unit:
        state = await unit.watching.progress(recording, learner.id or 0)
    assert state.intervals == [(0.0, 10.0)] and state.position_seconds == 10.0


async def test_progress_is_per_learner_and_per_recording(
    services: Services, admin: User, recording: Recording, learner: User
) -> None:
    other = await make_user(services, Role.LEARNER)
    second = await make_recording(services, course=None, duration=100.0)
    await beat(services, recording, learner, [[0, 10]])
    await beat(services, second, learner, [[0, 5]])
    await beat(services, recording, other, [[50, 60]])
    async with services.unit() as unit:
        mine = await unit.watching.progress_of(learner.id or 0, [recording, second])
        theirs = await unit.watching.progress_of(other.id or 0, [recording, second])
        nothing = await unit.watching.progress(second, other.id or 0)
    assert mine[recording.id or 0].intervals == [(0.0, 10.0)]
    assert mine[second.id or 0].percent == 5.0
    assert list(theirs) == [recording.id]
    assert nothing.watched_seconds == 0 and nothing.position_seconds == 0


async def test_simultaneous_first_heartbeats_make_one_row(
    services: Services, recording: Recording, learner: User
) -> None:
    results = await asyncio.gather(
        beat(services, recording, learner, [[0, 10]]),
        beat(services, recording, learner, [[0, 10]]),
    )
    assert all(r.watched_seconds == 10.0 for r in results)
    async with services.unit() as unit:
        state = await unit.watching.progress(recording, learner.id or 0)
    assert state.intervals == [(0.0, 10.0)]
