"""Running one change from a page's form: the try / except that the assessment pages' POST
handlers share (bad input shows the form again, a conflict goes back with the reason)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from app.auth import services_of
from app.flash import Category, flash
from app.pages._forms import redirect
from app.wiring import Unit
from courses.errors import Conflict, InvalidInput

Done = tuple[str, Category]
"""What to flash when the change is made: (message, level)."""

Change = Callable[[Unit], Awaitable[Done]]
"""Makes one change in a unit of work; returns what to flash."""

Again = Callable[[InvalidInput], Awaitable[Response]]
"""Shows the form again with the problems (a 422)."""


async def run_change(
    request: Request,
    change: Change,
    *,
    back: str,
    invalid: Again | None = None,
    conflicts: bool = False,
) -> Response:
    """Run ``change`` and flash what it returns on the way to ``back``.

    With ``invalid``, bad input (``InvalidInput``) is answered by it; with ``conflicts``, a
    ``Conflict`` is flashed as an error on the way to ``back``. Anything else (and those two
    when not asked for) goes on to the app's error pages."""
    try:
        async with services_of(request).unit() as unit:
            message, level = await change(unit)
    except InvalidInput as exc:
        if invalid is None:
            raise
        return await invalid(exc)
    except Conflict as exc:
        if not conflicts:
            raise
        flash(request, exc.message, "error")
        return redirect(back)
    flash(request, message, level)
    return redirect(back)
