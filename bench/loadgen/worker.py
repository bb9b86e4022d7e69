"""``python -m bench.loadgen.worker``: one load-generating process with many participants.

The orchestrator writes JSON lines to stdin; the first is the configuration::

    {"ws_url": "ws://127.0.0.1:PORT/rooms/ROOM/ws", "t0": <monotonic>, "deadline": <s>,
     "media": {"opus": path, "720p": path, ...}, "concurrency": 8,
     "participants": [{"name", "token", "publish", "late", "expect_streams"}, ...]}

then commands: ``{"cmd": "window", "start": t, "end": t}`` (monotonic), ``{"cmd": "late"}``
(join the late participants with the tokens it carries, answer once they have a
first frame), ``{"cmd": "report"}``,
``{"cmd": "stop"}``. Answers are JSON lines on stdout: ``{"event": "ready", ...}`` once every
participant that is not late is connected and receiving, ``{"event": "late", ...}``,
``{"event": "report", "participants": [...]}``. The process also stops on its own at the
deadline, or when stdin closes; either way its participants hang up.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from pathlib import Path
from typing import Any

from .media import Clip, load_clip
from .peer import Participant, Spec, gather_on_loopback, log_to_stderr

READY_TIMEOUT = 90.0
LATE_TIMEOUT = 10.0


def emit(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message, separators=(",", ":")) + "\n")
    sys.stdout.flush()


async def _stdin_reader() -> asyncio.StreamReader:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=1 << 20)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    return reader


async def _join_all(participants: list[Participant], concurrency: int) -> None:
    gate = asyncio.Semaphore(concurrency)

    async def one(participant: Participant) -> None:
        async with gate:
            try:
                await participant.join()
                await asyncio.wait_for(participant.connected.wait(), 30)
            except Exception as exc:
                participant.errors.append(f"join: {exc!r}"[:200])
                log_to_stderr(f"{participant.spec.name}: join failed: {exc!r}")

    await asyncio.gather(*(one(p) for p in participants))


async def _wait_ready(participants: list[Participant], within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if all(p.ready for p in participants):
            return True
        await asyncio.sleep(0.05)
    return False


async def run(config: dict[str, Any], commands: asyncio.StreamReader) -> None:
    gather_on_loopback()
    specs = [Spec(**p) for p in config["participants"]]
    wanted = {s.publish for s in specs if s.publish}
    clips: dict[str, Clip] = {}
    if wanted:
        clips["opus"] = load_clip(Path(config["media"]["opus"]))
        for name in wanted:
            clips[name] = load_clip(Path(config["media"][name]))
    participants = [
        Participant(spec, config["ws_url"], config["t0"], clips, log_to_stderr) for spec in specs
    ]
    early = [p for p in participants if not p.spec.late]
    late = [p for p in participants if p.spec.late]
    try:
        await _join_all(early, int(config.get("concurrency", 8)))
        ready = await _wait_ready(early, float(config.get("ready_timeout", READY_TIMEOUT)))
        emit({
            "event": "ready",
            "ready": ready,
            "connected": sum(p.connected.is_set() for p in early),
            "flowing": sum(p.ready for p in early),
            "participants": len(early),
            "errors": [e for p in early for e in p.errors][:5],
        })
        while True:
            line = await commands.readline()
            if not line:
                return
            command = json.loads(line)
            match command.get("cmd"):
                case "window":
                    for participant in participants:
                        participant.set_window(command["start"], command["end"])
                case "late":
                    tokens = command.get("tokens") or {}
                    for participant in late:
                        participant.spec.token = tokens.get(participant.spec.name,
                                                            participant.spec.token)
                    await _join_late(late)
                case "report":
                    emit({"event": "report", "participants": [p.report() for p in participants]})
                case "stop":
                    return
    finally:
        await asyncio.gather(*(p.close() for p in participants), return_exceptions=True)


async def _join_late(late: list[Participant]) -> None:
    await _join_all(late, len(late) or 1)
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(LATE_TIMEOUT):
            await asyncio.gather(*(p.first_frame.wait() for p in late))
    emit({"event": "late", "done": all(p.first_frame.is_set() for p in late)})


async def main() -> None:
    commands = await _stdin_reader()
    first = await commands.readline()
    if not first:
        return
    config = json.loads(first)
    try:
        async with asyncio.timeout(float(config.get("deadline", 300))):
            await run(config, commands)
    except TimeoutError:
        log_to_stderr("worker: deadline reached, stopping")


if __name__ == "__main__":
    asyncio.run(main())
