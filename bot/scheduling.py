"""Wiring the scheduler into the bot (part of the composition root, bot/app.py).

`build_runner` puts together what scheduler/ runs while this process leads: the reminder and
sweep jobs (scheduler.jobs) with the bot's notice writer, the delivery worker on the bot, the
refresh of broadcast delivery reports (every 2 s), the pruning of the processed updates older
than their duplicate window (hourly), and
the leadership (an advisory lock on PostgreSQL, this process on SQLite). SCHEDULER_ENABLED=false
leaves all of it out (a process that only answers updates).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from telegram.ext import ExtBot

from bot.context import Services
from bot.handlers.broadcast import report_renderer
from bot.notices import BotNoticeWriter
from bot.sections_text import SharesWriter
from kpi.catalogue import Catalogue
from kpi.periods import Period
from scheduler.broadcast_report import refresh_reports
from scheduler.delivery import DeliveryWorker
from scheduler.jobs import Jobs
from scheduler.runner import Periodic, Runner
from services.alerts import SubmissionAlerts
from services.sections import queue_digests
from services.updates import PRUNE_EVERY, prune_processed_updates
from storage.leader import leader_for

REPORT_EVERY = 2.0  # seconds between two refreshes of the broadcasts' delivery reports


def notice_writer(services: Services) -> BotNoticeWriter:
    return BotNoticeWriter(services.settings.default_language)


def submission_alerts(services: Services) -> SubmissionAlerts:
    """The alert check every submission runs in its transaction."""
    return SubmissionAlerts(notice_writer(services), services.settings.tzinfo)


def share_digests(services: Services) -> Callable[[Catalogue, datetime], Awaitable[int]]:
    """The heads' daily digest of the shares below target this quarter (Article 2.1)."""

    async def digests(catalogue: Catalogue, moment: datetime) -> int:
        today = moment.astimezone(services.settings.tzinfo).date()
        month = catalogue.calendar.month_of(today)
        quarter = Period.quarter(month.year, month.quarter_number)
        if quarter.year != catalogue.year:
            return 0
        return await queue_digests(
            services.database.unit_of_work,
            catalogue,
            quarter,
            moment,
            SharesWriter(),
            services.settings.default_language,
        )

    return digests


def build_runner(services: Services, bot: ExtBot[None]) -> Runner:
    """The scheduler and the delivery worker, led by one process at a time."""
    settings = services.settings
    database = services.database

    def clock() -> datetime:  # read at each call: tests and the sandbox replace the clock
        return services.clock()

    jobs = Jobs(
        database.unit_of_work,
        lambda: services.catalogues,
        notice_writer(services),
        zone=settings.tzinfo,
        clock=clock,
        office_ids=settings.admin_telegram_ids,
        after_sweep=share_digests(services),
    )
    render = report_renderer(services)

    async def refresh() -> int:
        return await refresh_reports(database.unit_of_work, bot, render, clock=clock)

    async def prune() -> int:
        return await prune_processed_updates(database.unit_of_work, clock())

    return Runner(
        leader_for(database.engine),
        jobs,
        lambda: DeliveryWorker(
            database.unit_of_work, bot, clock=clock, observe=services.metrics.delivery
        ),
        zone=settings.tzinfo,
        retry=settings.scheduler_retry_seconds,
        periodic=[
            Periodic("broadcast-reports", REPORT_EVERY, refresh),
            Periodic("processed-updates-prune", PRUNE_EVERY, prune),
        ],
        observe_job=services.metrics.job,
    )
