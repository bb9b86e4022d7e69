"""Polls a host puts to a live room, the votes people give, and the results.

A poll asks one question (1..``MAX_QUESTION`` characters) with ``MIN_OPTIONS``..``MAX_OPTIONS``
distinct options; ``single`` takes exactly one choice, ``multiple`` one or more. Voting again
while the poll is open replaces one's answer (one vote per person, whatever device). A closed poll
takes no votes. Whether everyone sees the results (``results_shown``) is the host's to switch;
the room shows hosts the results all along (app.signaling.interaction decides who sees what).

The room validates and rate-limits what people send and calls this service for each change;
the rules are checked again here so nothing else can store what the room would refuse. Option
indexes are 0-based. Afterwards the session's faculty (or the meeting's organizer) and the
administrators download every vote (``polls_csv``) and the results (``poll_results_csv``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from courses.clock import Clock
from courses.errors import Conflict, InvalidInput, NotFound
from courses.exports import csv_text
from courses.models import Poll, PollKind, PollVote
from courses.models.interaction import options_of
from courses.room_records import (
    RoomPerson,
    RoomRecord,
    person_links,
    room_links,
    text_problem,
)
from courses.wallclock import local_seconds_text

MAX_QUESTION = 300
MAX_OPTION = 200
MIN_OPTIONS = 2
MAX_OPTIONS = 10
MAX_OPEN_POLLS = 10
"""Open polls in one room at a time."""
ROOM_POLLS = 100
"""The most recent polls a room shows someone who (re)joins."""
KINDS = tuple(kind.value for kind in PollKind)
POLLS_CSV_HEADER = ("poll", "question", "voter", "voted_at", "choices")
RESULTS_CSV_HEADER = (
    "poll", "question", "kind", "opened_at", "closed_at", "voters", "option", "votes", "percent",
)


class PollNotFound(NotFound):
    code = "poll_not_found"


class PollClosed(Conflict):
    code = "poll_closed"


class TooManyOpenPolls(Conflict):
    code = "poll_limit"


@dataclass(frozen=True)
class PollDraft:
    question: str
    kind: str
    options: tuple[str, ...]


def _options_problem(options: object) -> str | None:
    if not isinstance(options, list | tuple) or not all(isinstance(o, str) for o in options):
        return "Give the options as a list of texts."
    texts = [o.strip() for o in options]
    if len(texts) < MIN_OPTIONS:
        return f"A poll needs at least {MIN_OPTIONS} options; this one has {len(texts)}."
    if len(texts) > MAX_OPTIONS:
        return f"A poll has at most {MAX_OPTIONS} options; this one has {len(texts)}."
    seen: dict[str, int] = {}
    for number, text in enumerate(texts, start=1):
        if not text:
            return f"Option {number} is empty; type it or remove it."
        if len(text) > MAX_OPTION:
            return (
                f"Option {number} has {len(text)} characters; "
                f"an option is limited to {MAX_OPTION}."
            )
        first = seen.setdefault(text.casefold(), number)
        if first != number:
            return f"Option {number} repeats option {first}; make each option different."
    return None


def clean_poll(question: object, kind: object, options: object) -> PollDraft:
    """The poll as it will be put to the room, or InvalidInput saying what to fix, by field
    (question, kind, options)."""
    errors: dict[str, str] = {}
    problem = text_problem(
        question, MAX_QUESTION, empty="Type the question the poll asks.", called="A poll question"
    )
    if problem is not None:
        errors["question"] = problem
    if kind not in KINDS:
        errors["kind"] = "Choose single choice or multiple choice."
    if (problem := _options_problem(options)) is not None:
        errors["options"] = problem
    if errors:
        raise InvalidInput(errors)
    assert isinstance(question, str) and isinstance(kind, str) and isinstance(options, list | tuple)
    return PollDraft(question.strip(), kind, tuple(str(o).strip() for o in options))


def clean_choices(poll: Poll, choices: object) -> list[int]:
    """The indexes chosen, sorted, or InvalidInput ("choices") saying what is wrong."""
    count = len(options_of(poll))
    if not isinstance(choices, list | tuple) or not all(
        isinstance(c, int) and not isinstance(c, bool) for c in choices
    ):
        raise InvalidInput({"choices": "Choose from the poll's options."})
    picked: list[int] = list(choices)
    if not picked:
        raise InvalidInput({"choices": "Choose an option before voting."})
    if poll.kind == PollKind.SINGLE and len(picked) != 1:
        raise InvalidInput(
            {"choices": f"This poll takes exactly one choice; you chose {len(picked)}."}
        )
    if len(set(picked)) != len(picked):
        raise InvalidInput({"choices": "Choose each option at most once."})
    for choice in picked:
        if not 0 <= choice < count:
            raise InvalidInput(
                {"choices": f"Choice {choice} is not one of this poll's {count} options "
                 f"(numbered from 0)."}
            )
    return sorted(picked)


def _indexes(raw: Any) -> list[int]:
    """A vote's choices as ints (JSON columns come back as Any)."""
    return [int(c) for c in raw] if isinstance(raw, list) else []


@dataclass(frozen=True)
class PollResults:
    """Votes per option (in the options' order) and how many people voted."""

    counts: tuple[int, ...]
    voters: int

    @classmethod
    def tally(cls, option_count: int, votes: Sequence[list[int]]) -> PollResults:
        counts = [0] * option_count
        for choices in votes:
            for choice in choices:
                if 0 <= choice < option_count:
                    counts[choice] += 1
        return cls(tuple(counts), len(votes))


@dataclass(frozen=True)
class PollState:
    poll: Poll
    results: PollResults

    @property
    def poll_id(self) -> int:
        assert self.poll.id is not None
        return self.poll.id


@dataclass(frozen=True)
class PollExport:
    """A session's or meeting's polls (oldest first) and all their votes (by poll, then time)."""

    record: RoomRecord
    polls: Sequence[Poll]
    votes: Sequence[PollVote]


class PollService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    # -- changing ---------------------------------------------------------------------------
    async def open(
        self,
        room_id: str,
        host: RoomPerson,
        *,
        question: object,
        kind: object,
        options: object,
        show_results: bool = False,
    ) -> PollState:
        """Put a new poll to the room (the caller has checked ``host`` is one)."""
        draft = clean_poll(question, kind, options)
        links = await room_links(self.session, room_id)
        open_now = await self.session.exec(
            select(func.count())
            .select_from(Poll)
            .where(Poll.room_id == links.room_id, col(Poll.closed_at).is_(None))
        )
        if open_now.one() >= MAX_OPEN_POLLS:
            raise TooManyOpenPolls(
                f"This room already has {MAX_OPEN_POLLS} open polls; close one before "
                "opening another."
            )
        user_id, _ = await person_links(self.session, host)
        poll = Poll(
            room_id=links.room_id,
            activity_id=links.activity_id,
            meeting_id=links.meeting_id,
            question=draft.question,
            kind=draft.kind,
            options=list(draft.options),
            results_shown=show_results,
            created_by=user_id,
            created_by_name=host.shown_name,
            opened_at=self.clock.now(),
        )
        self.session.add(poll)
        await self.session.flush()
        return PollState(poll, PollResults.tally(len(draft.options), []))

    async def vote(
        self, room_id: str, poll_id: int, voter: RoomPerson, choices: object
    ) -> list[int]:
        """Record ``voter``'s answer (replacing an earlier one); the choices kept."""
        poll = await self.in_room(room_id, poll_id)
        if poll.closed_at is not None:
            raise PollClosed("This poll is closed; it no longer takes votes.")
        picked = clean_choices(poll, choices)
        existing = (
            await self.session.exec(
                select(PollVote).where(PollVote.poll_id == poll_id, PollVote.voter_key == voter.key)
            )
        ).first()
        if existing is not None:
            existing.choices = picked
            existing.voter_name = voter.shown_name
            existing.voted_at = self.clock.now()
            self.session.add(existing)
        else:
            user_id, guest_id = await person_links(self.session, voter)
            self.session.add(
                PollVote(
                    poll_id=poll_id,
                    voter_key=voter.key,
                    user_id=user_id,
                    guest_id=guest_id,
                    voter_name=voter.shown_name,
                    choices=picked,
                    voted_at=self.clock.now(),
                )
            )
        await self.session.flush()
        return picked

    async def close(self, room_id: str, poll_id: int) -> PollState:
        """Stop taking votes; closing a closed poll changes nothing."""
        poll = await self.in_room(room_id, poll_id)
        if poll.closed_at is None:
            poll.closed_at = self.clock.now()
            self.session.add(poll)
            await self.session.flush()
        return PollState(poll, await self.results(poll))

    async def show(self, room_id: str, poll_id: int, shown: bool) -> PollState:
        """Show the results to everyone in the room, or to the hosts only."""
        poll = await self.in_room(room_id, poll_id)
        if poll.results_shown != shown:
            poll.results_shown = shown
            self.session.add(poll)
            await self.session.flush()
        return PollState(poll, await self.results(poll))

    # -- reading ----------------------------------------------------------------------------
    async def in_room(self, room_id: str, poll_id: int) -> Poll:
        poll = await self.session.get(Poll, poll_id)
        if poll is None or poll.room_id != room_id:
            raise PollNotFound(f"There is no poll {poll_id} in this room.")
        return poll

    async def state(self, room_id: str, poll_id: int) -> PollState:
        poll = await self.in_room(room_id, poll_id)
        return PollState(poll, await self.results(poll))

    async def results(self, poll: Poll) -> PollResults:
        rows = await self.session.exec(select(PollVote.choices).where(PollVote.poll_id == poll.id))
        return PollResults.tally(len(options_of(poll)), [_indexes(c) for c in rows.all()])

    async def room_polls(self, room_id: str) -> list[PollState]:
        """The room's latest ``ROOM_POLLS`` polls, oldest first, with their results."""
        latest = await self.session.exec(
            select(Poll)
            .where(Poll.room_id == room_id)
            .order_by(col(Poll.opened_at).desc(), col(Poll.id).desc())
            .limit(ROOM_POLLS)
        )
        polls = list(reversed(latest.all()))
        if not polls:
            return []
        rows = await self.session.exec(
            select(PollVote.poll_id, PollVote.choices).where(
                col(PollVote.poll_id).in_([p.id for p in polls])
            )
        )
        votes: dict[int, list[list[int]]] = defaultdict(list)
        for poll_id, choices in rows.all():
            votes[poll_id].append(_indexes(choices))
        return [
            PollState(p, PollResults.tally(len(options_of(p)), votes[p.id or 0])) for p in polls
        ]

    async def choices_of(self, room_id: str, voter_key: str) -> dict[int, list[int]]:
        """What ``voter_key`` chose in each poll of the room they voted in."""
        rows = await self.session.exec(
            select(PollVote.poll_id, PollVote.choices)
            .join(Poll, col(Poll.id) == col(PollVote.poll_id))
            .where(Poll.room_id == room_id, PollVote.voter_key == voter_key)
        )
        return {poll_id: _indexes(choices) for poll_id, choices in rows.all()}

    async def export(self, record: RoomRecord) -> PollExport:
        """Every poll of the session or meeting (all its occurrences) and every vote; the
        caller got ``record`` from ``courses.room_records``, which checks who may read it."""
        polls = list(
            (
                await self.session.exec(
                    select(Poll)
                    .where(record.owns(Poll.activity_id, Poll.meeting_id))
                    .order_by(col(Poll.opened_at), col(Poll.id))
                )
            ).all()
        )
        order = {p.id: n for n, p in enumerate(polls)}
        votes = list(
            (
                await self.session.exec(
                    select(PollVote).where(col(PollVote.poll_id).in_(list(order)))
                )
            ).all()
        ) if polls else []
        votes.sort(key=lambda v: (order[v.poll_id], v.voted_at, v.id or 0))
        return PollExport(record, polls, votes)


def _when(moment: datetime | None, zone: str) -> str:
    return local_seconds_text(moment, zone) if moment is not None else ""


def polls_csv(export: PollExport) -> str:
    """One row per vote: the poll's number in the session (1 first), its question, who voted,
    when (last changed, in the session's zone) and the options chosen, separated by "; "."""
    polls = {p.id: (n, p) for n, p in enumerate(export.polls, start=1)}
    zone = export.record.timezone
    rows = []
    for vote in export.votes:
        number, poll = polls[vote.poll_id]
        options = options_of(poll)
        chosen = [options[c] for c in _indexes(vote.choices) if 0 <= c < len(options)]
        rows.append(
            (str(number), poll.question, vote.voter_name, _when(vote.voted_at, zone),
             "; ".join(chosen))
        )
    return csv_text(POLLS_CSV_HEADER, rows)


def poll_results_csv(export: PollExport) -> str:
    """One row per option of each poll: votes, and the percent of the poll's voters who chose
    it (a multiple-choice poll's percents may add up to more than 100)."""
    by_poll: dict[int, list[list[int]]] = defaultdict(list)
    for vote in export.votes:
        by_poll[vote.poll_id].append(_indexes(vote.choices))
    zone = export.record.timezone
    rows = []
    for number, poll in enumerate(export.polls, start=1):
        options = options_of(poll)
        results = PollResults.tally(len(options), by_poll[poll.id or 0])
        for option, votes in zip(options, results.counts, strict=True):
            percent = f"{100 * votes / results.voters:.1f}" if results.voters else "0.0"
            rows.append(
                (str(number), poll.question, poll.kind, _when(poll.opened_at, zone),
                 _when(poll.closed_at, zone), str(results.voters), option, str(votes), percent)
            )
    return csv_text(RESULTS_CSV_HEADER, rows)
