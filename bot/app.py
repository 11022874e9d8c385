"""The composition root: settings → database, services, persistence, handlers → Application.

    application = build_application(Settings())
    application.run_polling()            # or run(settings): polling, or a webhook if configured

Starting (`initialize`, which `async with application:` and run_* call) upgrades the schema,
loads the catalogue (idempotent), reads the catalogues and publishes the command menus; stopping
(`shutdown`) closes the database if the application opened it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from telegram import Update
from telegram.ext import Application, ApplicationBuilder, Defaults

from bot.commands import publish_commands
from bot.concurrency import BOT_API_CONNECTIONS, PerChatUpdateProcessor
from bot.context import CONTEXT_TYPES, BotData, ChatData, Clock, Context, Services, UserData
from bot.handlers import MODULES, Handlers, register
from bot.health import HealthServer
from bot.persistence import StorePersistence
from bot.request import AiohttpRequest
from bot.scheduling import build_runner, submission_alerts
from bot.settings import Settings
from bot.webhook import tolerate_malformed_updates
from i18n.texts import moved_text
from scheduler.runner import Runner
from services.catalogues import Catalogues, load_into_store
from storage import Database, safe_url

logger = logging.getLogger(__name__)


class BotApplication(Application[Any, Context, UserData, ChatData, BotData, Any]):
    """An Application that prepares the store before PTB reads its persistence."""

    def __init__(self, *, services: Services, owns_database: bool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.bot_data.services = services
        self._owns_database = owns_database
        self._prepared = False
        self._runner: Runner | None = None
        self.health: HealthServer | None = None

    @property
    def services(self) -> Services:
        return self.bot_data.services

    async def initialize(self) -> None:
        if not self._prepared:
            await prepare_store(self.services)
            self._prepared = True
        if self.services.alerts is None:
            self.services.alerts = submission_alerts(self.services)
        await super().initialize()
        await publish_commands(
            self.bot, await admin_ids(self.services), self.services.settings.default_language
        )

    async def start(self) -> None:
        await super().start()
        if self.services.settings.scheduler_enabled and self._runner is None:
            self._runner = build_runner(self.services, self.bot)
            self.services.outbox_ready = self._runner.notify
            await self._runner.start()
        settings = self.services.settings
        if settings.metrics_port is not None and self.health is None:
            self.health = HealthServer(self.services, self._leading)
            await self.health.start(settings.metrics_listen, settings.metrics_port)

    def _leading(self) -> bool:
        return self._runner is not None and self._runner.leading.is_set()

    async def stop(self) -> None:
        health, self.health = self.health, None
        if health is not None:
            await health.stop()
        runner, self._runner = self._runner, None
        if runner is not None:
            self.services.outbox_ready = lambda: None
            await runner.stop()
        await super().stop()

    @property
    def runner(self) -> Runner | None:
        """The scheduler and delivery runner while started (None when disabled)."""
        return self._runner

    async def shutdown(self) -> None:
        await super().shutdown()
        if self._owns_database:
            await self.services.database.dispose()


async def prepare_store(services: Services) -> None:
    """Upgrade the schema, load the configured catalogue (a no-op when unchanged), read them."""
    database, settings = services.database, services.settings
    logger.info("database %s", safe_url(database.engine.url))
    await database.upgrade()
    report = await load_into_store(
        database.unit_of_work, settings.catalog_path, services.clock(), tell=moved_text
    )
    if report.changed:
        logger.info("catalogue %s loaded from %s", report.catalogue, settings.catalog_path)
    async with database.unit_of_work() as uow:
        services.catalogues = await Catalogues.from_store(uow)


async def admin_ids(services: Services) -> set[int]:
    """ADMIN_TELEGRAM_IDS and the administrators kept in the store."""
    async with services.database.unit_of_work() as uow:
        stored = {p.telegram_id for p in await uow.people.admins() if p.active}
    return stored | set(services.settings.admin_telegram_ids)


def build_application(
    settings: Settings,
    *,
    database: Database | None = None,
    clock: Clock | None = None,
    modules: Sequence[Handlers] | None = None,
) -> BotApplication:
    """The bot, ready to start. `database` (else one opened from settings) stays the caller's;
    `modules` replaces bot.handlers.MODULES (tests add a module of their own)."""
    owns_database = database is None
    if database is None:
        database = Database.connect(settings.database_url)
    services = Services(database=database, settings=settings)
    if clock is not None:
        services.clock = clock
    builder = (
        ApplicationBuilder()
        .token(settings.token())
        .context_types(CONTEXT_TYPES)
        .defaults(Defaults(tzinfo=settings.tzinfo))
        .persistence(StorePersistence(database.unit_of_work, autocommit=database.autocommit))
        .concurrent_updates(PerChatUpdateProcessor())  # each person in order, people at once
        .request(AiohttpRequest(BOT_API_CONNECTIONS))  # the concurrent updates' Bot API calls
        .get_updates_request(AiohttpRequest(1))
        .application_class(BotApplication, {"services": services, "owns_database": owns_database})
    )
    if settings.bot_api_base_url:
        base = settings.bot_api_base_url
        builder = builder.base_url(f"{base}/bot").base_file_url(f"{base}/file/bot")
    application = builder.build()
    if not isinstance(application, BotApplication):  # pragma: no cover (the builder's contract)
        raise TypeError("ApplicationBuilder ignored application_class")
    register(application, MODULES if modules is None else modules)
    return application


def run(settings: Settings) -> None:
    """Run until interrupted: a webhook when WEBHOOK_URL is set, long polling otherwise."""
    application = build_application(settings)
    if settings.webhook_url and settings.webhook_secret:
        path = urlsplit(settings.webhook_url).path.lstrip("/")
        logger.info("receiving updates by webhook on port %d", settings.webhook_port)
        tolerate_malformed_updates()
        application.run_webhook(
            listen=settings.webhook_listen,
            port=settings.webhook_port,
            url_path=path,
            webhook_url=settings.webhook_url,
            secret_token=settings.webhook_secret.get_secret_value(),
            allowed_updates=Update.ALL_TYPES,
        )
        return
    logger.info("receiving updates by long polling")
    application.run_polling(allowed_updates=Update.ALL_TYPES)
