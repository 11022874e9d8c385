"""The scheduled jobs, derived from the catalogues: reminders at each fire time of the reporting
calendar (kpi.reminders.slots) and the daily alert sweep. Thin: each runs one service call.

    jobs = Jobs(database.unit_of_work, lambda: services.catalogues, writer, zone=zone,
                clock=clock)
    await jobs.catch_up()                  # on start: what was missed and is still useful
    for job in jobs.upcoming(): ...        # named, for APScheduler (scheduler/runner.py)

A job is named after what it does and when ("reminders:2022-Q1:district:-7",
"summary:2022-Q1:+1", "alerts:sweep"), so deriving the jobs again yields the same names and
replaces nothing but itself. Every run is claimed in the schedule log (name, fire time) in the
transaction that queues its messages: a fire time runs once, whichever process, restart or
catch-up reaches it first.

Catch-up: a fire time missed while the bot was down runs on start if it is still useful,
that is before the next fire time of the same series (the last one: for a day after it); only
the latest missed fire time of a series is useful, so a long outage sends one reminder, not
every missed one. The sweep is useful until the next day's.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo

from kpi.catalogue import Catalogue
from kpi.reminders import Slot, slots
from services.alerts import sweep_alerts
from services.catalogues import Catalogues
from services.notices import NoticeWriter
from services.ports import UnitOfWork
from services.reminders import run_reminders

logger = logging.getLogger(__name__)

SWEEP = "alerts:sweep"
SWEEP_AT = time(7, 30)  # local: after the quiet hours, before the 08:00 reminders


@dataclass(frozen=True, slots=True)
class Job:
    """One fire time of a named job."""

    name: str
    fire_time: datetime  # aware
    until: datetime  # useful until then (exclusive)
    catalogue: Catalogue
    slot: Slot | None = None  # None: the alert sweep

    def useful(self, now: datetime) -> bool:
        return self.fire_time <= now < self.until


def sweep_times(now: datetime, zone: tzinfo, at: time = SWEEP_AT) -> tuple[datetime, datetime]:
    """The sweep's latest fire time at or before `now` and the next one after it."""
    local = now.astimezone(zone)
    today = datetime.combine(local.date(), at, tzinfo=zone)
    if today > local:
        return today - timedelta(days=1), today
    return today, today + timedelta(days=1)


class Jobs:
    """The jobs of the loaded catalogues, and how each runs."""

    def __init__(
        self,
        unit_of_work: Callable[[], UnitOfWork],
        catalogues: Callable[[], Catalogues],
        writer: NoticeWriter,
        *,
        zone: tzinfo,
        clock: Callable[[], datetime],
        office_ids: Collection[int] = (),
        sweep_at: time | None = SWEEP_AT,
        after_sweep: Callable[[Catalogue, datetime], Awaitable[int]] | None = None,
    ) -> None:
        # after_sweep: the heads' digest of shares below target (services.sections)
        self.after_sweep = after_sweep
        self._uow = unit_of_work
        self._catalogues = catalogues
        self.writer = writer
        self.zone = zone
        self.clock = clock
        self.office_ids = tuple(office_ids)
        self.sweep_at = sweep_at
        self._slots: dict[int, tuple[Catalogue, list[Slot]]] = {}

    def _slots_of(self, catalogue: Catalogue) -> list[Slot]:
        cached = self._slots.get(catalogue.year)
        if cached is None or cached[0] is not catalogue:
            cached = (catalogue, slots(catalogue, self.zone))
            self._slots[catalogue.year] = cached
        return cached[1]

    def reminder_jobs(self) -> list[Job]:
        """Every reminder and summary fire time of every loaded catalogue, in time order."""
        found = [
            Job(slot.name, slot.at, slot.until, catalogue, slot)
            for catalogue in self._catalogues().by_year.values()
            for slot in self._slots_of(catalogue)
        ]
        return sorted(found, key=lambda j: (j.fire_time, j.name))

    def sweep_jobs(self, now: datetime) -> tuple[Job, Job] | None:
        """The sweep's last and next fire times, on the catalogue that covers today; None when
        no loaded catalogue covers today (or `sweep_at` is None: no sweep)."""
        catalogues = self._catalogues()
        if not catalogues.by_year or self.sweep_at is None:
            return None
        month = catalogues.newest.calendar.month_of(now.astimezone(self.zone).date())
        if month.year not in catalogues.by_year:
            return None
        catalogue = catalogues.by_year[month.year]
        last, following = sweep_times(now, self.zone, self.sweep_at)
        day = timedelta(days=1)
        return (
            Job(SWEEP, last, following, catalogue),
            Job(SWEEP, following, following + day, catalogue),
        )

    def due(self, now: datetime) -> list[Job]:
        """The jobs due at `now` and still useful (what a catch-up runs)."""
        found = [j for j in self.reminder_jobs() if j.useful(now)]
        sweep = self.sweep_jobs(now)
        if sweep is not None and sweep[0].useful(now):
            found.append(sweep[0])
        return found

    def upcoming(self, now: datetime) -> list[Job]:
        """The jobs still to fire after `now`: the reminders, and the next sweep."""
        found = [j for j in self.reminder_jobs() if j.fire_time > now]
        sweep = self.sweep_jobs(now)
        if sweep is not None:
            found.append(sweep[1])
        return found

    async def run(self, job: Job, now: datetime | None = None) -> int | None:
        """Run one fire time (claimed first); how many messages it queued, None when it had
        already run or is no longer useful."""
        moment = max(self.clock() if now is None else now, job.fire_time)
        if not job.useful(moment):
            logger.info("job %s of %s is no longer useful: skipped", job.name, job.fire_time)
            return None
        if job.slot is None:
            queued = await sweep_alerts(
                self._uow, job.catalogue, moment, self.writer, self.zone, job.name, job.fire_time
            )
            if queued is not None and self.after_sweep is not None:
                queued += await self.after_sweep(job.catalogue, moment)
        else:
            queued = await run_reminders(
                self._uow,
                job.catalogue,
                job.slot,
                moment,
                self.writer,
                self.zone,
                self.office_ids,
            )
        if queued is not None:
            logger.info("job %s (%s): %d messages queued", job.name, job.fire_time, queued)
        return queued

    async def catch_up(self, now: datetime | None = None) -> int:
        """Run every job due and still useful that has not run; messages queued."""
        moment = self.clock() if now is None else now
        total = 0
        for job in self.due(moment):
            total += await self.run(job, moment) or 0
        return total
