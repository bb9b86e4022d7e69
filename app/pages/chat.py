"""A live session's chat transcript as CSV, for the course's faculty and administrators:
everything said in the room, private messages to the hosts included."""

from __future__ import annotations

import structlog
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from app.auth import require_teacher, services_of
from app.pages._forms import path_int
from courses.chat import ChatService, chat_csv

log = structlog.get_logger(__name__)


async def chat_csv_download(request: Request) -> Response:
    user = require_teacher(request)
    activity_id = path_int(request, "activity_id")
    async with services_of(request).unit() as unit:
        transcript = await ChatService(unit.session, unit.clock).transcript(activity_id, user)
    log.info(
        "chat.exported", activity_id=activity_id, user_id=user.id, messages=len(transcript.messages)
    )
    return Response(
        chat_csv(transcript),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="chat-activity-{activity_id}.csv"'},
    )


ROUTES: list[BaseRoute] = [
    Route("/admin/activities/{activity_id:int}/chat.csv", chat_csv_download),
]
