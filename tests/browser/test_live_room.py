"""Live rooms end to end: real server, the SFU on loopback, one headless Chromium context per
participant with Chromium's fake camera and microphone, and static/js/room.js as the client.

What is asserted comes from the browsers' own WebRTC statistics (``pc.getStats()``):
``inbound-rtp`` video ``framesDecoded`` and audio ``packetsReceived`` of the tracks that the
page put in its tiles, so "I see and hear the others" means frames really decoded.

Known SFU issue (media/sfu, reported): a participant who rejoins is carried to the others on
m-lines the SFU re-uses, and about half of those tracks never arrive; the reconnect test marks
that last check as an expected failure. Set ROUNDS_SCREENSHOTS=/some/dir to keep screenshots.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlmodel import select

from app.settings import Environment, Settings
from app.wiring import build_services
from courses.models import Recording, Role, User
from tests.browser.conftest import LiveServer
from tests.factories.catalog import make_course, make_live
from tests.factories.people import PASSWORD, make_user

pytestmark = pytest.mark.browser

T = TypeVar("T")

# Small video: four participants encode and decode on two cores next to the server.
LOW_RESOLUTION = (
    "window.roundsRoomConfig = {video: {width: {ideal: 320}, height: {ideal: 180},"
    " frameRate: {ideal: 15, max: 15}}};"
)
LATE_JOIN_BUDGET_S = 2.0

# For every remote tile: the decoded frames of its video and the packets of its audio.
TILE_STATS = """async () => {
  const room = window.roundsRoom, pc = room.pc();
  if (!pc) return null;
  const video = {}, audio = {};
  (await pc.getStats()).forEach((s) => {
    if (s.type !== "inbound-rtp") return;
    if (s.kind === "video") video[s.trackIdentifier] = s.framesDecoded || 0;
    if (s.kind === "audio") audio[s.trackIdentifier] = s.packetsReceived || 0;
  });
  return room.tiles().filter((t) => !t.screen).map((t) => ({
    pid: t.participant_id,
    frames: t.video_track in video ? video[t.video_track] : -1,
    packets: t.audio_tracks.length ? Math.min(...t.audio_tracks.map((id) => audio[id] ?? -1)) : -1,
    playing: t.audio_playing,
  }));
}"""

# Polls in the page until `n` remote videos have decoded a frame; times are relative to the
# moment room.js saw its peer connection reach 'connected'.
UNTIL_DECODED = """async (n) => {
  const room = window.roundsRoom, deadline = performance.now() + 15000;
  let first = null;
  while (performance.now() < deadline) {
    const pc = room.pc(), connected = room.timings().connected;
    if (pc && connected !== null) {
      const ids = new Set(room.tiles().filter((t) => !t.screen).map((t) => t.video_track));
      let decoded = 0;
      (await pc.getStats()).forEach((s) => {
        if (s.type === "inbound-rtp" && s.kind === "video" && ids.has(s.trackIdentifier)
            && s.framesDecoded > 0) decoded += 1;
      });
      const now = performance.now();
      if (decoded > 0 && first === null) first = now - connected;
      if (decoded >= n) return {first: first, all: now - connected};
    }
    await new Promise((resolve) => setTimeout(resolve, 40));
  }
  return null;
}"""


@dataclass
class Person:
    user: User
    name: str


@dataclass
class Cast:
    host: Person
    learners: list[Person]
    outsider_session_id: int
    session_id: int


@dataclass
class Participant:
    person: Person
    context: Any
    page: Any
    errors: list[str]

    async def js(self, script: str, arg: Any = None) -> Any:
        return await self.page.evaluate(script, arg)

    async def participant_id(self) -> str:
        pid: str = await self.js("window.roundsRoom.participantId()")
        return pid

    async def tile_stats(self) -> list[dict[str, Any]]:
        stats: list[dict[str, Any]] | None = await self.js(TILE_STATS)
        return stats or []

    async def diagnose(self) -> str:
        """What the page knows, for failure messages."""
        state = await self.js("""async () => {
          const room = window.roundsRoom, pc = room.pc();
          return {state: room.state(), status: document.getElementById("room-status").textContent,
                  participants: room.participants().map((p) => p.participant_id),
                  tiles: room.tiles(),
                  pc: pc && {connection: pc.connectionState, signaling: pc.signalingState,
                             transceivers: pc.getTransceivers().map((t) => [t.mid, t.direction,
                               t.currentDirection, t.receiver.track.id,
                               t.receiver.track.muted])}};
        }""")
        return repr(state)

    def remote_tiles(self) -> Any:
        return self.page.locator("#grid .tile.remote")


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where screenshots go: $ROUNDS_SCREENSHOTS if set (to look at them), else tmp_path."""
    folder = Path(os.environ.get("ROUNDS_SCREENSHOTS", str(tmp_path)))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


async def poll(what: str, probe: Callable[[], Awaitable[T | None]], within: float = 10.0,
               interval: float = 0.15) -> T:
    """``probe()`` until it returns something truthy, or fail saying what did not happen."""
    deadline = time.monotonic() + within
    last: T | None = None
    while time.monotonic() < deadline:
        last = await probe()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"timed out after {within} s waiting for {what}; last: {last!r}")


async def _seed(server: LiveServer, starts_in: timedelta = timedelta(minutes=-1)) -> Cast:
    settings = Settings(
        ROUNDS_ENV=Environment.TEST, DATA_DIR=server.data_dir, DATABASE_URL=server.database_url,
        SECRET_KEY="seed-only-secret-key-0123456789abcdefghij",
    )
    services = build_services(settings)
    try:
        admin = await make_user(services, Role.ADMIN)
        host = await make_user(services, Role.FACULTY, name="Dr. Ada Host")
        names = ["Dr. Bea Learner", "Dr. Cy Learner", "Dr. Di Latecomer"]
        learners = [await make_user(services, Role.LEARNER, name=n) for n in names]
        course = await make_course(services, admin, title="Sepsis Grand Rounds",
                                   faculty_ids=[host.id])
        other = await make_course(services, admin, title="Wound Care Essentials")
        now = datetime.now(UTC)
        session = await make_live(services, admin, course, starts_at=now + starts_in,
                                  title="Hour-1 bundle, live")
        elsewhere = await make_live(services, admin, other, starts_at=now - timedelta(minutes=1),
                                    title="Dressings, live")
        async with services.unit() as unit:
            for learner in learners:
                await unit.enrollment.enroll(course.id or 0, learner.id or 0, actor=admin)
        return Cast(
            host=Person(host, host.display_name),
            learners=[Person(u, u.display_name) for u in learners],
            outsider_session_id=elsewhere.id or 0,
            session_id=session.id or 0,
        )
    finally:
        await services.close()


async def _recording_state(server: LiveServer, wanted: str) -> dict[str, Any] | None:
    settings = Settings(
        ROUNDS_ENV=Environment.TEST, DATA_DIR=server.data_dir, DATABASE_URL=server.database_url,
        SECRET_KEY="seed-only-secret-key-0123456789abcdefghij",
    )
    services = build_services(settings)
    try:
        async with services.unit() as unit:
            rows = (await unit.session.exec(select(Recording))).all()
    finally:
        await services.close()
    assert len(rows) == 1
    row = rows[0]
    assert row.state != "failed", row.error
    if row.state != wanted:
        return None
    return {"duration_seconds": row.duration_seconds or 0.0, "output_path": row.output_path}


async def _signed_in_page(browser: Any, server: LiveServer, person: Person,
                          viewport: dict[str, int]) -> Participant:
    context = await browser.new_context(viewport=viewport)
    await context.add_init_script(LOW_RESOLUTION)
    signin = await context.request.get(server.url + "/signin")
    match = re.search(r'name="csrf_token" value="([^"]+)"', await signin.text())
    assert match, "no CSRF token on the sign-in page"
    response = await context.request.post(
        server.url + "/signin",
        form={"csrf_token": match.group(1), "email": person.user.email, "password": PASSWORD,
              "next": "/dashboard"},
    )
    assert response.ok, await response.text()
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return Participant(person, context, page, errors)


async def _enter(browser: Any, server: LiveServer, cast: Cast, person: Person,
                 viewport: dict[str, int] | None = None, *, init_script: str = "",
                 join_label: str = "Join session",
                 prepare: Callable[[Any], Awaitable[None]] | None = None) -> Participant:
    """Open the room page, wait for the camera preview and press Join."""
    who = await _signed_in_page(browser, server, person,
                                viewport or {"width": 800, "height": 600})
    if init_script:
        await who.context.add_init_script(init_script)
    if prepare is not None:
        await prepare(who.page)
    response = await who.page.goto(f"{server.url}/activities/{cast.session_id}/live")
    assert response is not None and response.status == 200
    join = who.page.get_by_role("button", name=join_label)
    await join.wait_for()
    await poll("the Join button", join.is_enabled)
    await join.click()
    return who


async def _joined(who: Participant) -> None:
    await poll(f"{who.person.name} to be welcomed",
               lambda: who.js("window.roundsRoom.state() === 'joined'"))


async def _sees_and_hears(who: Participant, others: int,
                          watchers: frozenset[str] = frozenset(),
                          within: float = 15) -> list[dict[str, Any]]:
    """Every remote tile's video decodes and its audio arrives, and both keep doing so
    (``watchers``: participant ids that send nothing, whose tiles are left out)."""
    seen: list[dict[str, Any]] = []

    async def ready() -> list[dict[str, Any]] | None:
        stats = [s for s in await who.tile_stats() if s["pid"] not in watchers]
        seen[:] = stats
        good = [s for s in stats if s["frames"] > 0 and s["packets"] > 0 and s["playing"]]
        return stats if len(stats) == others and len(good) == others else None

    try:
        before = await poll(f"{who.person.name} to see and hear {others} others", ready, within)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; tiles: {seen}; {await who.diagnose()}") from None
    for _ in range(2):  # increasing, twice over: the media keeps flowing
        previous = {s["pid"]: s for s in before}

        async def moved(previous: dict[str, dict[str, Any]] = previous
                        ) -> list[dict[str, Any]] | None:
            stats = [s for s in await who.tile_stats() if s["pid"] not in watchers]
            grown = [s for s in stats if s["pid"] in previous
                     and s["frames"] > previous[s["pid"]]["frames"]
                     and s["packets"] > previous[s["pid"]]["packets"]]
            return stats if len(grown) == others else None

        try:
            before = await poll(f"{who.person.name}'s media to keep flowing", moved, 5)
        except AssertionError as exc:
            raise AssertionError(f"{exc}; before: {list(previous.values())}; now: "
                                 f"{await who.tile_stats()}; {await who.diagnose()}") from None
    return before


async def _close(people: list[Participant]) -> None:
    for who in people:
        # a context that will not close must not hide the test's own result
        with contextlib.suppress(Exception):
            await asyncio.wait_for(who.context.close(), 10)


async def test_three_join_see_and_hear_each_other_then_mute_late_join_and_leave(
    live_server: LiveServer, browser: Any, shots: Path
) -> None:
    cast = await _seed(live_server)
    people: list[Participant] = []
    try:
        # (a) a faculty host and two enrolled learners join; everyone sees and hears the others
        host = await _enter(browser, live_server, cast, cast.host,
                            {"width": 1024, "height": 720})
        people.append(host)
        await _joined(host)
        people.append(await _enter(browser, live_server, cast, cast.learners[0]))
        people.append(await _enter(browser, live_server, cast, cast.learners[1],
                                   {"width": 390, "height": 844}))  # a phone
        host, bea, cy = people
        for who in people:
            await _joined(who)
        results = await asyncio.gather(*(_sees_and_hears(who, 2) for who in people))
        for who, stats in zip(people, results, strict=True):
            names = await who.page.locator("#grid .tile.remote .tile-name").all_inner_texts()
            others = {p.person.name for p in people if p is not who}
            assert set(names) == others, (who.person.name, names)
            assert len(stats) == 2
        for who in people:
            first_name = who.person.name.split()[1].lower()
            await who.page.screenshot(path=str(shots / f"room-3-{first_name}.png"))

        # (e) Bea mutes: the others see her muted-microphone indicator, then it goes away
        bea_id = await bea.participant_id()
        mute = bea.page.get_by_role("button", name="Mute")
        await mute.click()
        assert await bea.page.get_by_role("button", name="Unmute").get_attribute(
            "aria-pressed") == "true"
        for who in (host, cy):
            indicator = who.page.locator(f'.tile[data-participant-id="{bea_id}"] .tile-mic-off')
            await indicator.wait_for(state="visible", timeout=5000)
        await host.page.screenshot(path=str(shots / "room-3-muted.png"))
        await bea.page.get_by_role("button", name="Unmute").click()
        for who in (host, cy):
            indicator = who.page.locator(f'.tile[data-participant-id="{bea_id}"] .tile-mic-off')
            await indicator.wait_for(state="hidden", timeout=5000)

        # (b) a fourth joins late and decodes the others' video soon after connecting
        di = await _enter(browser, live_server, cast, cast.learners[2])
        people.append(di)
        timing = await di.js(UNTIL_DECODED, 3)
        assert timing is not None, "the late joiner never decoded three videos"
        print(f"\nlate join: first video decoded {timing['first']:.0f} ms and all three "
              f"{timing['all']:.0f} ms after the peer connection connected")
        assert timing["all"] / 1000 < LATE_JOIN_BUDGET_S, timing
        for who in people:
            await poll(f"{who.person.name} to show three others", partial(_count_is, who, 3))
        await _sees_and_hears(di, 3)

        # (c) Cy leaves: his page says so, and the others' grids drop his tile
        cy_id = await cy.participant_id()
        await cy.page.get_by_role("button", name="Leave").click()
        await cy.page.get_by_role("heading", name="You left the session").wait_for()
        assert await cy.page.get_by_role("button", name="Rejoin").is_visible()
        for who in (host, bea, di):
            await poll(f"{who.person.name} to drop Cy's tile", partial(_count_is, who, 2))
            assert await who.page.locator(f'.tile[data-participant-id="{cy_id}"]').count() == 0
        await host.page.screenshot(path=str(shots / "room-after-leave.png"))
        await _sees_and_hears(host, 2)
        for who in people:
            assert who.errors == [], (who.person.name, who.errors)
    finally:
        await _close(people)


async def _count_is(who: Participant, n: int) -> bool:
    count: int = await who.remote_tiles().count()
    return count == n


async def _tile_count(who: Participant, participant_id: str) -> int:
    count: int = await who.page.locator(f'.tile[data-participant-id="{participant_id}"]').count()
    return count


async def test_learner_not_enrolled_in_the_course_is_refused(
    live_server: LiveServer, browser: Any
) -> None:
    cast = await _seed(live_server)
    who = await _signed_in_page(browser, live_server, cast.learners[0],
                                {"width": 800, "height": 600})
    try:
        response = await who.page.goto(
            f"{live_server.url}/activities/{cast.outsider_session_id}/live")
        assert response is not None and response.status == 403
        await who.page.get_by_role("heading", name="Not allowed").wait_for()
        assert await who.page.get_by_text("Enroll from the course page first").is_visible()
        assert await who.page.locator("#room").count() == 0
    finally:
        await _close([who])


# The browser refuses the camera and microphone, as when the person clicks "Block".
REFUSE_MEDIA = """navigator.mediaDevices.getUserMedia = () =>
  Promise.reject(new DOMException("Permission denied", "NotAllowedError"));"""


async def test_a_watch_only_viewer_and_a_screen_share(
    live_server: LiveServer, browser: Any, shots: Path
) -> None:
    cast = await _seed(live_server)
    people: list[Participant] = []
    try:
        host = await _enter(browser, live_server, cast, cast.host, {"width": 1024, "height": 720})
        people.append(host)
        await _joined(host)
        # Cy's browser refuses the camera and microphone: he is told, and joins to watch
        cy = await _signed_in_page(browser, live_server, cast.learners[1],
                                   {"width": 800, "height": 600})
        people.append(cy)
        await cy.context.add_init_script(REFUSE_MEDIA)
        await cy.page.goto(f"{live_server.url}/activities/{cast.session_id}/live")
        await cy.page.get_by_text("You did not allow the camera and microphone").wait_for()
        await cy.page.get_by_role("button", name="Join to watch and listen").click()
        bea = await _enter(browser, live_server, cast, cast.learners[0])
        people.append(bea)
        await _joined(cy)
        await _joined(bea)
        await _sees_and_hears(cy, 2)
        cy_id = await cy.participant_id()
        await _sees_and_hears(bea, 1, watchers=frozenset({cy_id}))
        cy_tile = host.page.locator(f'.tile.remote[data-participant-id="{cy_id}"]')
        await cy_tile.wait_for()
        assert "video-off" in (await cy_tile.get_attribute("class") or "")
        assert await cy.page.get_by_role("button", name="Mute").is_disabled()

        # the host shares a screen: the others switch to the presenter layout, and back
        await host.page.get_by_role("button", name="Share screen").click()
        await host.page.get_by_role("button", name="Stop sharing").wait_for()
        for who in (bea, cy):
            await who.page.locator("#presenter .tile.screen").wait_for(timeout=8000)
            assert "presenting" in (await who.page.locator("#stage").get_attribute("class") or "")
            await poll(f"{who.person.name} to decode the shared screen",
                       partial(_screen_frames, who), 8)
        await bea.page.screenshot(path=str(shots / "room-presenting.png"))

        # the host records while presenting: everyone sees it, and the recording composes
        await host.page.get_by_role("button", name="Record").click()
        for who in (host, bea, cy):
            await who.page.locator("#recording-badge").wait_for(state="visible", timeout=8000)
            assert await who.js("window.roundsRoom.recording().active") is True
        await host.page.get_by_role("button", name="Stop recording").wait_for()
        await asyncio.sleep(3.0)
        await host.page.get_by_role("button", name="Stop recording").click()
        for who in (host, bea, cy):
            await who.page.locator("#recording-badge").wait_for(state="hidden", timeout=8000)
        await host.page.get_by_role("button", name="Record").wait_for()
        await host.page.get_by_role("button", name="Stop sharing").click()
        for who in (bea, cy):
            await who.page.locator("#presenter .tile").wait_for(state="detached", timeout=8000)
            assert await who.page.locator("#presenter").is_hidden()
            assert await who.remote_tiles().count() == 2
        for who in people:
            assert who.errors == [], (who.person.name, who.errors)
    finally:
        await _close(people)
    # Chromium's own VP8 and Opus, recorded and composed in the server's job runner
    ready = await poll("the recording to be composed",
                       partial(_recording_state, live_server, "ready"), 120, 1.0)
    assert ready["duration_seconds"] > 2.5
    assert (live_server.data_dir / "media" / ready["output_path"] / "recording.mp4").is_file()


async def test_reconnects_after_the_signaling_socket_drops(
    live_server: LiveServer, browser: Any
) -> None:
    cast = await _seed(live_server)
    sockets: list[Any] = []

    async def through_test(page: Any) -> None:
        """Bea's signaling socket passes through the test, which can cut it."""
        def route(ws: Any) -> None:
            ws.connect_to_server()
            sockets.append(ws)
        await page.route_web_socket(re.compile(r"/rooms/[^/]+/ws$"), route)

    people: list[Participant] = []
    try:
        host = await _enter(browser, live_server, cast, cast.host)
        people.append(host)
        await _joined(host)
        bea = await _enter(browser, live_server, cast, cast.learners[0], prepare=through_test)
        people.append(bea)
        await _joined(bea)
        await _sees_and_hears(bea, 1)
        old_id = await bea.participant_id()
        assert len(sockets) == 1

        # the socket drops: Bea fetches a fresh token, opens a new socket and peer connection
        started = time.monotonic()
        await sockets[0].close(code=4000, reason="test cut the connection")
        await bea.page.get_by_text("Reconnecting").wait_for(timeout=5000)
        await poll("Bea to rejoin", partial(bea.js, "window.roundsRoom.state() === 'joined' && "
                                                    "window.roundsRoom.timings().connected"), 10)
        print(f"\nreconnect: joined and connected again {time.monotonic() - started:.2f} s "
              "after the socket dropped")
        new_id = await bea.participant_id()
        assert new_id != old_id and len(sockets) == 2
        await _sees_and_hears(bea, 1)
        await poll("the host to show Bea's new tile", partial(_tile_count, host, new_id))
        await poll("the host to drop Bea's old tile", partial(_count_is, host, 1))
        for who in people:
            assert who.errors == [], (who.person.name, who.errors)

        # The host receives Bea's new tracks on m-lines the SFU takes back from her old ones:
        # same SSRC, so their sequence numbers must go on where the old ones stopped, or the
        # SFU's own SRTP context refuses to protect them ("index too old").
        await _sees_and_hears(host, 1, within=6)
    finally:
        await _close(people)


async def _screen_frames(who: Participant) -> bool:
    decoded: bool = await who.js("""async () => {
      const room = window.roundsRoom, screen = room.tiles().find((t) => t.screen);
      if (!screen) return false;
      let frames = 0;
      (await room.pc().getStats()).forEach((s) => {
        if (s.type === "inbound-rtp" && s.trackIdentifier === screen.video_track)
          frames = s.framesDecoded;
      });
      return frames > 0;
    }""")
    return decoded


# The video the page sends: the track it takes frames from, and how many frames it encoded.
SENT_VIDEO = """async () => {
  let sent = null;
  (await window.roundsRoom.pc().getStats()).forEach((s) => {
    if (s.type === "outbound-rtp" && s.kind === "video") sent = s;
  });
  const source = sent && sent.mediaSourceId ? (await window.roundsRoom.pc().getStats())
    .get(sent.mediaSourceId) : null;
  return sent && {frames: sent.framesEncoded || 0, track: source ? source.trackIdentifier : null};
}"""


async def test_a_learner_waits_in_the_lobby_until_the_host_opens_then_switches_camera(
    live_server: LiveServer, browser_three_cameras: Any
) -> None:
    browser = browser_three_cameras
    cast = await _seed(live_server, starts_in=timedelta(minutes=10))
    people: list[Participant] = []
    try:
        bea = await _enter(browser, live_server, cast, cast.learners[0])
        people.append(bea)
        await bea.page.get_by_text("The session opens at").wait_for()
        assert await bea.js("window.roundsRoom.state()") == "waiting"
        host = await _enter(browser, live_server, cast, cast.host)
        people.append(host)
        await _joined(bea)  # the host's arrival opens the room: no click needed
        await _sees_and_hears(bea, 1)
        await _sees_and_hears(host, 1)

        # Bea picks another camera mid-call: the sender's track is replaced, no renegotiation
        cameras = await bea.page.eval_on_selector_all(
            "#camera-select option", "options => options.map((o) => o.value)")
        assert len(cameras) == 3
        before = await bea.js(SENT_VIDEO)
        await bea.js("""(id) => {
          const select = document.getElementById("camera-select");
          select.value = id;
          select.dispatchEvent(new Event("change"));
        }""", cameras[2])
        await bea.page.get_by_text("Camera changed.").wait_for()

        async def new_camera_sent() -> dict[str, Any] | None:
            sent: dict[str, Any] | None = await bea.js(SENT_VIDEO)
            return sent if sent and sent["track"] != before["track"] and (
                sent["frames"] > before["frames"] + 10) else None

        await poll("Bea's new camera to be sent", new_camera_sent, 8)
        await _sees_and_hears(host, 1)
        for who in people:
            assert who.errors == [], (who.person.name, who.errors)
    finally:
        await _close(people)
