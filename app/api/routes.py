"""The API's URL table, mounted at /api by app.routes."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from app.api import session


def api_routes() -> list[BaseRoute]:
    return [
        Route("/session", session.get_session, methods=["GET"]),
        Route("/session", session.create_session, methods=["POST"]),
        Route("/session", session.delete_session, methods=["DELETE"]),
    ]
