"""The live room page: admission, a short-lived join token, and the browser client."""

from __future__ import annotations

import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.auth import require_user, services_of
from app.join_tokens import JoinGrant, JoinTokens
from app.pages._forms import path_int, render
from app.pages.room_view import RoomView
from courses.live_sessions import SessionPass
from courses.models import Role

log = structlog.get_logger(__name__)


def grant_for(session_pass: SessionPass) -> JoinGrant:
    user = session_pass.user
    return JoinGrant(
        room_id=session_pass.room_id,
        user_id=user.id or 0,
        display_name=user.display_name,
        role="host" if session_pass.is_host else Role(user.role).value,
        title=session_pass.activity.title,
        starts_at=session_pass.starts_at.isoformat(),
        closes_at=session_pass.closes_at.isoformat(),
        can_publish=True,
        can_subscribe=True,
        can_share_screen=session_pass.is_host,
        is_host=session_pass.is_host,
        auto_record=session_pass.activity.auto_record,
    )


async def _admit(request: Request) -> SessionPass:
    user = require_user(request)
    activity_id = path_int(request, "activity_id")
    async with services_of(request).unit() as unit:
        return await unit.live.admit(activity_id, user)


async def room_page(request: Request) -> Response:
    session_pass = await _admit(request)
    tokens: JoinTokens = request.app.state.join_tokens
    log.info("live.room_page", room_id=session_pass.room_id, user_id=session_pass.user.id,
             host=session_pass.is_host)
    activity = session_pass.activity
    assert activity.starts_at is not None and activity.ends_at is not None
    room = RoomView(
        room_id=session_pass.room_id,
        title=activity.title,
        token=tokens.issue(grant_for(session_pass)),
        token_url=f"/activities/{activity.id}/live/token",
        display_name=session_pass.user.display_name,
        is_host=session_pass.is_host,
        starts_at=activity.starts_at,
        ends_at=activity.ends_at,
        timezone=activity.timezone,
        noun="session",
        back_href=f"/activities/{activity.id}",
        back_label="Back to the activity",
        crumb_href=f"/courses/{session_pass.course.id}",
        crumb_label=session_pass.course.title,
    )
    return render(request, "live/room.html", {"room": room})


async def fresh_token(request: Request) -> Response:
    """A new join token for a client that reconnects after the first one expired."""
    session_pass = await _admit(request)
    tokens: JoinTokens = request.app.state.join_tokens
    return JSONResponse({"token": tokens.issue(grant_for(session_pass)),
                         "room_id": session_pass.room_id})
