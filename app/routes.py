"""The whole URL table, as data."""

from __future__ import annotations

from pathlib import Path

from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from app.api.routes import api_routes
from app.pages import (
    accreditation,
    assessments,
    auth,
    catalog,
    chat,
    credit,
    dashboard,
    health,
    interaction_exports,
    live,
    meeting_reports,
    meeting_rooms,
    meetings,
    outbox,
    profile,
    recordings,
    transcripts,
)
from app.pages.admin import activities, attendance, courses, enrollments, jobs, users, webhooks
from app.signaling.endpoint import room_socket

STATIC = Path(__file__).resolve().parent.parent / "static"


def routes() -> list[BaseRoute]:
    return [
        Route("/", dashboard.home, name="home"),
        Route("/healthz", health.healthz, name="healthz"),
        Route("/readyz", health.readyz, name="readyz"),
        # accounts
        Route("/signin", auth.signin_page, name="signin"),
        Route("/signin", auth.signin, methods=["POST"]),
        Route("/signout", auth.signout, methods=["POST"], name="signout"),
        Route("/signup", auth.signup_page, name="signup"),
        Route("/signup", auth.signup, methods=["POST"]),
        Route("/password/forgot", auth.forgot_page, name="forgot"),
        Route("/password/forgot", auth.forgot, methods=["POST"]),
        Route("/password/reset/{token}", auth.reset_page, name="reset"),
        Route("/password/reset/{token}", auth.reset, methods=["POST"]),
        Route("/profile", profile.profile_page, name="profile"),
        Route("/profile", profile.update_profile, methods=["POST"]),
        Route("/profile/password", profile.change_password, methods=["POST"]),
        # learning
        Route("/dashboard", dashboard.dashboard, name="dashboard"),
        Route("/catalog", catalog.catalog, name="catalog"),
        Route("/courses/{course_id:int}", catalog.course_page, name="course"),
        Route("/courses/{course_id:int}/enroll", catalog.enroll, methods=["POST"]),
        Route("/courses/{course_id:int}/unenroll", catalog.unenroll, methods=["POST"]),
        Route("/activities/{activity_id:int}", catalog.activity_page, name="activity"),
        Route("/activities/{activity_id:int}/live", live.room_page, name="live_room"),
        Route("/activities/{activity_id:int}/live/token", live.fresh_token, methods=["POST"]),
        WebSocketRoute("/rooms/{room_id}/ws", room_socket, name="room_socket"),
        # recordings and replay
        Route("/recordings", recordings.recording_list, name="recordings"),
        Route("/recordings/{recording_id:int}", recordings.replay_page, name="replay"),
        Route("/recordings/{recording_id:int}/edit", recordings.edit_page),
        Route("/recordings/{recording_id:int}/edit", recordings.save, methods=["POST"]),
        Route("/recordings/{recording_id:int}/compose", recordings.compose, methods=["POST"]),
        Route("/recordings/{recording_id:int}/media/{path:path}", recordings.media,
              name="recording_media"),
        # administration
        Route("/admin/courses", courses.course_list, name="admin_courses"),
        Route("/admin/courses/new", courses.new_course_page),
        Route("/admin/courses/new", courses.create_course, methods=["POST"]),
        Route("/admin/courses/{course_id:int}/edit", courses.edit_course_page),
        Route("/admin/courses/{course_id:int}/edit", courses.update_course, methods=["POST"]),
        Route("/admin/courses/{course_id:int}/activities/new", activities.new_activity_page),
        Route("/admin/courses/{course_id:int}/activities/new", activities.create_activity,
              methods=["POST"]),
        Route("/admin/activities/{activity_id:int}/edit", activities.edit_activity_page),
        Route("/admin/activities/{activity_id:int}/edit", activities.update_activity,
              methods=["POST"]),
        Route("/admin/activities/{activity_id:int}/delete", activities.delete_activity,
              methods=["POST"]),
        Route("/admin/activities/{activity_id:int}/attendance", attendance.attendance_page),
        Route("/admin/activities/{activity_id:int}/attendance", attendance.adjust_attendance,
              methods=["POST"]),
        Route("/admin/activities/{activity_id:int}/attendance.csv", attendance.attendance_csv),
        Route("/admin/courses/{course_id:int}/enrollments", enrollments.roster),
        Route("/admin/courses/{course_id:int}/enrollments", enrollments.enroll_someone,
              methods=["POST"]),
        Route("/admin/courses/{course_id:int}/enrollments/{user_id:int}/withdraw",
              enrollments.withdraw_someone, methods=["POST"]),
        Route("/admin/users", users.user_list, name="admin_users"),
        Route("/admin/users", users.create_user, methods=["POST"]),
        Route("/admin/users/{user_id:int}", users.update_user, methods=["POST"]),
        Route("/admin/recordings", recordings.admin_list, name="admin_recordings"),
        Route("/admin/jobs", jobs.job_list, name="admin_jobs"),
        Route("/admin/jobs/{job_id:int}/cancel", jobs.cancel_job, methods=["POST"]),
        Route("/admin/jobs/{job_id:int}/retry", jobs.retry_job, methods=["POST"]),
        Route("/admin/settings", users.settings_page, name="admin_settings"),
        Route("/admin/settings", users.update_settings, methods=["POST"]),
        # continuing-education credit
        *accreditation.ROUTES,
        *assessments.ROUTES,
        *credit.ROUTES,
        *transcripts.ROUTES,
        # meetings and integrations
        *meetings.ROUTES,
        *meeting_rooms.ROUTES,
        *chat.ROUTES,
        *interaction_exports.ROUTES,
        *meeting_reports.ROUTES,
        *outbox.ROUTES,
        *webhooks.ROUTES,
        Mount("/api", routes=api_routes(), name="api"),
        Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
    ]
