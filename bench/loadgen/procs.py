"""Processes the bench starts, and what ``/proc`` says about them and the machine.

Every child gets ``PR_SET_PDEATHSIG`` (SIGTERM when the bench dies), and ``Child.stop`` ends
it by its own pid: SIGTERM, then SIGKILL after a grace period. Nothing else is signalled.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import os
import platform
import signal
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
_PR_SET_PDEATHSIG = 1
ROOT = Path(__file__).resolve().parents[2]
_prctl: Any = None
with contextlib.suppress(OSError, AttributeError):
    _prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up now, not in the child


NICENESS = 0
"""Given to every process ``spawn`` starts (``--nice``; below 0 needs privileges)."""


def _die_with_parent() -> None:  # runs in the child between fork and exec
    if _prctl is not None:
        _prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM))


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of the process, all its threads, from /proc/PID/stat."""
    text = Path(f"/proc/{pid}/stat").read_text()
    fields = text[text.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


def machine_cpu() -> tuple[float, float]:
    """(busy, stolen) CPU seconds of the whole machine since boot, from /proc/stat: busy is
    user, nice, system, irq and softirq time; stolen is what the hypervisor gave to other
    guests while this one wanted to run."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq) / _CLOCK_TICKS, steal / _CLOCK_TICKS


def udp_counters() -> dict[str, int]:
    """This network namespace's UDP counters (/proc/net/snmp): RcvbufErrors counts datagrams
    dropped because a socket's receive buffer was full."""
    lines = [line.split() for line in Path("/proc/net/snmp").read_text().splitlines()
             if line.startswith("Udp:")]
    if len(lines) < 2:
        return {}
    return dict(zip(lines[0][1:], (int(x) for x in lines[1][1:]), strict=False))


def memory_mb(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM (peak RSS) in MB."""
    found: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0]) / 1024
    return found


def machine() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.partition(":")[2].strip()
                break
    load = ""
    with contextlib.suppress(OSError):
        load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    versions = {}
    for name in ("aiortc", "av", "aioice", "pylibsrtp"):
        with contextlib.suppress(Exception):
            from importlib.metadata import version

            versions[name] = version(name)
    return {
        "cores": os.cpu_count() or 0,
        "cpu": model,
        "load_average": load,
        "python": platform.python_version(),
        "kernel": platform.release(),
        **versions,
    }


def load_average() -> str:
    with contextlib.suppress(OSError):
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return ""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_for_port(port: int, process: asyncio.subprocess.Process, within: float) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if process.returncode is not None:
            raise RuntimeError(f"the server exited early with code {process.returncode}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.1)
            continue
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()
        return
    raise RuntimeError(f"nothing listens on port {port} after {within:.0f} s")


@dataclass
class Child:
    """A child process; workers talk JSON lines over stdin/stdout."""

    name: str
    process: asyncio.subprocess.Process
    log: IO[bytes]
    log_path: Path
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def pid(self) -> int:
        return self.process.pid

    async def send(self, message: dict[str, Any]) -> None:
        stdin = self.process.stdin
        if stdin is None or stdin.is_closing():
            return
        stdin.write((json.dumps(message) + "\n").encode())
        with contextlib.suppress(ConnectionError):
            await stdin.drain()

    async def expect(self, event: str, within: float) -> dict[str, Any]:
        """The next line with ``event``; raises with the log's tail if the child dies."""
        stdout = self.process.stdout
        assert stdout is not None
        async with asyncio.timeout(within):
            while True:
                line = await stdout.readline()
                if not line:
                    raise RuntimeError(f"{self.name} exited: {self.tail()}")
                try:
                    message = json.loads(line)
                except ValueError:
                    continue
                self.events.append(message)
                if message.get("event") == event:
                    return dict(message)

    def tail(self, chars: int = 1500) -> str:
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace")[-chars:]
        return ""

    async def stop(self, grace: float = 8.0) -> None:
        process = self.process
        if process.returncode is None:
            with contextlib.suppress(Exception):
                await self.send({"cmd": "stop"})
                if process.stdin is not None:
                    process.stdin.close()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), grace)
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), 5)
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
        self.log.close()


async def spawn(
    name: str,
    args: list[str],
    log_dir: Path,
    env: dict[str, str] | None = None,
    pipes: bool = True,
) -> Child:
    """Start ``python ARGS`` from the repository root, stderr to a log file."""
    log_path = log_dir / f"{name}.log"
    log = log_path.open("wb")
    root = ROOT
    environment = dict(os.environ)
    environment.update(env or {})
    environment["PYTHONPATH"] = os.pathsep.join(
        [str(root)] + [p for p in environment.get("PYTHONPATH", "").split(os.pathsep) if p]
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, *args,
        stdin=asyncio.subprocess.PIPE if pipes else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE if pipes else log,
        stderr=log,
        cwd=str(root),
        env=environment,
        preexec_fn=_die_with_parent,
        limit=64 << 20,
    )
    if NICENESS:  # before the child starts any thread, which would inherit it
        os.setpriority(os.PRIO_PROCESS, process.pid, NICENESS)
    return Child(name, process, log, log_path)
