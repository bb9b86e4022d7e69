"""Polls and Q&A in the live room, in headless Chromium: the host opens a poll, a learner votes
and the host sees the result; the learner asks a question (markup shows as text), the host
upvotes it and marks it answered; a reaction floats by for both."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import LiveServer
from tests.browser.test_live_room import _close, _enter, _joined, _seed, poll
from tests.browser.test_live_room import shots as shots  # the screenshot folder fixture

pytestmark = pytest.mark.browser

QUESTION = "<b>Lactate</b> before or after fluids?"


async def test_a_poll_is_voted_on_and_a_question_is_asked_and_upvoted(
    live_server: LiveServer, browser: Any, shots: Path
) -> None:
    cast = await _seed(live_server)
    people = []
    try:
        host = await _enter(browser, live_server, cast, cast.host,
                            viewport={"width": 1280, "height": 900})
        people.append(host)
        bea = await _enter(browser, live_server, cast, cast.learners[0],
                           viewport={"width": 1280, "height": 900})
        people.append(bea)
        for who in people:
            await _joined(who)
        # only the host is offered the new-poll form
        assert await bea.page.locator("#poll-create").is_hidden()

        # the host opens a single-choice poll
        await host.page.get_by_label("Question", exact=True).fill("First antibiotic dose by?")
        await host.page.get_by_label("Options, one a line (2 to 10)").fill(
            "1 hour\n3 hours\n\n6 hours"
        )
        await host.page.get_by_role("button", name="Open poll").click()
        await poll("Bea to see the poll",
                   lambda: bea.js("window.roundsInteraction.polls().length === 1"))
        assert "First antibiotic dose by?" in await bea.page.locator("#poll-announce").inner_text()
        assert await bea.page.locator("#poll-list .poll-results").is_hidden()

        # Bea votes "1 hour"; the host sees the result come in, Bea sees her vote
        await bea.page.get_by_role("radio", name="1 hour").check()
        await bea.page.get_by_role("button", name="Vote", exact=True).click()
        await poll("Bea's vote to be counted",
                   lambda: bea.js("window.roundsInteraction.polls()[0].mine?.[0] === 0"))
        await poll(
            "the host to see one vote for 1 hour",
            lambda: host.js("JSON.stringify(window.roundsInteraction.polls()[0].results) === "
                            "JSON.stringify({counts: [1, 0, 0], voters: 1})"),
        )
        host_results = host.page.locator("#poll-list .poll-results")
        assert "1 person voted" in await host_results.inner_text()
        assert await bea.page.locator("#poll-list .poll-results").is_hidden()
        assert "Your vote: 1 hour" in await bea.page.locator("#poll-list .poll-mine").inner_text()

        # shown to everyone, Bea sees the results too
        await host.page.get_by_role("button", name="Show results to everyone").click()
        await bea.page.locator("#poll-list .poll-results").wait_for(timeout=10_000)
        assert "1 vote (100%)" in await bea.page.locator("#poll-list .poll-results").inner_text()

        # Bea asks a question with markup; both see it as text
        await bea.page.get_by_label("Your question").fill(QUESTION)
        await bea.page.get_by_label("Your question").press("Enter")
        for who in people:
            text = who.page.locator("#qa-list .question-text")
            await poll(f"{who.person.name} to see the question", text.count)
            assert await text.inner_text() == QUESTION
            assert await who.page.locator("#qa-list b").count() == 0
        # nobody upvotes their own question; the host upvotes it and marks it answered
        assert await bea.page.locator("#qa-list .question-upvote").is_hidden()
        await host.page.get_by_role("button", name=f"Upvote {cast.learners[0].name}'s question")\
            .click()
        await poll("Bea to see the upvote",
                   lambda: bea.js("window.roundsInteraction.questions()[0].upvotes === 1"))
        assert await host.js("window.roundsInteraction.questions()[0].upvoted") is True
        await host.page.get_by_role("button", name="Mark answered").click()
        await poll("Bea to see it answered",
                   lambda: bea.js("window.roundsInteraction.questions()[0].answered"))

        # a reaction reaches both
        await bea.page.get_by_role("button", name="React with applause").click()
        for who in people:
            await poll(f"{who.person.name} to see the reaction",
                       lambda who=who: who.js("window.roundsInteraction.reactions().length > 0"))
        await host.page.screenshot(path=str(shots / "room-polls-host.png"))
        assert [e for who in people for e in who.errors] == []
    finally:
        await _close(people)
