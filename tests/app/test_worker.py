"""The worker process starts, reports itself, runs SAQ's worker when Redis is configured,
and stops cleanly on SIGTERM or SIGINT. (Jobs through it: tests/app/jobs/test_redis.py.)"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from tests import services as svc


def _start(tmp_path: Path, **extra: str) -> tuple[subprocess.Popen[bytes], Path]:
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DATA_DIR": str(tmp_path / "data"),
        "SECRET_KEY": "worker-test-secret-key-0123456789abcdefgh",
        "LOG_FORMAT": "json",
        **extra,
    }
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "worker"], env=env, stdout=out,
            stderr=subprocess.STDOUT,
        )
    return proc, log


def _wait_for(log: Path, text: str, proc: subprocess.Popen[bytes], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while text not in log.read_text():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"{text!r} never logged:\n{log.read_text()[-2000:]}")
        time.sleep(0.1)


def test_worker_starts_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    proc, log = _start(tmp_path)
    _wait_for(log, "worker.started", proc)
    assert "worker.no_redis" in log.read_text()  # without Redis, jobs run in the web process
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(15) == 0
    assert "worker.stopped" in log.read_text()


@pytest.mark.redis
def test_worker_heartbeats_into_redis_and_clears_on_exit(tmp_path: Path) -> None:
    if not svc.redis_reachable():
        svc.unavailable("Redis at 127.0.0.1:6379")
    proc, log = _start(tmp_path, REDIS_URL=svc.REDIS_URL)
    client = redis.Redis.from_url(svc.REDIS_URL)
    try:
        _wait_for(log, "worker.started", proc)
        key = f"rounds:workers:*:{proc.pid}"
        deadline = time.monotonic() + 10
        while not list(client.scan_iter(key)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert list(client.scan_iter(key)), "no heartbeat key in Redis"
        assert '"event": "jobs.started"' in log.read_text()  # SAQ's worker runs the jobs
        proc.send_signal(signal.SIGINT)
        assert proc.wait(15) == 0
        assert list(client.scan_iter(key)) == []
        assert '"event": "jobs.stopped"' in log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
        client.close()
