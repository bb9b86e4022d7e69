"""Client messages for polls, Q&A and reactions (signaling protocol v1), validated like
``app.signaling.protocol``'s: unknown fields refused, values of the right JSON type (strict: no
"3" for 3, no true for 1).

Lengths and counts (a poll's question and options, a question's text, the choices) are checked
by ``courses.polls`` and ``courses.audience_questions``, so the sender gets a reason ("at most
10 options; this one has 12") rather than a schema error; the frame itself is bounded by
``protocol.MAX_MESSAGE_BYTES``."""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

Emoji = Literal["👍", "👏", "🎉", "😂", "😮", "💡"]
REACTIONS: tuple[str, ...] = get_args(Emoji)
"""The reactions a room passes on (templates/live/_interaction.html offers the same)."""

MAX_CHOICES = 64
"""More choices than any poll has options: refused here, before a list gets looked at."""


class InteractionCommand(BaseModel):
    """The base of every message here: ``case InteractionCommand()`` picks them all out."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


RecordId = Annotated[int, Field(ge=1, le=2**63 - 1)]
"""A row's id: a positive 64-bit integer."""


class PollOpen(InteractionCommand):
    """Hosts only: put a poll to the room; ``show_results`` shows everyone the live results."""

    type: Literal["poll_open"]
    question: str
    kind: Literal["single", "multiple"]
    options: list[str]
    show_results: bool = False


class PollVote(InteractionCommand):
    """Vote in an open poll (0-based option indexes); voting again replaces one's vote."""

    type: Literal["poll_vote"]
    poll_id: RecordId
    choices: list[int] = Field(max_length=MAX_CHOICES)


class PollClose(InteractionCommand):
    """Hosts only: stop taking votes."""

    type: Literal["poll_close"]
    poll_id: RecordId


class PollShow(InteractionCommand):
    """Hosts only: show the results to everyone (``shown``) or to the hosts only."""

    type: Literal["poll_show"]
    poll_id: RecordId
    shown: bool


class QuestionAsk(InteractionCommand):
    """Ask the room's Q&A a question."""

    type: Literal["question_ask"]
    text: str


class QuestionUpvote(InteractionCommand):
    """Upvote someone else's question (``on``), or take one's upvote back."""

    type: Literal["question_upvote"]
    question_id: RecordId
    on: bool = True


class QuestionAnswer(InteractionCommand):
    """Hosts only: mark a question answered, or open again."""

    type: Literal["question_answer"]
    question_id: RecordId
    answered: bool = True


class QuestionDismiss(InteractionCommand):
    """Hosts only: take a question out of the room's list (the record keeps it)."""

    type: Literal["question_dismiss"]
    question_id: RecordId


class Reaction(InteractionCommand):
    """A passing reaction everyone sees float by; not kept."""

    type: Literal["reaction"]
    emoji: Emoji


class InteractionSync(InteractionCommand):
    """Send me the room's polls and questions again (``interaction``): after one's host status
    changed, results one may now see (or no longer see) come with them."""

    type: Literal["interaction_sync"]


InteractionMessage = (
    PollOpen
    | PollVote
    | PollClose
    | PollShow
    | QuestionAsk
    | QuestionUpvote
    | QuestionAnswer
    | QuestionDismiss
    | Reaction
    | InteractionSync
)
INTERACTION_TYPES = (
    "poll_open", "poll_vote", "poll_close", "poll_show", "question_ask", "question_upvote",
    "question_answer", "question_dismiss", "reaction", "interaction_sync",
)
