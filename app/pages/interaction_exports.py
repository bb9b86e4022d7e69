"""Poll and Q&A exports (CSV) for a live session's or a meeting's hosts."""

from __future__ import annotations

from starlette.routing import BaseRoute

ROUTES: list[BaseRoute] = []
