"""A real Rounds server in a subprocess, and Debian's headless Chromium driven by Playwright."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from app import migrate
from tests import services as svc

# What Chromium needs on this closed network (see shared/WEBRTC-TESTING.md).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",
    # Real loopback addresses in ICE candidates instead of mDNS names aioice cannot resolve.
    "--disable-features=WebRtcHideLocalIpsWithMdns",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class LiveServer:
    url: str
    database_url: str
    data_dir: Path
    log: Path


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """``rounds serve`` on a free loopback port over a fresh SQLite database."""
    data_dir = tmp_path / "data"
    database_url = f"sqlite:///{data_dir / 'rounds.db'}"
    migrate.upgrade(database_url)
    port = _free_port()
    log = tmp_path / "server.log"
    env = {
        **os.environ,
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": database_url,
        "SEED_DEMO": "false",
        "ROUNDS_ENV": "test",
        "SECRET_KEY": "browser-test-secret-key-0123456789abcdef",
        "LOG_FORMAT": "json",
        # The SFU gathers its host candidate on loopback, where the browsers are.
        "RTC_HOST_ADDRESSES": "127.0.0.1",
    }
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("server did not start:\n" + log.read_text()[-3000:])
            time.sleep(0.2)
        yield LiveServer(url, database_url, data_dir, log)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@asynccontextmanager
async def _chromium(args: list[str]) -> AsyncIterator[object]:
    path = svc.chromium_path()
    if path is None:
        svc.unavailable(f"Chromium at {svc.CHROMIUM} (apt-get install chromium)")
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=path, args=args)
        try:
            yield chromium
        finally:
            await asyncio.wait_for(chromium.close(), 20)


@pytest.fixture
async def browser() -> AsyncIterator[object]:
    async with _chromium(CHROMIUM_ARGS) as chromium:
        yield chromium


@pytest.fixture
async def browser_three_cameras() -> AsyncIterator[object]:
    """Chromium with three fake cameras: 0 sends I420, 1 is a Y16 depth camera (WebRTC cannot
    send its frames: the sender stays silent), 2 sends MJPEG."""
    fake = "--use-fake-device-for-media-stream"
    args = [a for a in CHROMIUM_ARGS if a != fake] + [f"{fake}=device-count=3"]
    async with _chromium(args) as chromium:
        yield chromium
