"""A learner replays a published recording in Debian's headless Chromium against a real server:
hls.js loads the ladder, the quality menu lists its rungs, a chapter seeks, playback reaches
the end, and the server's watch progress holds what was played and not what was skipped."""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import av
import imageio_ffmpeg
import pytest

from app.assets import AssetsError, install, player_path
from app.settings import Environment, Settings
from app.wiring import build_services
from courses.models import Recording, Role
from courses.watching import WatchState
from tests import services as svc
from tests.browser.conftest import CHROMIUM_ARGS, LiveServer
from tests.factories.catalog import make_course
from tests.factories.people import PASSWORD, make_user

pytestmark = pytest.mark.browser

SECONDS = 12
OUTPUT = "recordings/replay-test/out"


def make_ladder(folder: Path) -> float:
    """12 s of testsrc2 and a tone as the compose job leaves them: an HLS ladder of two rungs
    (360p, 540p; 2 s keyframes, 6 s fMP4 segments, VOD), the MP4 and a poster. Returns the
    MP4's duration as PyAV reads it."""
    folder.mkdir(parents=True)
    hls = folder / "hls"
    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    source = ["-f", "lavfi", "-i", f"testsrc2=size=960x540:rate=15:duration={SECONDS}",
              "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={SECONDS}"]
    video = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "30",
             "-keyint_min", "30", "-sc_threshold", "0"]
    run = [ffmpeg, "-hide_banner", "-loglevel", "error", "-y"]
    subprocess.run([
        *run, *source, "-filter_complex", "[0:v]split=2[a][b];[a]scale=640:360[v0];[b]null[v1]",
        "-map", "[v0]", "-map", "1:a", "-map", "[v1]", "-map", "1:a", *video,
        "-b:v:0", "300k", "-b:v:1", "600k", "-c:a", "aac", "-b:a", "64k",
        "-f", "hls", "-hls_time", "6", "-hls_playlist_type", "vod",
        "-hls_segment_type", "fmp4", "-hls_fmp4_init_filename", "init.mp4",
        "-master_pl_name", "master.m3u8",
        "-var_stream_map", "v:0,a:0,name:360p v:1,a:1,name:540p",
        "-hls_segment_filename", str(hls / "%v" / "seg%03d.m4s"),
        str(hls / "%v" / "index.m3u8"),
    ], check=True, timeout=120)
    mp4 = folder / "recording.mp4"
    subprocess.run([*run, *source, *video, "-b:v", "600k", "-c:a", "aac", "-b:a", "64k",
                    "-movflags", "+faststart", str(mp4)], check=True, timeout=120)
    subprocess.run([*run, "-ss", "1", "-i", str(mp4), "-frames:v", "1",
                    str(folder / "poster.jpg")], check=True, timeout=60)
    with av.open(str(mp4)) as container:
        assert container.duration is not None
        return float(container.duration / av.time_base)


def settings_for(server: LiveServer) -> Settings:
    return Settings(ROUNDS_ENV=Environment.TEST, DATA_DIR=server.data_dir,
                    DATABASE_URL=server.database_url,
                    SECRET_KEY="seed-only-secret-key-0123456789abcdefghij")


async def seed(server: LiveServer) -> dict[str, Any]:
    duration = make_ladder(server.data_dir / "media" / OUTPUT)
    services = build_services(settings_for(server))
    try:
        admin = await make_user(services, Role.ADMIN)
        learner = await make_user(services, Role.LEARNER, name="Dr. Sam Okafor")
        course = await make_course(services, admin, title="Sepsis Recognition in the ED")
        async with services.unit() as unit:
            await unit.enrollment.enroll(course.id or 0, learner.id or 0, actor=learner)
            now = services.clock.now()
            recording = Recording(
                room_id="activity-1", course_id=course.id, title="Hour-1 bundle workshop",
                state="ready", raw_path="recordings/replay-test/raw", output_path=OUTPUT,
                started_at=now, stopped_at=now, duration_seconds=duration,
                created_at=now, updated_at=now)
            unit.session.add(recording)
            await unit.session.flush()
            await unit.recordings.publish(recording.id or 0, admin, {
                "chapters": "0:00 Recognition\n0:07 The bundle"})
        return {"learner": learner, "recording": recording, "duration": duration}
    finally:
        await services.close()


async def progress(server: LiveServer, recording: Recording, user_id: int) -> WatchState:
    services = build_services(settings_for(server))
    try:
        async with services.unit() as unit:
            return await unit.watching.progress(recording, user_id)
    finally:
        await services.close()


async def wait_until(page: Any, expression: str, within: float = 15) -> None:
    """Poll ``expression`` in the page until it is truthy. (Playwright's wait_for_function
    evaluates strings with eval, which the page's Content-Security-Policy refuses.)"""
    deadline = time.monotonic() + within
    while not await page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {within} s: {expression}")
        await asyncio.sleep(0.1)


@pytest.fixture(scope="module")
def hls_player() -> Path:
    """static/vendor/hls/hls.min.js, installed with `rounds assets` if it is not there yet."""
    if not player_path().is_file():
        try:
            install()
        except AssetsError as exc:
            pytest.fail(f"`rounds assets` could not install hls.js: {exc}")
    return player_path()


@pytest.fixture
async def chromium() -> AsyncIterator[Any]:
    path = svc.chromium_path()
    if path is None:
        svc.unavailable(f"Chromium at {svc.CHROMIUM} (apt-get install chromium)")
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=path,
            args=[*CHROMIUM_ARGS, "--autoplay-policy=no-user-gesture-required"])
        try:
            yield browser
        finally:
            await asyncio.wait_for(browser.close(), 20)


async def test_learner_replays_with_hls_js_and_the_server_counts_what_was_played(
    hls_player: Path, live_server: LiveServer, chromium: Any, tmp_path: Path
) -> None:
    seeded = await seed(live_server)
    recording: Recording = seeded["recording"]
    duration: float = seeded["duration"]
    assert abs(duration - SECONDS) < 0.2
    context = await chromium.new_context(viewport={"width": 1024, "height": 768})
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(f"{msg.text} at {msg.location.get('url')}")
            if msg.type == "error" and "favicon" not in str(msg.location) else None)
    try:
        await page.goto(live_server.url + "/signin")
        await page.get_by_label("Email").fill(seeded["learner"].email)
        await page.get_by_label("Password").fill(PASSWORD)
        await page.get_by_role("button", name="Sign in").click()
        await page.wait_for_url(live_server.url + "/dashboard")

        await page.goto(f"{live_server.url}/recordings/{recording.id}")
        await wait_until(page, "window.roundsReplay && window.roundsReplay.levels().length === 2")
        assert await page.evaluate("window.roundsReplay.mode()") == "hls.js"
        assert await page.evaluate("typeof window.Hls") == "function"
        quality = page.get_by_label("Quality")
        options = await quality.locator("option").all_inner_texts()
        assert [o.split(" ")[0] for o in options] == ["Auto", "540p", "360p"]
        await quality.select_option(label=options[2])  # 360p, chosen by hand
        level_360 = await page.evaluate(
            "window.roundsReplay.levels().find((l) => l.height === 360).index")
        await wait_until(page, f"window.roundsReplay.level() === {level_360}")
        await quality.select_option("-1")  # back to Auto

        await page.evaluate("""() => { const v = document.getElementById('replay-video');
            v.muted = true; return v.play(); }""")
        await wait_until(page, "document.getElementById('replay-video').currentTime >= 3")
        # Skip from ~3 s to the second chapter at 7 s with the chapter list.
        await page.get_by_role("button", name="0:07 The bundle").click()
        await wait_until(page, "document.getElementById('replay-video').ended", within=30)
        assert await page.get_by_role("button", name="0:07 The bundle").get_attribute(
            "aria-current") == "true"

        deadline = time.monotonic() + 10
        state = await progress(live_server, recording, seeded["learner"].id)
        while time.monotonic() < deadline and (
                state.position_seconds < duration - 0.5 or len(state.intervals) < 2):
            await asyncio.sleep(0.25)
            state = await progress(live_server, recording, seeded["learner"].id)
        await page.screenshot(path=str(tmp_path / "replay.png"), full_page=True)
        (first, second) = state.intervals
        # played from 0 to the click just after 3 s (the last timeupdate before the seek)
        assert first[0] < 0.5 and 2.5 <= first[1] < 5.0, state.intervals
        assert 6.9 <= second[0] <= 7.3 and second[1] >= duration - 0.3, state.intervals
        played = (first[1] - first[0]) + (second[1] - second[0])
        assert state.watched_seconds == pytest.approx(played, abs=0.01)
        assert 7.0 < played < 9.0
        assert state.watched_seconds < duration - 2  # the skipped part earned nothing
        assert state.clipped_seconds == 0
        shown = await page.locator("#watched-percent").inner_text()
        assert shown == f"{round(state.percent)} %"
        assert errors == []
    finally:
        await context.close()
