"""The profile's reminder switch: on by default, saved with the profile, kept when the form
comes back with errors."""

from __future__ import annotations

import re

from app.wiring import Services
from courses.models import User
from tests.app.pages.conftest import SignedIn
from tests.app.pages.helpers import Cast, field_error, text_of

LABEL = "Email me reminders before live sessions and meetings"


def ticked(page: str) -> bool:
    tag = re.search(r'<input type="checkbox" name="reminders_enabled"[^>]*>', page)
    assert tag, page
    return " checked" in tag.group(0)


async def stored(services: Services, user: User) -> bool:
    async with services.unit() as unit:
        return (await unit.accounts.get(user.id or 0)).reminders_enabled


async def test_reminders_are_on_until_the_box_is_unticked_and_back_on_when_ticked(
    services: Services, cast: Cast, signed_in: SignedIn
) -> None:
    me = await signed_in(cast.learner)
    page = await me.get("/profile")
    assert LABEL in text_of(page.text) and ticked(page.text)
    off = await me.form("/profile", {"display_name": "Lea Learner"})
    assert off.status_code == 303
    assert await stored(services, cast.learner) is False
    assert not ticked((await me.get("/profile")).text)
    on = await me.form("/profile", {"display_name": "Lea Learner", "reminders_enabled": "on"})
    assert on.status_code == 303
    assert await stored(services, cast.learner) is True
    assert ticked((await me.get("/profile")).text)


async def test_a_form_with_errors_keeps_the_choice_and_saves_nothing(
    services: Services, cast: Cast, signed_in: SignedIn
) -> None:
    me = await signed_in(cast.learner)
    page = await me.form("/profile", {"display_name": "Lea Learner", "npi": "123"})
    assert page.status_code == 422
    assert field_error(page.text, "npi") is not None
    assert not ticked(page.text)
    assert await stored(services, cast.learner) is True
