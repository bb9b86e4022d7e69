"""``rounds worker`` with the test handlers: the same ``run_worker``, in a process of its own,
configured from the environment like the real one."""

from __future__ import annotations

import asyncio

from app.settings import Settings
from app.worker import run_worker
from tests.app.jobs.handlers import TEST_HANDLERS

if __name__ == "__main__":
    asyncio.run(run_worker(Settings(), handlers=TEST_HANDLERS))
