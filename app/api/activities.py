"""Activities: the live sessions and on-demand items of a course."""

from __future__ import annotations

import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.api.courses import course_id
from app.api.json import read_json
from app.api.params import path_id
from app.api.serializers import activity_json
from app.auth import current_user, require_teacher, services_of
from courses.errors import ActivityNotFound

log = structlog.get_logger(__name__)


def activity_id(request: Request) -> int:
    return path_id(request, "id", ActivityNotFound, "activity")


async def list_activities(request: Request) -> Response:
    """
    summary: The activities of a course
    description: In course order. Visible to whoever may see the course.
    security: [{}, {sessionCookie: []}]
    responses:
      200:
        description: The activities.
        content:
          application/json:
            schema:
              type: object
              required: [course_id, activities]
              properties:
                course_id: {type: integer}
                activities: {type: array, items: {$ref: '#/components/schemas/Activity'}}
      404: {description: "No such course, or it is unpublished and not yours."}
    """
    cid = course_id(request)
    async with services_of(request).unit() as unit:
        view = await unit.catalog.course(cid, current_user(request))
    return JSONResponse(
        {"course_id": cid, "activities": [activity_json(a) for a in view.activities]}
    )


async def create_activity(request: Request) -> Response:
    """
    summary: Add an activity to a course
    description: >-
      For the course's faculty and administrators. A live session needs `timezone`,
      `starts_at` and `ends_at` (times without an offset are wall-clock times in `timezone`);
      an on-demand item needs `duration_minutes`. It goes after the course's last activity.
    requestBody:
      required: true
      content:
        application/json:
          schema: {$ref: '#/components/schemas/ActivityInput'}
    responses:
      201:
        description: Added; Location gives the activity's address.
        headers:
          Location: {description: The new activity's address., schema: {type: string}}
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Activity'}
      400: {description: The body is not a JSON object.}
      401: {description: Not signed in.}
      403: {description: "Not this course's faculty nor an administrator, or the CSRF token is
        missing."}
      404: {description: No such course (or an unpublished one that is not yours).}
      422: {description: "Some fields are invalid: `error.fields` names each."}
    """
    user = require_teacher(request)
    cid = course_id(request)
    data = await read_json(request)
    async with services_of(request).unit() as unit:
        activity = await unit.catalog.add_activity(cid, data, user)
    log.info("activity.created", activity_id=activity.id, course_id=cid, user_id=user.id,
             via="api")
    return JSONResponse(activity_json(activity), status_code=201,
                        headers={"Location": f"/api/activities/{activity.id}"})


async def get_activity(request: Request) -> Response:
    """
    summary: One activity
    description: Visible to whoever may see its course.
    security: [{}, {sessionCookie: []}]
    responses:
      200:
        description: The activity.
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Activity'}
      404: {description: "No such activity, or its course is unpublished and not yours."}
    """
    aid = activity_id(request)
    async with services_of(request).unit() as unit:
        activity, _ = await unit.catalog.activity(aid, current_user(request))
    return JSONResponse(activity_json(activity))


async def update_activity(request: Request) -> Response:
    """
    summary: Change an activity
    description: >-
      Send only the fields to change (see ActivityInput; none is required here). Switching
      `kind` needs the new kind's fields too.
    requestBody:
      required: true
      content:
        application/json:
          schema: {$ref: '#/components/schemas/ActivityPatch'}
    responses:
      200:
        description: The changed activity.
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Activity'}
      400: {description: The body is not a JSON object.}
      401: {description: Not signed in.}
      403: {description: "Not the course's faculty nor an administrator, or the CSRF token is
        missing."}
      404: {description: No such activity (or its course is unpublished and not yours).}
      422: {description: "Some fields are invalid: `error.fields` names each."}
    """
    user = require_teacher(request)
    aid = activity_id(request)
    data = await read_json(request)
    async with services_of(request).unit() as unit:
        activity = await unit.catalog.update_activity(aid, data, user)
    log.info("activity.updated", activity_id=aid, course_id=activity.course_id,
             user_id=user.id, fields=sorted(data), via="api")
    return JSONResponse(activity_json(activity))


async def delete_activity(request: Request) -> Response:
    """
    summary: Remove an activity
    responses:
      204: {description: Removed.}
      401: {description: Not signed in.}
      403: {description: "Not the course's faculty nor an administrator, or the CSRF token is
        missing."}
      404: {description: No such activity (or its course is unpublished and not yours).}
      409: {description: "Learners hold credit claims or certificates for it (kept six
        years): unpublish the course instead."}
    """
    user = require_teacher(request)
    aid = activity_id(request)
    async with services_of(request).unit() as unit:
        activity, _ = await unit.catalog.activity(aid, user)
        cid = activity.course_id
        await unit.catalog.delete_activity(aid, user)
    log.info("activity.deleted", activity_id=aid, course_id=cid, user_id=user.id, via="api")
    return Response(status_code=204)
