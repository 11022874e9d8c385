"""Running the scheduler and the delivery worker in the process that leads.

    runner = Runner(leader_for(engine), jobs, lambda: DeliveryWorker(...), zone=zone)
    await runner.start()      # tries to lead now, then every `retry` seconds
    runner.notify()           # something was queued: the worker looks at the outbox now
    await runner.stop()       # stops the jobs and the worker, releases the lead

While it leads, the runner (1) makes up the fire times missed while no process led
(scheduler.jobs.Jobs.catch_up), (2) puts every later fire time into APScheduler's
AsyncIOScheduler as a named one-off job (`replace_existing`: deriving them again replaces each
by itself), the daily sweep re-arming itself and re-deriving the jobs after each run, and (3)
runs the delivery worker. It checks its lead every `check` seconds and stops everything when it
is lost; a standby process that gets the lead then does the same, and the schedule log keeps
every fire time from running twice.

APScheduler keeps wall-clock time; the bot's clock may be shifted (the sandbox runs in 2022 at
the wall clock's pace), so each fire time is converted by the clock's offset from the wall
clock when it is scheduled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger

from scheduler.jobs import Job, Jobs
from scheduler.leader import Leader

logger = logging.getLogger(__name__)


class Worker(Protocol):
    """What the runner needs of scheduler.delivery.DeliveryWorker."""

    def notify(self) -> None: ...

    async def run(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Periodic:
    """A chore the leader runs every `seconds` (e.g. refreshing broadcast delivery reports)."""

    name: str
    seconds: float
    run: Callable[[], Awaitable[object]]


def wall_clock() -> datetime:
    return datetime.now(UTC)


class Runner:
    """Leads when it can: the jobs and the delivery worker run only while it leads."""

    def __init__(
        self,
        leader: Leader,
        jobs: Jobs,
        worker: Callable[[], Worker] | None,
        *,
        zone: tzinfo,
        retry: float = 5.0,
        check: float = 5.0,
        wall: Callable[[], datetime] = wall_clock,
        periodic: Sequence[Periodic] = (),
        observe_job: Callable[[str, str, float], None] | None = None,
    ) -> None:
        self.leader = leader
        self.jobs = jobs
        self._make_worker = worker
        self.zone = zone
        self.retry = retry
        self.check = check
        self._wall = wall
        self.periodic = tuple(periodic)
        self._observe_job = observe_job  # (name, ok|failed, seconds late) of each run
        self.leading = asyncio.Event()  # set while this process leads (tests wait on it)
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._worker: Worker | None = None
        self._scheduler: AsyncIOScheduler | None = None

    # --- the public face

    async def start(self) -> None:
        if self._task is None:
            self._stopping.clear()
            self._task = asyncio.create_task(self._main(), name="scheduler-runner")

    async def stop(self) -> None:
        self._stopping.set()
        task, self._task = self._task, None
        if task is not None:
            await task

    def notify(self) -> None:
        """Messages were queued: wake the delivery worker (if this process leads)."""
        if self._worker is not None:
            self._worker.notify()

    def scheduled(self) -> dict[str, datetime]:
        """The APScheduler jobs now waiting, by name, with their (bot clock) fire times."""
        if self._scheduler is None:
            return {}
        return {job.id: job.args[0].fire_time for job in self._scheduler.get_jobs()}

    # --- leading

    async def _main(self) -> None:
        while not self._stopping.is_set():
            if await self.leader.acquire():
                try:
                    await self._lead()
                finally:
                    await self.leader.release()
            if not self._stopping.is_set():
                await self._pause(self.retry)

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    async def _lead(self) -> None:
        logger.info("this process leads: scheduler and delivery start")
        worker_task: asyncio.Task[None] | None = None
        if self._make_worker is not None:
            self._worker = self._make_worker()
            worker_task = asyncio.create_task(self._worker.run(), name="delivery-worker")
        self._scheduler = AsyncIOScheduler(
            timezone=self.zone,
            job_defaults={"coalesce": True, "misfire_grace_time": None, "max_instances": 1},
        )
        chores = [
            asyncio.create_task(self._every(chore), name=chore.name) for chore in self.periodic
        ]
        try:
            await self._catch_up()
            self._schedule()
            self._scheduler.start()
            self.leading.set()
            while not self._stopping.is_set():
                await self._pause(self.check)
                if worker_task is not None and worker_task.done():
                    worker_task = self._restart_worker(worker_task)
                if not self._stopping.is_set() and not await self.leader.holds():
                    logger.warning("the lead is lost: scheduler and delivery stop")
                    break
        finally:
            self.leading.clear()
            if self._scheduler.running:
                self._scheduler.shutdown(wait=False)
            self._scheduler = None
            self._worker = None
            for chore in chores:
                chore.cancel()
            if worker_task is not None:
                worker_task.cancel()
            for task in (*chores, worker_task):
                if task is not None:
                    with contextlib.suppress(asyncio.CancelledError):
                        await task

    async def _every(self, chore: Periodic) -> None:
        """Run the chore, then again every `chore.seconds`, until cancelled; a failure is
        logged and the next round runs."""
        while True:
            try:
                await chore.run()
            except Exception:
                logger.exception("%s failed", chore.name)
            await asyncio.sleep(chore.seconds)

    def _restart_worker(self, finished: asyncio.Task[None]) -> asyncio.Task[None]:
        if not finished.cancelled() and finished.exception() is not None:
            logger.error("the delivery worker stopped", exc_info=finished.exception())
        assert self._make_worker is not None
        self._worker = self._make_worker()
        return asyncio.create_task(self._worker.run(), name="delivery-worker")

    async def _catch_up(self) -> None:
        try:
            queued = await self.jobs.catch_up()
        except Exception:
            logger.exception("catching up the missed jobs failed")
            return
        if queued:
            logger.info("caught up: %d messages queued", queued)
            self.notify()

    def _schedule(self) -> None:
        """Put every later fire time into APScheduler (each by its name, replaced)."""
        scheduler = self._scheduler
        if scheduler is None:
            return
        now = self.jobs.clock()
        offset = now - self._wall()
        for job in self.jobs.upcoming(now):
            scheduler.add_job(
                self._fire,
                trigger=DateTrigger(run_date=job.fire_time - offset, timezone=self.zone),
                args=[job],
                id=job.name,
                name=job.name,
                replace_existing=True,
            )

    async def _fire(self, job: Job) -> None:
        late = (self.jobs.clock() - job.fire_time).total_seconds()
        outcome = "ok"
        try:
            queued = await self.jobs.run(job)
        except Exception:
            logger.exception("job %s of %s failed", job.name, job.fire_time)
            queued, outcome = None, "failed"
        if self._observe_job is not None:
            self._observe_job(job.name, outcome, late)
        if queued:
            self.notify()
        if job.slot is None:  # the daily sweep: re-derive everything, the next sweep included
            self._schedule()


__all__ = ["Periodic", "Runner", "Worker"]
