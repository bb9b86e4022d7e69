"""The API's URL table, mounted at /api by app.routes."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from app.api import activities, courses, enrollments, jobs, me, openapi, recordings, session, users


def api_routes() -> list[BaseRoute]:
    return [
        Route("/session", session.get_session, methods=["GET"]),
        Route("/session", session.create_session, methods=["POST"]),
        Route("/session", session.delete_session, methods=["DELETE"]),
        # catalog
        Route("/courses", courses.list_courses, methods=["GET"]),
        Route("/courses", courses.create_course, methods=["POST"]),
        Route("/courses/{id:int}", courses.get_course, methods=["GET"]),
        Route("/courses/{id:int}", courses.update_course, methods=["PATCH"]),
        Route("/courses/{id:int}/activities", activities.list_activities, methods=["GET"]),
        Route("/courses/{id:int}/activities", activities.create_activity, methods=["POST"]),
        Route("/activities/{id:int}", activities.get_activity, methods=["GET"]),
        Route("/activities/{id:int}", activities.update_activity, methods=["PATCH"]),
        Route("/activities/{id:int}", activities.delete_activity, methods=["DELETE"]),
        # enrollment
        Route("/courses/{id:int}/enrollment", enrollments.my_enrollment, methods=["GET"]),
        Route("/courses/{id:int}/enrollment", enrollments.enroll_me, methods=["PUT"]),
        Route("/courses/{id:int}/enrollment", enrollments.withdraw_me, methods=["DELETE"]),
        Route("/courses/{id:int}/enrollments", enrollments.roster, methods=["GET"]),
        Route("/courses/{id:int}/enrollments", enrollments.enroll_someone, methods=["POST"]),
        Route("/courses/{id:int}/enrollments/{user_id:int}", enrollments.withdraw_someone,
              methods=["DELETE"]),
        # the signed-in user
        Route("/me", me.get_me, methods=["GET"]),
        Route("/me", me.update_me, methods=["PATCH"]),
        Route("/me/enrollments", me.my_enrollments, methods=["GET"]),
        Route("/me/agenda", me.my_agenda, methods=["GET"]),
        # recordings and replay
        Route("/recordings", recordings.list_recordings, methods=["GET"]),
        Route("/recordings/{id:int}", recordings.get_recording, methods=["GET"]),
        Route("/recordings/{id:int}", recordings.update_recording, methods=["PATCH"]),
        Route("/recordings/{id:int}/publish", recordings.publish_recording, methods=["POST"]),
        Route("/recordings/{id:int}/compose", recordings.compose_recording, methods=["POST"]),
        Route("/recordings/{id:int}/unpublish", recordings.unpublish_recording,
              methods=["POST"]),
        Route("/recordings/{id:int}/watch", recordings.watch, methods=["POST"]),
        # administration
        Route("/users", users.list_users, methods=["GET"]),
        Route("/users", users.create_user, methods=["POST"]),
        Route("/users/{id:int}", users.update_user, methods=["PATCH"]),
        Route("/jobs", jobs.list_jobs, methods=["GET"]),
        Route("/jobs/{id:int}", jobs.get_job, methods=["GET"]),
        Route("/jobs/{id:int}/cancel", jobs.cancel_job, methods=["POST"]),
        Route("/jobs/{id:int}/retry", jobs.retry_job, methods=["POST"]),
        # this API's description
        Route("/openapi.json", openapi.openapi_json, methods=["GET"], name="openapi"),
        Route("/docs", openapi.docs, methods=["GET"], name="api_docs"),
    ]
