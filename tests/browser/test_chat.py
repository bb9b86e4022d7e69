"""Chat and raised hands in the live room, in headless Chromium: two people talk, markup shows
as text (nothing runs), and a host lowers a learner's raised hand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import LiveServer
from tests.browser.test_live_room import _close, _enter, _joined, _seed, poll
from tests.browser.test_live_room import shots as shots  # the screenshot folder fixture

pytestmark = pytest.mark.browser

MARKUP = "<script>alert(1)</script><b>bold?</b>"


async def test_two_people_chat_markup_shows_as_text_and_a_host_lowers_a_hand(
    live_server: LiveServer, browser: Any, shots: Path
) -> None:
    cast = await _seed(live_server)
    people = []
    dialogs: list[str] = []
    try:
        host = await _enter(browser, live_server, cast, cast.host)
        people.append(host)
        bea = await _enter(browser, live_server, cast, cast.learners[0])
        people.append(bea)
        for who in people:
            who.page.on("dialog", lambda d: dialogs.append(d.message))
            await _joined(who)

        # Bea types markup and presses Enter; both see it as the characters she typed
        await bea.page.get_by_label("Message").fill(MARKUP)
        await bea.page.get_by_label("Message").press("Enter")
        for who in people:
            text = who.page.locator("#chat-list .chat-text")
            await poll(f"{who.person.name} to see the message", text.count)
            assert await text.inner_text() == MARKUP
            assert await who.page.locator("#chat-list script, #chat-list b").count() == 0
        assert await bea.page.get_by_label("Message").input_value() == ""

        # the host answers everyone; Bea asks the hosts privately
        await host.page.get_by_label("Message").fill("Good question")
        await host.page.get_by_role("button", name="Send").click()
        await poll(
            "Bea to get the answer",
            lambda: bea.js("window.roundsRoom.chat().some((m) => m.text === 'Good question')"),
        )
        await bea.page.get_by_label("Send to").select_option("hosts")
        await bea.page.get_by_label("Message").fill("Just for you")
        await bea.page.get_by_label("Message").press("Enter")
        private = host.page.locator("#chat-list li.to-hosts")
        await poll("the host to get the private message", private.count)
        assert "(to the hosts)" in await private.inner_text()

        # Bea raises her hand; the host sees the queue and lowers it
        await bea.page.get_by_role("button", name="Raise hand").click()
        lower = host.page.get_by_role("button", name=f"Lower {cast.learners[0].name}'s hand")
        await lower.wait_for(timeout=10_000)
        await host.page.screenshot(path=str(shots / "room-chat-host.png"))
        assert (
            await bea.page.get_by_role("button", name="Lower hand").get_attribute("aria-pressed")
            == "true"
        )
        await lower.click()
        await poll(
            "Bea's hand to come down", lambda: bea.js("window.roundsRoom.hands().length === 0")
        )
        await bea.page.get_by_role("button", name="Raise hand").wait_for(timeout=5_000)
        assert dialogs == []
        assert [e for who in people for e in who.errors] == []
    finally:
        await _close(people)
