"""What people leave behind in a live room, written straight to the tables the reports read:
polls with their votes, audience questions with their upvotes, chat messages, meeting
connections. (The services that make them in a live room are tested on their own.)"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import datetime

from sqlmodel import select

from app.wiring import Services
from courses.chat import ChatService
from courses.live_sessions import activity_id_of
from courses.meeting_attendance import MeetingAttendanceService
from courses.meetings import meeting_id_of
from courses.models import (
    AudienceQuestion,
    MeetingInvitee,
    Poll,
    PollVote,
    QuestionUpvote,
    User,
)

_seq = itertools.count(1)


def _place(room_id: str) -> dict[str, int | None]:
    return {"activity_id": activity_id_of(room_id), "meeting_id": meeting_id_of(room_id)}


async def poll(services: Services, room_id: str, opened_at: datetime,
               voters: Sequence[User] = (), guest_voters: Sequence[int] = ()) -> int:
    """A poll put to ``room_id`` at ``opened_at``, answered by ``voters`` (users) and
    ``guest_voters`` (meeting invitee ids); its id."""
    async with services.unit() as unit:
        row = Poll(room_id=room_id, question="Which dose?", kind="single",
                   options=["Low", "High"], created_by_name="Host", opened_at=opened_at,
                   **_place(room_id))
        unit.session.add(row)
        await unit.session.flush()
        for user in voters:
            unit.session.add(PollVote(poll_id=row.id or 0, voter_key=f"u:{user.id}",
                                      user_id=user.id, voter_name=user.display_name,
                                      choices=[0], voted_at=opened_at))
        for guest_id in guest_voters:
            unit.session.add(PollVote(poll_id=row.id or 0, voter_key=f"g:{guest_id}",
                                      guest_id=guest_id, voter_name="Guest", choices=[1],
                                      voted_at=opened_at))
        return row.id or 0


async def question(services: Services, room_id: str, asker: User, asked_at: datetime,
                   upvoters: Sequence[User] = ()) -> int:
    async with services.unit() as unit:
        row = AudienceQuestion(room_id=room_id, asker_key=f"u:{asker.id}", user_id=asker.id,
                               asker_name=asker.display_name, text="What about CKD?",
                               asked_at=asked_at, **_place(room_id))
        unit.session.add(row)
        await unit.session.flush()
        for user in upvoters:
            unit.session.add(QuestionUpvote(question_id=row.id or 0, voter_key=f"u:{user.id}",
                                            user_id=user.id, voted_at=asked_at))
        return row.id or 0


async def chat(services: Services, room_id: str, sender: User | None, sent_at: datetime,
               text: str = "Hello", audience: str = "everyone", name: str = "") -> None:
    async with services.unit() as unit:
        await ChatService(unit.session, unit.clock).record(
            room_id=room_id, participant_id=f"p-chat-{next(_seq)}",
            user_id=sender.id if sender else None,
            sender_name=name or (sender.display_name if sender else "Guest"),
            audience=audience, text=text, sent_at=sent_at,
        )


async def meeting_connection(services: Services, meeting_id: int, joined: datetime,
                             left: datetime | None, *, user: User | None = None,
                             guest_id: int | None = None, role: str = "learner") -> str:
    """One connection to a meeting's room; ``left`` None leaves it open. Its participant id."""
    participant = f"p-meeting-{next(_seq)}"
    async with services.unit() as unit:
        service = MeetingAttendanceService(unit.session, unit.clock)
        await service.joined(meeting_id=meeting_id, participant_id=participant,
                             user_id=user.id if user else None, guest_id=guest_id, role=role,
                             at=joined)
        if left is not None:
            await service.left(participant_id=participant, reason="left", at=left)
    return participant


async def guest_id(services: Services, meeting_id: int, email: str) -> int:
    """The invitation id of the guest ``email`` of a meeting."""
    async with services.unit() as unit:
        row = (await unit.session.exec(select(MeetingInvitee).where(
            MeetingInvitee.meeting_id == meeting_id, MeetingInvitee.email == email))).one()
        return row.id or 0
