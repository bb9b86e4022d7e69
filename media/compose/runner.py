"""Running one FFmpeg command as an asyncio child: progress, cancellation, readable errors.

Progress comes from ``-progress pipe:1`` (``out_time_us`` against the known duration).
Cancelling the awaiting task kills the child and waits for it, so no FFmpeg outlives its job.
A failure becomes a ``ComposeError`` carrying the last meaningful lines of FFmpeg's stderr; a
full disk says so, and where.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import re
import shutil
from collections import deque
from collections.abc import Callable
from pathlib import Path

import structlog

from media.children import background

from .errors import ComposeError

log = structlog.get_logger(__name__)

STDERR_LINES = 8
_NOISE = re.compile(
    r"Conversion failed!|Exiting normally|^\s*$|Task finished with error code|"
    r"Terminating thread with return code|Could not open encoder before EOF|"
    r"Nothing was written into output file|Error sending frames to consumers|"
    r"Error while filtering|Error while processing the decoded data"
)
"""The cascade FFmpeg prints after the error that matters."""
_ADDRESS = re.compile(r" @ 0x[0-9a-f]+")
_NO_SPACE = "No space left on device"


def disk_full_error(where: Path | str, stage: str) -> ComposeError:
    path = Path(where)
    folder = path if path.is_dir() else path.parent
    free = ""
    with contextlib.suppress(OSError):
        free = f" ({shutil.disk_usage(folder).free // 2**20} MiB free there now)"
    return ComposeError(
        f"The disk is full: writing {path} failed with 'No space left on device'{free}. "
        "Free some space on that disk (or give composition another output folder) and run "
        "the job again; the raw recording is kept.",
        stage,
    )


def os_error(exc: OSError, stage: str, where: Path) -> ComposeError:
    """A ``ComposeError`` for a failed write of ours (the disk full, or another reason)."""
    if exc.errno == errno.ENOSPC:
        return disk_full_error(exc.filename or where, stage)
    return ComposeError(f"Could not write {exc.filename or where}: {exc.strerror}.", stage)


STALL_SECONDS = 60.0
"""FFmpeg writes a progress block every half second (``-progress``), stuck or not; when its
``out_time_us`` and ``frame`` stop moving this long it is taken to be stuck (seen here, rarely:
every thread of it waiting on another while its main thread goes on reporting) and is killed,
then run once more."""


class FFmpegStalled(ComposeError):
    """FFmpeg stopped making progress and was killed."""


async def run_ffmpeg(
    args: list[str],
    *,
    stage: str,
    duration: float,
    output: Path,
    on_progress: Callable[[float], None] | None = None,
    stall_seconds: float | None = None,
) -> None:
    """Run ``args`` (``args[0]`` the binary) to completion. ``on_progress`` gets the fraction
    done (0..1). ``output`` names the main file written, for messages. A run that stalls is
    killed and tried once more (FFmpeg overwrites its outputs)."""
    stall = STALL_SECONDS if stall_seconds is None else stall_seconds
    try:
        await _run_once(args, stage=stage, duration=duration, output=output,
                        on_progress=on_progress, stall=stall)
    except FFmpegStalled:
        log.warning("compose.ffmpeg_stalled", stage=stage, seconds=stall, retry=True)
        await _run_once(args, stage=stage, duration=duration, output=output,
                        on_progress=on_progress, stall=stall)


async def _run_once(
    args: list[str],
    *,
    stage: str,
    duration: float,
    output: Path,
    on_progress: Callable[[float], None] | None,
    stall: float,
) -> None:
    try:
        process = await asyncio.create_subprocess_exec(
            *args,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
            preexec_fn=background(),
        )
    except (FileNotFoundError, PermissionError) as exc:
        raise ComposeError(
            f"Cannot run FFmpeg at {args[0]} ({exc.strerror}). Point the ffmpeg setting at an "
            "ffmpeg binary (imageio-ffmpeg installs one).",
            stage,
        ) from exc
    log.info("compose.ffmpeg_started", stage=stage, pid=process.pid)
    tail: deque[str] = deque(maxlen=60)
    loop = asyncio.get_running_loop()
    heard = [loop.time()]
    stalled = asyncio.Event()

    async def watch() -> None:
        while True:
            await asyncio.sleep(min(1.0, stall / 4))
            if loop.time() - heard[0] > stall:
                break
        stalled.set()
        with contextlib.suppress(ProcessLookupError):
            process.kill()

    seen: dict[str, str] = {}

    async def read_progress() -> None:
        assert process.stdout is not None
        async for raw in process.stdout:
            line = raw.decode(errors="replace").strip()
            key, _, value = line.partition("=")
            if key in ("out_time_us", "frame", "total_size", "progress") and \
                    seen.get(key) != value:
                seen[key] = value
                heard[0] = loop.time()  # it moved
            if line.startswith("out_time_us=") and on_progress is not None and duration > 0:
                with contextlib.suppress(ValueError):
                    done = int(line.partition("=")[2]) / 1e6 / duration
                    on_progress(min(max(done, 0.0), 1.0))

    async def read_errors() -> None:
        assert process.stderr is not None
        async for raw in process.stderr:
            tail.append(raw.decode(errors="replace").rstrip())

    readers = asyncio.gather(read_progress(), read_errors())
    watchdog = loop.create_task(watch())
    try:
        await readers
        code = await process.wait()
    except BaseException:
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            log.info("compose.ffmpeg_killed", stage=stage, pid=process.pid)
        readers.cancel()
        with contextlib.suppress(BaseException):
            await asyncio.shield(process.wait())
        raise
    finally:
        watchdog.cancel()
    if stalled.is_set():
        raise FFmpegStalled(
            f"FFmpeg made no progress for {stall:g} s while writing {output.name} and was "
            "stopped.", stage)
    if code == 0:
        return
    lines = [_ADDRESS.sub("", line) for line in tail if not _NOISE.search(line)]
    if any(_NO_SPACE in line for line in lines):
        raise disk_full_error(output, stage)
    detail = "\n".join(lines[-STDERR_LINES:]) or f"exit status {code}"
    log.warning("compose.ffmpeg_failed", stage=stage, code=code, stderr=detail)
    raise ComposeError(
        f"FFmpeg failed while writing {output.name} (exit status {code}). Its last words:\n"
        f"{detail}",
        stage,
    )

