"""Attendance, chat, poll and Q&A reports for meetings and live sessions, and engagement
per learner for the CME office."""

from __future__ import annotations

from starlette.routing import BaseRoute

ROUTES: list[BaseRoute] = []
