"""Child processes (FFmpeg) that live and die with the job that started them.

Cancelling an asyncio task does not stop a process it started: ``run_process`` kills the
child when the job is cancelled, times out or fails, and on Linux the kernel kills it too if
the worker itself is killed (``PR_SET_PDEATHSIG``), so no orphan keeps encoding.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import structlog

from media.children import die_with_parent

log = structlog.get_logger(__name__)

# What a failure message keeps of the child's stderr: FFmpeg prints the error last.
STDERR_TAIL_CHARS = 64 * 1024
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class ProcessFailed(Exception):
    """The child exited with a non-zero status; the message ends with its stderr."""

    def __init__(self, argv: Sequence[str], returncode: int, stderr: str) -> None:
        self.argv = list(argv)
        self.returncode = returncode
        self.stderr = stderr
        program = self.argv[0].rsplit("/", 1)[-1] if self.argv else "process"
        super().__init__(f"{program} exited with status {returncode}:\n{stderr.strip()}")


@dataclass(frozen=True)
class Finished:
    returncode: int
    stderr: str


async def _kill(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()


async def run_process(
    argv: Sequence[str],
    *,
    on_stderr_line: Callable[[str], Awaitable[None]] | None = None,
    check: bool = True,
) -> Finished:
    """Run ``argv`` to the end, reading its stderr line by line (FFmpeg reports progress
    there) into ``on_stderr_line``. Raises ProcessFailed on a non-zero exit when ``check``.
    If the awaiting task is cancelled, the child is killed and reaped before the
    cancellation propagates."""
    proc = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        preexec_fn=die_with_parent(),
    )
    log.debug("job.process_started", pid=proc.pid, program=argv[0])
    tail = ""
    pending = ""
    try:
        assert proc.stderr is not None
        # Chunks, not readline(): FFmpeg ends its status lines with \r, and one "line" of
        # those could outgrow the reader's limit.
        while chunk := await proc.stderr.read(16384):
            text = chunk.decode("utf-8", "replace")
            tail = (tail + text)[-STDERR_TAIL_CHARS:]
            *lines, pending = _LINE_BREAK.split(pending + text)
            pending = pending[-STDERR_TAIL_CHARS:]
            if on_stderr_line is not None:
                for line in lines:
                    if line:
                        await on_stderr_line(line)
        if pending and on_stderr_line is not None:
            await on_stderr_line(pending)
        returncode = await proc.wait()
    except BaseException:
        await asyncio.shield(_kill(proc))
        raise
    if check and returncode != 0:
        raise ProcessFailed(argv, returncode, tail)
    return Finished(returncode, tail)
