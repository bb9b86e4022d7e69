"""The outbox: the mail Rounds sent, or in development would have sent."""

from __future__ import annotations

from starlette.routing import BaseRoute

ROUTES: list[BaseRoute] = []
