"""A meeting's live room: for signed-in invitees and hosts, and for guests through the link
in their invitation (who give a display name first and see nothing else of Rounds)."""

from __future__ import annotations

import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from app.auth import require_user, services_of
from app.join_tokens import JoinGrant, JoinTokens
from app.pages._forms import path_int, read_form, render
from app.pages.room_view import RoomView
from courses.meeting_rooms import GUEST_NAME_MAX, MeetingPass, MeetingRoomService
from courses.meetings import MeetingNotFound
from courses.models import Role

log = structlog.get_logger(__name__)

TOKEN_MAX = 200



def _link_token(request: Request) -> str:
    token = str(request.path_params.get("token", ""))
    if not token or len(token) > TOKEN_MAX:
        raise MeetingNotFound("This invitation link is not valid for this meeting.")
    return token


def grant_for(meeting_pass: MeetingPass) -> JoinGrant:
    meeting = meeting_pass.meeting
    if meeting_pass.guest is not None:
        role = "guest"
    elif meeting_pass.is_host:
        role = "host"
    else:
        assert meeting_pass.user is not None
        role = Role(meeting_pass.user.role).value
    return JoinGrant(
        room_id=meeting_pass.room_id,
        user_id=meeting_pass.user.id or 0 if meeting_pass.user is not None else 0,
        display_name=meeting_pass.display_name,
        role=role,
        title=meeting.title,
        starts_at=meeting_pass.occurrence.starts_at.isoformat(),
        closes_at=meeting_pass.closes_at.isoformat(),
        can_share_screen=meeting_pass.is_host,
        is_host=meeting_pass.is_host,
        guest_id=meeting_pass.guest.id if meeting_pass.guest is not None else None,
    )


def _page(request: Request, meeting_pass: MeetingPass, token_url: str) -> Response:
    tokens: JoinTokens = request.app.state.join_tokens
    meeting = meeting_pass.meeting
    guest = meeting_pass.guest is not None
    room = RoomView(
        room_id=meeting_pass.room_id,
        title=meeting.title,
        token=tokens.issue(grant_for(meeting_pass)),
        token_url=token_url,
        display_name=meeting_pass.display_name,
        is_host=meeting_pass.is_host,
        starts_at=meeting_pass.occurrence.starts_at,
        ends_at=meeting_pass.occurrence.ends_at,
        timezone=meeting.timezone,
        noun="meeting",
        back_href="" if guest else f"/meetings/{meeting.id}",
        back_label="" if guest else "Back to the meeting",
        crumb_href="" if guest else "/meetings",
        crumb_label="" if guest else "Meetings",
        guest=guest,
    )
    log.info("meeting.room_page", room_id=meeting_pass.room_id, meeting_id=meeting.id,
             user_id=meeting_pass.user.id if meeting_pass.user else None,
             guest_id=meeting_pass.guest.id if meeting_pass.guest else None,
             host=meeting_pass.is_host)
    return render(request, "live/room.html", {"room": room})


async def _user_pass(request: Request) -> MeetingPass:
    user = require_user(request)
    meeting_id = path_int(request, "meeting_id")
    async with services_of(request).unit() as unit:
        return await MeetingRoomService(unit.session, unit.clock).admit_user(meeting_id, user)


async def room_page(request: Request) -> Response:
    meeting_pass = await _user_pass(request)
    return _page(request, meeting_pass, f"/meetings/{meeting_pass.meeting.id}/room/token")


def _fresh_token(request: Request, meeting_pass: MeetingPass) -> Response:
    """A new join token for a page that reconnects after the first one expired."""
    tokens: JoinTokens = request.app.state.join_tokens
    return JSONResponse({"token": tokens.issue(grant_for(meeting_pass)),
                         "room_id": meeting_pass.room_id})


async def room_token(request: Request) -> Response:
    return _fresh_token(request, await _user_pass(request))


async def _guest_pass(request: Request, name: object = None) -> MeetingPass:
    meeting_id = path_int(request, "meeting_id")
    token = _link_token(request)
    async with services_of(request).unit() as unit:
        return await MeetingRoomService(unit.session, unit.clock).admit_guest(
            meeting_id, token, name
        )


async def guest_page(request: Request) -> Response:
    """The guest's first stop: the meeting's name and a display name to give."""
    meeting_pass = await _guest_pass(request)
    return render(request, "meetings/guest_join.html", {
        "meeting": meeting_pass.meeting, "occurrence": meeting_pass.occurrence,
        "name": meeting_pass.display_name, "name_max": GUEST_NAME_MAX, "error": "",
    })


async def guest_join(request: Request) -> Response:
    form = await read_form(request)
    name = str(form.get("display_name", "")).strip()
    if not name:
        meeting_pass = await _guest_pass(request)
        return render(request, "meetings/guest_join.html", {
            "meeting": meeting_pass.meeting, "occurrence": meeting_pass.occurrence,
            "name": "", "name_max": GUEST_NAME_MAX,
            "error": "Enter the name the others will see.",
        }, status=422)
    meeting_pass = await _guest_pass(request, name)
    token = _link_token(request)
    return _page(request, meeting_pass, f"/meetings/{meeting_pass.meeting.id}/join/{token}/token")


async def guest_token(request: Request) -> Response:
    return _fresh_token(request, await _guest_pass(request))


ROUTES: list[BaseRoute] = [
    Route("/meetings/{meeting_id:int}/room", room_page, name="meeting_room"),
    Route("/meetings/{meeting_id:int}/room/token", room_token, methods=["POST"]),
    Route("/meetings/{meeting_id:int}/join/{token}", guest_page, name="meeting_guest"),
    Route("/meetings/{meeting_id:int}/join/{token}", guest_join, methods=["POST"]),
    Route("/meetings/{meeting_id:int}/join/{token}/token", guest_token, methods=["POST"]),
]
