"""Child processes (FFmpeg) that die with the process that started them.

Cancelling a job kills its FFmpeg explicitly; this covers the case nothing can handle, the
parent itself killed (kill -9, out of memory): on Linux the kernel then sends the child SIGKILL
(``PR_SET_PDEATHSIG``), so no orphan keeps encoding into a folder a retry will use.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Callable

_PR_SET_PDEATHSIG = 1


def _load_prctl() -> Callable[..., int] | None:
    """libc's prctl, looked up at import: the child between fork and exec must not load a
    library (another thread of the parent may hold the loader's lock at the fork)."""
    if sys.platform != "linux":
        return None
    try:
        prctl: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return prctl


_PRCTL = _load_prctl()


BACKGROUND_NICENESS = 10
"""Batch work (composing, transcoding) yields the CPU to live rooms on the same machine."""


def _die_with_parent() -> None:  # runs in the child between fork and exec
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, int(signal.SIGKILL))


def _background() -> None:  # runs in the child between fork and exec
    _die_with_parent()
    os.nice(BACKGROUND_NICENESS)


def die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` for ``asyncio.create_subprocess_exec`` (None where unsupported)."""
    return _die_with_parent if _PRCTL is not None else None


def background() -> Callable[[], None]:
    """A ``preexec_fn`` for batch children: they die with the parent and run at a lower
    priority than the process that started them (which may be forwarding live media)."""
    return _background
