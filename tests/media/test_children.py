"""A child started with ``die_with_parent`` does not outlive a parent killed with kill -9; a
``background`` child also runs at a lower priority than its parent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.services import unavailable

PARENT = """
import asyncio, sys
from media.children import die_with_parent

async def main():
    child = await asyncio.create_subprocess_exec(
        "sleep", "60", preexec_fn=die_with_parent(), start_new_session=True)
    print(child.pid, flush=True)
    await asyncio.sleep(60)

asyncio.run(main())
"""


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "State:\tZ" in status.read_text())


def test_a_child_dies_with_its_killed_parent() -> None:
    if sys.platform != "linux":
        unavailable("Linux's PR_SET_PDEATHSIG")
    root = Path(__file__).resolve().parents[2]
    parent = subprocess.Popen([sys.executable, "-c", PARENT], cwd=root,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        assert alive(child)
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        deadline = time.monotonic() + 5
        while alive(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not alive(child)
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()


def test_a_background_child_yields_the_cpu_to_its_parent() -> None:
    import asyncio

    from media.children import BACKGROUND_NICENESS, background

    async def niceness_of_child() -> int:
        child = await asyncio.create_subprocess_exec(
            "sh", "-c", "cut -d' ' -f19 /proc/self/stat", preexec_fn=background(),
            stdout=asyncio.subprocess.PIPE)
        out, _ = await child.communicate()
        return int(out)

    assert asyncio.run(niceness_of_child()) == os.nice(0) + BACKGROUND_NICENESS
