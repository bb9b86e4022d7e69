"""A meeting in headless Chromium: the organizer hosts, two guests come by the links in
their invitations. The lobby lets one in and turns one away (who asks again and is let in);
mute-all reaches both guests; chat and a poll go round; the host removes a guest for good,
who then cannot get back in; the attendance report says what happened."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from app.settings import Environment, Settings
from app.wiring import build_services
from courses.models import Role
from tests.browser.conftest import LiveServer
from tests.browser.test_live_room import (
    LOW_RESOLUTION,
    Participant,
    Person,
    _close,
    _joined,
    _signed_in_page,
    poll,
)
from tests.browser.test_live_room import shots as shots  # the screenshot folder fixture
from tests.factories.meetings import make_meeting
from tests.factories.people import make_user

pytestmark = pytest.mark.browser

ZONE = "America/New_York"


@dataclass
class MeetingCast:
    host: Person
    meeting_id: int
    links: dict[str, str]
    """guest name -> the join path in their invitation"""


async def _seed(server: LiveServer) -> MeetingCast:
    settings = Settings(
        ROUNDS_ENV=Environment.TEST, DATA_DIR=server.data_dir, DATABASE_URL=server.database_url,
        SECRET_KEY="seed-only-secret-key-0123456789abcdefghij",
    )
    services = build_services(settings)
    try:
        host = await make_user(services, Role.FACULTY, name="Dr. Ada Organizer")
        start = datetime.now(UTC).astimezone(ZoneInfo(ZONE)) + timedelta(minutes=2)
        change = await make_meeting(
            services, host, title="Bed management huddle", timezone=ZONE,
            starts_at=start.strftime("%Y-%m-%dT%H:%M"),
            ends_at=(start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            guests="Gil Guest <gil@partner.example.com>\nHal Guest <hal@partner.example.com>",
        )
    finally:
        await services.close()
    links = {n.person.name: f"/meetings/{change.meeting.id}/join/{n.guest_token}"
             for n in change.invitations if n.guest}
    return MeetingCast(Person(host, "Dr. Ada Organizer"), change.meeting.id or 0, links)


async def _host_joins(browser: Any, server: LiveServer, cast: MeetingCast) -> Participant:
    who = await _signed_in_page(browser, server, cast.host, {"width": 1100, "height": 800})
    response = await who.page.goto(f"{server.url}/meetings/{cast.meeting_id}/room")
    assert response is not None and response.status == 200
    await _press_join(who)
    await _joined(who)
    return who


async def _guest_arrives(browser: Any, server: LiveServer, link: str, name: str) -> Participant:
    context = await browser.new_context(viewport={"width": 800, "height": 600})
    await context.add_init_script(LOW_RESOLUTION)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    response = await page.goto(server.url + link)
    assert response is not None and response.status == 200
    # a guest sees the meeting and nothing else of Rounds
    assert await page.get_by_role("link", name="Catalog").count() == 0
    await page.get_by_label("Your name").fill(name)
    await page.get_by_role("button", name="Continue").click()
    who = Participant(Person(None, name), context, page, errors)  # type: ignore[arg-type]
    await _press_join(who)
    return who


async def _press_join(who: Participant) -> None:
    join = who.page.get_by_role("button", name="Join meeting")
    await join.wait_for()
    await poll("the Join button", join.is_enabled)
    await join.click()


async def _in_lobby(who: Participant) -> None:
    await poll(f"{who.person.name} to wait in the lobby",
               lambda: who.js("window.roundsRoom.state() === 'waiting'"))


async def _waiting_names(host: Participant, count: int) -> list[str]:
    async def names() -> list[str] | None:
        lobby: list[dict[str, Any]] = await host.js("window.roundsControls.lobby()")
        return [w["name"] for w in lobby] if len(lobby) == count else None
    return await poll(f"{count} in the host's lobby", names)


async def test_a_meeting_with_two_guests_lobby_controls_chat_and_removal(
    live_server: LiveServer, browser: Any, shots: Path
) -> None:
    cast = await _seed(live_server)
    people: list[Participant] = []
    try:
        host = await _host_joins(browser, live_server, cast)
        people.append(host)
        gil = await _guest_arrives(browser, live_server, cast.links["Gil Guest"], "Gil Guest")
        people.append(gil)
        hal = await _guest_arrives(browser, live_server, cast.links["Hal Guest"], "Hal Guest")
        people.append(hal)

        # (1) both wait; the host lets Gil in and turns Hal away
        await _in_lobby(gil)
        await _in_lobby(hal)
        assert sorted(await _waiting_names(host, 2)) == ["Gil Guest", "Hal Guest"]
        lobby = host.page.locator("#lobby-list li")
        await host.page.screenshot(path=str(shots / "meeting-lobby-host.png"))
        await lobby.filter(has_text="Gil Guest").get_by_role("button", name="Let in").click()
        await _joined(gil)
        await lobby.filter(has_text="Hal Guest").get_by_role("button", name="Turn away").click()
        await poll("Hal to be turned away",
                   lambda: hal.js("window.roundsRoom.state() === 'failed'"))
        assert "did not let you in" in await hal.page.locator("#room-end-message").inner_text()

        # (2) Hal asks again, and this time is let in
        await hal.page.get_by_role("button", name="Rejoin").click()
        await _in_lobby(hal)
        await _waiting_names(host, 1)
        await lobby.filter(has_text="Hal Guest").get_by_role("button", name="Let in").click()
        await _joined(hal)

        # (3) mute-all reaches both guests, who are told; nobody is unmuted remotely
        await host.page.get_by_role("button", name="Mute everyone").click()
        for guest in (gil, hal):
            await guest.page.get_by_role("button", name="Unmute").wait_for(timeout=10_000)
            assert "muted your microphone" in await guest.page.locator("#room-status").inner_text()
        gil_id, hal_id = await gil.participant_id(), await hal.participant_id()

        async def both_muted() -> bool:
            seen = {p["participant_id"]: p["muted"]["audio"]
                    for p in await host.js("window.roundsRoom.participants()")}
            return seen.get(gil_id) is True and seen.get(hal_id) is True
        await poll("the host to see both muted", both_muted)
        # Gil unmutes himself
        await gil.page.get_by_role("button", name="Unmute").click()
        await poll("the host to see Gil unmuted", lambda: host.js(
            "(pid) => window.roundsRoom.participants().some((p) => p.participant_id === pid "
            "&& !p.muted.audio)", gil_id))

        # (4) chat goes round
        await gil.page.get_by_label("Message").fill("Beds free on 4 West: two")
        await gil.page.get_by_label("Message").press("Enter")
        for who in (host, hal):
            await poll(f"{who.person.name} to read Gil's message", lambda who=who: who.js(
                "window.roundsRoom.chat().some((m) => m.text === 'Beds free on 4 West: two')"))

        # (5) a poll goes round: the host asks, each guest votes, the host sees both votes
        await host.page.get_by_label("Question", exact=True).fill("Open the overflow unit?")
        await host.page.get_by_label("Options, one a line (2 to 10)").fill("Yes\nNo")
        await host.page.get_by_role("button", name="Open poll").click()
        for guest, choice in ((gil, "Yes"), (hal, "No")):
            await poll(f"{guest.person.name} to see the poll",
                       lambda guest=guest: guest.js("window.roundsInteraction.polls().length"))
            await guest.page.get_by_role("radio", name=choice).check()
            await guest.page.get_by_role("button", name="Vote", exact=True).click()
        await poll("the host to see one vote each", lambda: host.js(
            "JSON.stringify(window.roundsInteraction.polls()[0].results) === "
            "JSON.stringify({counts: [1, 1], voters: 2})"))

        # (6) the host removes Hal for good: he is told, and cannot come back
        row = host.page.locator("#people-list li").filter(has_text="Hal Guest")
        await row.locator("summary").click()
        await row.get_by_role("button", name="Remove and keep out").click()
        await poll("Hal to be removed", lambda: hal.js("window.roundsRoom.state() === 'failed'"))
        assert await hal.page.get_by_role("heading", name="You were removed").count() == 1
        assert await hal.page.get_by_role("button", name="Rejoin").is_hidden()
        again = await hal.page.goto(live_server.url + cast.links["Hal Guest"])
        assert again is not None and again.status == 410
        assert "removed you" in await hal.page.locator("main").inner_text()
        await poll("Hal to leave the host's list", lambda: host.js(
            "(pid) => !window.roundsRoom.participants().some((p) => p.participant_id === pid)",
            hal_id))
        await host.page.screenshot(path=str(shots / "meeting-host-after.png"))

        # (7) the attendance report says what happened: three people, Hal's one connection
        # (turned away first, he was never connected then) ended when he was removed
        csv_url = f"{live_server.url}/meetings/{cast.meeting_id}/attendance.csv"

        async def attendance() -> dict[str, dict[str, str]] | None:
            response = await host.context.request.get(csv_url)
            assert response.status == 200, await response.text()
            rows = {r["name"]: r for r in csv.DictReader(io.StringIO(await response.text()))}
            return rows if rows.get("Hal Guest", {}).get("last_left") else None
        rows = await poll("Hal's removal in the attendance report", attendance)
        assert sorted(rows) == ["Dr. Ada Organizer", "Gil Guest", "Hal Guest"]
        assert [rows[n]["guest"] for n in sorted(rows)] == ["no", "yes", "yes"]
        assert rows["Hal Guest"]["connections"] == "1" and rows["Gil Guest"]["connections"] == "1"
        assert rows["Gil Guest"]["last_left"] == ""  # still in the meeting
        minutes = {n: float(r["minutes"]) for n, r in rows.items()}
        assert all(0 <= m < 5 for m in minutes.values()), minutes  # a short meeting
        assert minutes["Dr. Ada Organizer"] >= minutes["Gil Guest"] >= minutes["Hal Guest"]
        assert [e for who in people for e in who.errors] == []
    finally:
        await _close(people)
