"""A server process to kill -9 mid-recording (run by test_crash.py).

``python -m tests.media.recording.crash_child DIRECTORY``: a loopback SFU room with an aiortc
publisher (microphone and camera) and a second one (microphone), recorded into DIRECTORY;
prints "recording" once it has recorded for about three seconds, then records on until killed.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from media.sfu import Sfu
from tests.media.sfu.conftest import Client, info, sfu_config


async def main(directory: Path) -> None:
    sfu = Sfu(sfu_config(), lambda event: None)
    room = sfu.room("crash")
    alice = Client("alice", audio=True, video=True)
    bob = Client("bob", audio=True, loud=False)
    await alice.join(room.join("alice", info("alice", can_subscribe=False)))
    await bob.join(room.join("bob", info("bob", can_subscribe=False)))
    room.start_recording(directory, "crash-1")
    await asyncio.sleep(3.0)
    print("recording", flush=True)
    await asyncio.sleep(120.0)  # the test kills the process long before
    raise SystemExit("not killed")


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1])))
