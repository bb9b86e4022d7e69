"""Courses: the catalog search, one course, creating (admins) and editing (faculty, admins)."""

from __future__ import annotations

import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.api.json import read_json
from app.api.params import QueryParams, path_id
from app.api.serializers import course_json
from app.auth import current_user, require_admin, require_teacher, services_of
from courses.catalog import PAGE_SIZE, CatalogQuery
from courses.errors import CourseNotFound

log = structlog.get_logger(__name__)

FORMATS = ("live", "on_demand")


def course_id(request: Request) -> int:
    return path_id(request, "id", CourseNotFound, "course")


async def list_courses(request: Request) -> Response:
    """
    summary: Search the catalog
    description: >-
      Published courses, ordered by title, 24 a page. Signed-in faculty also see their own
      unpublished courses, and administrators see every course.
    security: [{}, {sessionCookie: []}]
    parameters:
      - {name: q, in: query, description: "Words in the title, summary, description or tags
          (at most 200 characters).", schema: {type: string, maxLength: 200}}
      - {name: tag, in: query, description: Only courses with this tag (case-insensitive).,
         schema: {type: string, maxLength: 40}}
      - {name: format, in: query, description: "Only courses with at least one activity of
          this kind.", schema: {type: string, enum: [live, on_demand]}}
      - {name: page, in: query, description: Page number from 1.,
         schema: {type: integer, minimum: 1, maximum: 9999, default: 1}}
    responses:
      200:
        description: >-
          One page of courses; `next_page` is the following page's number, or null on the
          last page.
        content:
          application/json:
            schema:
              type: object
              required: [courses, page, page_size, next_page]
              properties:
                courses: {type: array, items: {$ref: '#/components/schemas/CourseSummary'}}
                page: {type: integer}
                page_size: {type: integer}
                next_page: {type: [integer, "null"]}
      422: {description: "A query parameter is malformed: `error.fields` names it."}
    """
    params = QueryParams(request)
    query = CatalogQuery(
        q=params.text("q", 200),
        tag=params.text("tag", 40).lower(),
        format=params.choice("format", FORMATS),
        page=params.integer("page", 1, 1, 9999),
    )
    params.check()
    async with services_of(request).unit() as unit:
        views = await unit.catalog.search(current_user(request), query)
    return JSONResponse({
        "courses": [course_json(v) for v in views],
        "page": query.page,
        "page_size": PAGE_SIZE,
        "next_page": query.page + 1 if len(views) == PAGE_SIZE else None,
    })


async def create_course(request: Request) -> Response:
    """
    summary: Create a course
    description: >-
      Administrators only. `slug` defaults to one made from the title; `faculty_ids` must name
      users with the faculty or admin role.
    requestBody:
      required: true
      content:
        application/json:
          schema: {$ref: '#/components/schemas/CourseInput'}
    responses:
      201:
        description: Created; Location gives the course's address.
        headers:
          Location: {description: The new course's address., schema: {type: string}}
        content:
          application/json:
            schema: {$ref: '#/components/schemas/CourseDetail'}
      400: {description: The body is not a JSON object.}
      401: {description: Not signed in.}
      403: {description: "Not an administrator, or the CSRF token is missing."}
      409: {description: Another course already uses this slug.}
      422: {description: "Some fields are invalid: `error.fields` names each."}
    """
    user = require_admin(request)
    data = await read_json(request)
    async with services_of(request).unit() as unit:
        course = await unit.catalog.create_course(data, user)
        view = await unit.catalog.course(course.id or 0, user)
    log.info("course.created", course_id=course.id, user_id=user.id, via="api")
    return JSONResponse(course_json(view, detail=True), status_code=201,
                        headers={"Location": f"/api/courses/{course.id}"})


async def get_course(request: Request) -> Response:
    """
    summary: One course with its activities
    description: >-
      An unpublished course is visible only to administrators and its own faculty; to anyone
      else it does not exist (404).
    security: [{}, {sessionCookie: []}]
    responses:
      200:
        description: The course.
        content:
          application/json:
            schema: {$ref: '#/components/schemas/CourseDetail'}
      404: {description: "No such course, or it is unpublished and not yours."}
    """
    cid = course_id(request)
    async with services_of(request).unit() as unit:
        view = await unit.catalog.course(cid, current_user(request))
    return JSONResponse(course_json(view, detail=True))


async def update_course(request: Request) -> Response:
    """
    summary: Change a course
    description: >-
      Send only the fields to change (see CourseInput; none is required here). The course's
      faculty may edit its content; changing `published`, `capacity` or `faculty_ids` is for
      administrators (403 otherwise). Raising the capacity moves people up from the waitlist.
    requestBody:
      required: true
      content:
        application/json:
          schema: {$ref: '#/components/schemas/CoursePatch'}
    responses:
      200:
        description: The changed course.
        content:
          application/json:
            schema: {$ref: '#/components/schemas/CourseDetail'}
      400: {description: The body is not a JSON object.}
      401: {description: Not signed in.}
      403: {description: "Not this course's faculty nor an administrator, an admin-only field,
        or the CSRF token is missing."}
      404: {description: No such course (or an unpublished one that is not yours).}
      409: {description: Another course already uses this slug.}
      422: {description: "Some fields are invalid: `error.fields` names each."}
    """
    user = require_teacher(request)
    cid = course_id(request)
    data = await read_json(request)
    async with services_of(request).unit() as unit:
        await unit.catalog.update_course(cid, data, user)
        view = await unit.catalog.course(cid, user)
    log.info("course.updated", course_id=cid, user_id=user.id, fields=sorted(data), via="api")
    return JSONResponse(course_json(view, detail=True))

