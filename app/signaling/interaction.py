"""Polls, Q&A and reactions in a live room, over its signaling socket.

Polls: a host opens one (``poll_open``), closes it, and shows or hides its results to everyone
(``poll_show``); everyone votes, and may vote again while it is open (the new vote replaces the
old). Hosts see the results as votes come in (``poll_results``, at most every
``interaction_store.RESULTS_INTERVAL`` seconds); the others see them only while the host shows
them, closed or not. Each voter's own devices are told what they chose (``poll_voted``).

Q&A: anyone asks (``question_ask``) and upvotes others' questions; a host marks one answered
(or open again) or dismisses it. Each change reaches everyone as the question's new state
(``question``), with whether *they* upvoted it and whether it is theirs; a dismissed one is
``question_removed``.

Reactions: one of ``interaction_protocol.REACTIONS``, passed on to everyone and never kept.

Everything is kept (``InteractionStore``) before anyone is told, and every command is limited per
participant (token buckets on top of the socket's own limit); host commands are checked against
``Presence.is_host`` when they arrive (a co-host may be made or unmade in the room), refused with
``forbidden`` and logged as ``signaling.host_command_refused``. Someone entering the room gets
the polls and questions (``interaction``) right after ``welcome``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import structlog

from app.signaling.interaction_protocol import (
    InteractionCommand,
    InteractionSync,
    PollClose,
    PollOpen,
    PollShow,
    PollVote,
    QuestionAnswer,
    QuestionAsk,
    QuestionDismiss,
    QuestionUpvote,
    Reaction,
)
from app.signaling.interaction_store import InteractionStore, Records
from app.signaling.limits import TokenBucket
from courses.audience_questions import QuestionState, clean_question
from courses.errors import DomainError, InvalidInput
from courses.models.interaction import options_of
from courses.polls import PollResults, PollState, clean_poll
from courses.room_records import RoomPerson

if TYPE_CHECKING:
    from app.signaling.rooms import LiveRoom, Presence

log = structlog.get_logger(__name__)

POLL_BURST, POLL_RATE = 5, 1.0
"""Poll commands and votes: five at once, then one a second."""
ASK_BURST, ASK_RATE = 3, 0.2
"""Questions asked: three at once, then one every five seconds."""
QUESTION_BURST, QUESTION_RATE = 10, 2.0
"""Upvotes, answered marks and dismissals."""
REACTION_BURST, REACTION_RATE = 3, 0.5
"""Reactions go to everyone and mean little one by one: three at once, then one every 2 s."""
TOO_FAST = "You are doing that too fast; wait a moment."
UNAVAILABLE = "Polls and Q&A are not available on this server."


# -- what people are sent ------------------------------------------------------------------
def results_view(results: PollResults) -> dict[str, Any]:
    return {"counts": list(results.counts), "voters": results.voters}


def sees_results(presence: Presence, state: PollState) -> bool:
    return presence.is_host or state.poll.results_shown


def poll_view(state: PollState, *, results: bool) -> dict[str, Any]:
    """A poll as one participant sees it: with the results if they may see them."""
    poll = state.poll
    view: dict[str, Any] = {
        "id": state.poll_id,
        "question": poll.question,
        "kind": poll.kind,
        "options": options_of(poll),
        "results_shown": poll.results_shown,
        "closed": poll.closed_at is not None,
        "opened_at": poll.opened_at.isoformat(),
        "closed_at": poll.closed_at.isoformat() if poll.closed_at else None,
        "by": poll.created_by_name,
    }
    if results:
        view["results"] = results_view(state.results)
    return view


def question_view(state: QuestionState, viewer: str) -> dict[str, Any]:
    """A question as the person with key ``viewer`` sees it."""
    question = state.question
    return {
        "id": state.question_id,
        "text": question.text,
        "asker": question.asker_name,
        "mine": question.asker_key == viewer,
        "asked_at": question.asked_at.isoformat(),
        "upvotes": state.upvotes,
        "upvoted": viewer in state.upvoters,
        "answered": state.answered,
        "answered_at": question.answered_at.isoformat() if question.answered_at else None,
    }


def send_poll(room: LiveRoom, state: PollState) -> None:
    """A poll opened or changed: everyone gets its state (without their own choice, which
    they know), with the results where they may see them."""
    for presence in list(room.present.values()):
        view = poll_view(state, results=sees_results(presence, state))
        presence.outbox.send({"type": "poll", "poll": view})


def send_results(room: LiveRoom, state: PollState) -> None:
    message = {"type": "poll_results", "poll_id": state.poll_id, **results_view(state.results)}
    for presence in list(room.present.values()):
        if sees_results(presence, state):
            presence.outbox.send(message)


def send_question(room: LiveRoom, state: QuestionState) -> None:
    for presence in list(room.present.values()):
        presence.outbox.send(
            {"type": "question", "question": question_view(state, presence.person_key)}
        )


async def snapshot(records: Records, room_id: str, presence: Presence) -> dict[str, Any]:
    """The room's polls (with one's own choices, and results where one may see them) and its
    questions, as someone entering the room gets them."""
    polls = await records.polls.room_polls(room_id)
    mine = await records.polls.choices_of(room_id, presence.person_key)
    questions = await records.questions.room_questions(room_id)
    return {
        "polls": [
            {**poll_view(s, results=sees_results(presence, s)), "mine": mine.get(s.poll_id)}
            for s in polls
        ],
        "questions": [question_view(s, presence.person_key) for s in questions],
    }


async def flush_results(store: InteractionStore, room: LiveRoom, poll_id: int) -> None:
    """Send a poll's current results to those who may see them."""
    async with store.lock(room.room_id):
        async with store.records() as records:
            state = await records.polls.state(room.room_id, poll_id)
        send_results(room, state)


# -- one participant ---------------------------------------------------------------------------
Work = Callable[[InteractionStore], Awaitable[None]]


class ParticipantInteraction:
    """One participant's polls, questions and reactions in one room: limits, permissions."""

    def __init__(
        self,
        room: LiveRoom,
        me: Presence,
        store: InteractionStore | None,
        now: Callable[[], datetime],
    ) -> None:
        self.room = room
        self.me = me
        self.store = store
        self.now = now
        self.poll_bucket = TokenBucket(POLL_RATE, POLL_BURST)
        self.ask_bucket = TokenBucket(ASK_RATE, ASK_BURST)
        self.question_bucket = TokenBucket(QUESTION_RATE, QUESTION_BURST)
        self.reaction_bucket = TokenBucket(REACTION_RATE, REACTION_BURST)
        self.log = log.bind(
            room_id=room.room_id, participant_id=me.participant_id, user_id=me.user_id
        )

    @property
    def person(self) -> RoomPerson:
        me = self.me
        if me.guest_id is not None:
            return RoomPerson(me.person_key, me.display_name, guest_id=me.guest_id)
        return RoomPerson(me.person_key, me.display_name, user_id=me.user_id)

    def _error(self, code: str, message: str) -> None:
        self.me.outbox.send({"type": "error", "code": code, "message": message})

    def _host_only(self, command: str, what: str, **target: int) -> bool:
        """Whether we are a host now; if not, refuse (and log) ``command``."""
        if self.me.is_host:
            return True
        self.log.warning("signaling.host_command_refused", command=command, **target)
        self._error("forbidden", f"Only a host may {what}.")
        return False

    def _invalid(self, area: str, exc: InvalidInput) -> None:
        """What to fix (the first problem), as ``<area>_invalid``."""
        self._error(f"{area}_invalid", next(iter(exc.errors.values())))

    def _allowed(self, bucket: TokenBucket, area: str) -> bool:
        if bucket.take():
            return True
        self.log.info("room.interaction_rate_limited", area=area)
        self._error(f"{area}_rate_limited", TOO_FAST)
        return False

    async def _change(self, area: str, work: Work) -> None:
        """Run ``work`` under the room's lock; a refusal goes back to us with its reason."""
        store = self.store
        if store is None:
            self._error(f"{area}_unavailable", UNAVAILABLE)
            return
        try:
            async with store.lock(self.room.room_id):
                await work(store)
        except InvalidInput as exc:
            self._invalid(area, exc)
        except DomainError as exc:
            self.log.info("room.interaction_refused", area=area, code=exc.code)
            self._error(exc.code, exc.message)
        except Exception:
            self.log.exception("room.interaction_not_kept", area=area)
            self._error(f"{area}_failed", "That could not be saved; try again.")

    # -- entering ------------------------------------------------------------------------------
    async def start(self) -> None:
        """Send the room's polls and questions (``interaction``): on entering, after
        ``welcome``, and when the client asks (``interaction_sync``, after its host status
        changed), so the results it may see are up to date."""
        room_id = self.room.room_id

        async def work(store: InteractionStore) -> None:
            async with store.records() as records:
                state = await snapshot(records, room_id, self.me)
            self.me.outbox.send({"type": "interaction", **state})

        if self.store is None:
            self.me.outbox.send({"type": "interaction", "polls": [], "questions": []})
            return
        await self._change("interaction", work)

    # -- commands ------------------------------------------------------------------------------
    async def handle(self, message: InteractionCommand) -> None:
        match message:
            case PollOpen():
                await self._open_poll(message)
            case PollVote(poll_id=poll_id, choices=choices):
                await self._vote(poll_id, choices)
            case PollClose(poll_id=poll_id):
                await self._close_poll(poll_id)
            case PollShow(poll_id=poll_id, shown=shown):
                await self._show_results(poll_id, shown)
            case QuestionAsk(text=text):
                await self._ask(text)
            case QuestionUpvote(question_id=question_id, on=on):
                await self._upvote(question_id, on)
            case QuestionAnswer(question_id=question_id, answered=answered):
                await self._answer(question_id, answered)
            case QuestionDismiss(question_id=question_id):
                await self._dismiss(question_id)
            case Reaction(emoji=emoji):
                self._react(emoji)
            case InteractionSync():
                if self._allowed(self.poll_bucket, "poll"):
                    await self.start()

    async def _open_poll(self, message: PollOpen) -> None:
        if not self._host_only("poll_open", "open a poll"):
            return
        try:  # a mistake costs no token (checked again when kept)
            clean_poll(message.question, message.kind, message.options)
        except InvalidInput as exc:
            self._invalid("poll", exc)
            return
        if not self._allowed(self.poll_bucket, "poll"):
            return

        async def work(store: InteractionStore) -> None:
            async with store.records() as records:
                state = await records.polls.open(
                    self.room.room_id, self.person, question=message.question,
                    kind=message.kind, options=message.options,
                    show_results=message.show_results,
                )
            send_poll(self.room, state)
            self.log.info("room.poll_opened", poll_id=state.poll_id, kind=state.poll.kind,
                          options=len(state.results.counts), shown=state.poll.results_shown)

        await self._change("poll", work)

    async def _vote(self, poll_id: int, choices: list[int]) -> None:
        if not self._allowed(self.poll_bucket, "poll"):
            return
        room, key = self.room, self.me.person_key

        async def work(store: InteractionStore) -> None:
            async with store.records() as records:
                kept = await records.polls.vote(room.room_id, poll_id, self.person, choices)
            message = {"type": "poll_voted", "poll_id": poll_id, "choices": kept}
            for presence in list(room.present.values()):
                if presence.person_key == key:
                    presence.outbox.send(message)
            store.soon((room.room_id, poll_id), lambda: flush_results(store, room, poll_id))
            self.log.info("room.poll_voted", poll_id=poll_id, choices=len(kept))

        await self._change("poll", work)

    async def _close_poll(self, poll_id: int) -> None:
        if not self._host_only("poll_close", "close a poll", poll_id=poll_id):
            return
        if not self._allowed(self.poll_bucket, "poll"):
            return

        async def work(store: InteractionStore) -> None:
            async with store.records() as records:
                state = await records.polls.close(self.room.room_id, poll_id)
            send_poll(self.room, state)
            self.log.info("room.poll_closed", poll_id=poll_id, voters=state.results.voters)

        await self._change("poll", work)

    async def _show_results(self, poll_id: int, shown: bool) -> None:
        if not self._host_only("poll_show", "show or hide a poll's results", poll_id=poll_id):
            return
        if not self._allowed(self.poll_bucket, "poll"):
            return

        async def work(store: InteractionStore) -> None:
            async with store.records() as records:
                state = await records.polls.show(self.room.room_id, poll_id, shown)
            send_poll(self.room, state)
            self.log.info("room.poll_results_shown", poll_id=poll_id, shown=shown)

        await self._change("poll", work)

    async def _ask(self, text: str) -> None:
        try:  # a mistake costs no token (checked again when kept)
            clean_question(text)
        except InvalidInput as exc:
            self._invalid("question", exc)
            return
        if not self._allowed(self.ask_bucket, "question"):
            return

        async def work(store: InteractionStore) -> None:
            async with store.records() as records:
                state = await records.questions.ask(self.room.room_id, self.person, text)
            send_question(self.room, state)
            self.log.info("room.question_asked", question_id=state.question_id,
                          chars=len(state.question.text))

        await self._change("question", work)

    async def _upvote(self, question_id: int, on: bool) -> None:
        if not self._allowed(self.question_bucket, "question"):
            return

        async def work(store: InteractionStore) -> None:
            async with store.records() as records:
                state = await records.questions.upvote(
                    self.room.room_id, question_id, self.person, on
                )
            send_question(self.room, state)
            self.log.info("room.question_upvoted", question_id=question_id, on=on,
                          upvotes=state.upvotes)

        await self._change("question", work)

    async def _answer(self, question_id: int, answered: bool) -> None:
        what = "mark a question answered"
        if not self._host_only("question_answer", what, question_id=question_id):
            return
        if not self._allowed(self.question_bucket, "question"):
            return

        async def work(store: InteractionStore) -> None:
            async with store.records() as records:
                state = await records.questions.mark_answered(
                    self.room.room_id, question_id, answered
                )
            send_question(self.room, state)
            self.log.info("room.question_answered", question_id=question_id, answered=answered)

        await self._change("question", work)

    async def _dismiss(self, question_id: int) -> None:
        what = "dismiss a question"
        if not self._host_only("question_dismiss", what, question_id=question_id):
            return
        if not self._allowed(self.question_bucket, "question"):
            return

        async def work(store: InteractionStore) -> None:
            async with store.records() as records:
                await records.questions.dismiss(self.room.room_id, question_id)
            self.room.broadcast({"type": "question_removed", "question_id": question_id})
            self.log.info("room.question_dismissed", question_id=question_id)

        await self._change("question", work)

    def _react(self, emoji: str) -> None:
        if not self._allowed(self.reaction_bucket, "reaction"):
            return
        self.room.broadcast({
            "type": "reaction",
            "participant_id": self.me.participant_id,
            "name": self.me.display_name,
            "emoji": emoji,
            "at": self.now().isoformat(),
        })
        self.log.debug("room.reaction", emoji=emoji)
