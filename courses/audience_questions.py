"""Q&A in a live room: people ask questions (1..``MAX_TEXT`` characters), others upvote the ones
they want answered (one upvote per person, never on one's own question), and the hosts mark
them answered (or not) or dismiss them (off topic, repeated: hidden from the room, kept in the
record).

The room lists its questions open ones first, most upvoted first, then oldest first; answered
ones after them in the same order (``room_order``). As with polls, the room validates and
rate-limits, and the rules are checked again here. Afterwards the session's faculty (or the
meeting's organizer) and the administrators download them all as CSV (``questions_csv``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from courses.clock import Clock
from courses.errors import Conflict, InvalidInput, NotFound
from courses.exports import csv_text
from courses.models import AudienceQuestion, QuestionUpvote
from courses.room_records import (
    RoomPerson,
    RoomRecord,
    person_links,
    room_links,
    text_problem,
)
from courses.wallclock import local_seconds_text

MAX_TEXT = 500
MAX_ROOM_QUESTIONS = 500
"""Questions a room takes (dismissed ones not counted): what a room shows stays bounded."""
CSV_HEADER = ("asked_at", "asker", "question", "upvotes", "status", "answered_at")


class QuestionNotFound(NotFound):
    code = "question_not_found"


class UpvoteRefused(Conflict):
    code = "upvote_refused"


class TooManyQuestions(Conflict):
    code = "question_limit"


def clean_question(text: object) -> str:
    """The question as the room will show it, or InvalidInput ("text") saying what is wrong."""
    problem = text_problem(
        text, MAX_TEXT, empty="Type your question before asking it.", called="A question"
    )
    if problem is not None:
        raise InvalidInput({"text": problem})
    assert isinstance(text, str)
    return text.strip()


@dataclass(frozen=True)
class QuestionState:
    """A question and the people (keys) who upvoted it."""

    question: AudienceQuestion
    upvoters: frozenset[str]

    @property
    def question_id(self) -> int:
        assert self.question.id is not None
        return self.question.id

    @property
    def upvotes(self) -> int:
        return len(self.upvoters)

    @property
    def answered(self) -> bool:
        return self.question.answered_at is not None


def room_order(states: Iterable[QuestionState]) -> list[QuestionState]:
    """Open questions first, then answered ones; in each, most upvoted first, then oldest."""
    return sorted(
        states,
        key=lambda s: (s.answered, -s.upvotes, s.question.asked_at, s.question.id or 0),
    )


@dataclass(frozen=True)
class QuestionExport:
    """A session's or meeting's questions, in the order asked, dismissed ones included."""

    record: RoomRecord
    questions: Sequence[QuestionState]


class AudienceQuestionService:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    # -- changing ---------------------------------------------------------------------------
    async def ask(self, room_id: str, asker: RoomPerson, text: object) -> QuestionState:
        body = clean_question(text)
        links = await room_links(self.session, room_id)
        asked = await self.session.exec(
            select(func.count())
            .select_from(AudienceQuestion)
            .where(
                AudienceQuestion.room_id == links.room_id,
                col(AudienceQuestion.dismissed_at).is_(None),
            )
        )
        if asked.one() >= MAX_ROOM_QUESTIONS:
            raise TooManyQuestions(
                f"This room has taken its {MAX_ROOM_QUESTIONS} questions; ask in the chat."
            )
        user_id, guest_id = await person_links(self.session, asker)
        question = AudienceQuestion(
            room_id=links.room_id,
            activity_id=links.activity_id,
            meeting_id=links.meeting_id,
            asker_key=asker.key,
            user_id=user_id,
            guest_id=guest_id,
            asker_name=asker.shown_name,
            text=body,
            asked_at=self.clock.now(),
        )
        self.session.add(question)
        await self.session.flush()
        return QuestionState(question, frozenset())

    async def upvote(
        self, room_id: str, question_id: int, voter: RoomPerson, on: bool
    ) -> QuestionState:
        """Add (``on``) or take back ``voter``'s upvote; doing it twice changes nothing."""
        question = await self.in_room(room_id, question_id)
        upvoters = await self._upvoters([question_id])
        mine = voter.key in upvoters[question_id]
        if on and not mine:
            if question.asker_key == voter.key:
                raise UpvoteRefused("You cannot upvote your own question.")
            if question.answered_at is not None:
                raise UpvoteRefused("This question has already been answered.")
            user_id, guest_id = await person_links(self.session, voter)
            self.session.add(
                QuestionUpvote(
                    question_id=question_id,
                    voter_key=voter.key,
                    user_id=user_id,
                    guest_id=guest_id,
                    voted_at=self.clock.now(),
                )
            )
            await self.session.flush()
            upvoters[question_id].add(voter.key)
        elif not on and mine:
            row = (
                await self.session.exec(
                    select(QuestionUpvote).where(
                        QuestionUpvote.question_id == question_id,
                        QuestionUpvote.voter_key == voter.key,
                    )
                )
            ).one()
            await self.session.delete(row)
            await self.session.flush()
            upvoters[question_id].discard(voter.key)
        return QuestionState(question, frozenset(upvoters[question_id]))

    async def mark_answered(self, room_id: str, question_id: int, answered: bool) -> QuestionState:
        """Hosts: mark the question answered, or open again."""
        question = await self.in_room(room_id, question_id)
        if (question.answered_at is not None) != answered:
            question.answered_at = self.clock.now() if answered else None
            self.session.add(question)
            await self.session.flush()
        upvoters = await self._upvoters([question_id])
        return QuestionState(question, frozenset(upvoters[question_id]))

    async def dismiss(self, room_id: str, question_id: int) -> AudienceQuestion:
        """Hosts: take the question out of the room's list (the record keeps it)."""
        question = await self.in_room(room_id, question_id)
        question.dismissed_at = self.clock.now()
        self.session.add(question)
        await self.session.flush()
        return question

    # -- reading ----------------------------------------------------------------------------
    async def in_room(self, room_id: str, question_id: int) -> AudienceQuestion:
        """A question of the room that was not dismissed."""
        question = await self.session.get(AudienceQuestion, question_id)
        if question is None or question.room_id != room_id or question.dismissed_at is not None:
            raise QuestionNotFound(
                f"There is no question {question_id} in this room; a host may have dismissed it."
            )
        return question

    async def _upvoters(self, question_ids: Sequence[int]) -> defaultdict[int, set[str]]:
        found: defaultdict[int, set[str]] = defaultdict(set)
        if not question_ids:
            return found
        rows = await self.session.exec(
            select(QuestionUpvote.question_id, QuestionUpvote.voter_key).where(
                col(QuestionUpvote.question_id).in_(list(question_ids))
            )
        )
        for question_id, voter_key in rows.all():
            found[question_id].add(voter_key)
        return found

    async def _states(self, questions: Sequence[AudienceQuestion]) -> list[QuestionState]:
        upvoters = await self._upvoters([q.id for q in questions if q.id is not None])
        return [QuestionState(q, frozenset(upvoters[q.id or 0])) for q in questions]

    async def room_questions(self, room_id: str) -> list[QuestionState]:
        """The room's questions that were not dismissed, in ``room_order``."""
        rows = await self.session.exec(
            select(AudienceQuestion).where(
                AudienceQuestion.room_id == room_id, col(AudienceQuestion.dismissed_at).is_(None)
            )
        )
        return room_order(await self._states(list(rows.all())))

    async def export(self, record: RoomRecord) -> QuestionExport:
        """Every question of the session or meeting (all its occurrences); the caller got
        ``record`` from ``courses.room_records``, which checks who may read it."""
        rows = await self.session.exec(
            select(AudienceQuestion)
            .where(record.owns(AudienceQuestion.activity_id, AudienceQuestion.meeting_id))
            .order_by(col(AudienceQuestion.asked_at), col(AudienceQuestion.id))
        )
        return QuestionExport(record, await self._states(list(rows.all())))


def status_of(question: AudienceQuestion) -> str:
    if question.dismissed_at is not None:
        return "dismissed"
    return "answered" if question.answered_at is not None else "open"


def questions_csv(export: QuestionExport) -> str:
    """One row per question, in the order asked: when (in the session's zone), who asked, the
    question, its upvotes, open / answered / dismissed, and when it was marked answered."""
    zone = export.record.timezone
    return csv_text(
        CSV_HEADER,
        (
            (
                local_seconds_text(s.question.asked_at, zone),
                s.question.asker_name,
                s.question.text,
                str(s.upvotes),
                status_of(s.question),
                local_seconds_text(s.question.answered_at, zone) if s.question.answered_at else "",
            )
            for s in export.questions
        ),
    )
