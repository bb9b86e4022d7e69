"""The reminder sweeper: every ``SWEEP_SECONDS`` it asks ``courses.reminders`` who is due a
reminder, claims each one (its ``ReminderSent`` row, committed first) and mails the claimed.

It runs beside the webhook dispatcher: in the web process without ``REDIS_URL``, in each
``rounds worker`` with it. Any number of sweepers may run at once; the claim makes each
reminder go out once. A sweep that fails (the database away) is logged and the next one
tries again; a reminder is due for a while (up to 24 hours, or 15 minutes), so a missed sweep
delays it by one interval at most.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

import structlog

from app import background, notices
from app.mail import send_each
from courses.reminders import DueReminder, ReminderService

if TYPE_CHECKING:
    from app.wiring import Services

log = structlog.get_logger(__name__)

EXTRAS_KEY = "reminders"
SWEEP_SECONDS = 30.0
STOP_WAIT_SECONDS = 10.0
"""On shutdown, how long a sweep that is still mailing may go on before it is cancelled."""


class ReminderSweeper:
    def __init__(self, services: Services, *, interval: float = SWEEP_SECONDS) -> None:
        self.services = services
        self.interval = interval
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def sweep(self) -> int:
        """One pass: claim what is due now, then mail it. Returns how many went out."""
        async with self.services.unit() as unit:
            service = ReminderService(unit.session, unit.clock)
            claimed: list[DueReminder] = [r for r in await service.due()
                                          if await service.claim(r)]
        # committed: other sweepers now see these claims and leave them alone
        if not claimed:
            return 0
        now = self.services.clock.now()
        base_url = self.services.settings.public_url
        sent = 0
        for due in claimed:
            message = notices.reminder(due, base_url, now)
            went = await send_each(self.services.mailer, [message], subject=due.occasion.key,
                                   lead=due.lead.value)
            sent += went
            log.info("reminder.sent" if went else "reminder.not_sent",
                     subject=due.occasion.key, occurrence_at=due.occasion.starts_at.isoformat(),
                     lead=due.lead.value, to=due.recipient.email,
                     user_id=due.recipient.user_id, guest=due.recipient.is_guest)
        log.info("reminders.swept", claimed=len(claimed), sent=sent)
        return sent

    # -- running -----------------------------------------------------------------------------
    async def start(self) -> None:
        if self._task is not None:
            return
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(self._run(), name="reminders-sweep")
        log.info("reminders.started", interval_seconds=self.interval)

    async def _run(self) -> None:
        while not self._stop.is_set():
            try:
                await self.sweep()
            except Exception as exc:
                log.error("reminders.sweep_failed", error=repr(exc))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.interval)

    async def close(self) -> None:
        """Stop; a sweep in progress gets ``STOP_WAIT_SECONDS`` to finish its mail."""
        self._stop.set()
        task, self._task = self._task, None
        if task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(task), STOP_WAIT_SECONDS)
            except TimeoutError:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
                log.warning("reminders.sweep_cut_short")
        log.info("reminders.stopped")


async def start_reminders(services: Services) -> ReminderSweeper:
    """Start this process's sweeper (kept on ``services.extras``); the same one if it runs."""
    return await background.start_once(services, EXTRAS_KEY, ReminderSweeper)


async def stop_reminders(services: Services) -> None:
    await background.stop(services, EXTRAS_KEY, ReminderSweeper)
