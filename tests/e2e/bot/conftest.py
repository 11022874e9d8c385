"""The real bot over HTTP against the emulator, on a fresh database of each backend.

    async def test_something(bot: BotDriver) -> None:
        answer = await bot.ask(LAN, "/help", language_code="en")
        assert "Commands:" in answer["text"]

The bot is built with `build_application` (settings pointed at the emulator) and driven by hand:
`async with application`, polling with no pause, `start`; stopped in reverse order. Waits are on
the emulator's /wait, never on the wall clock.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from telegram.ext import BaseHandler

from bot.app import BotApplication, build_application
from bot.context import Context
from bot.settings import Settings
from kpi.access import Person, Role
from sandbox import EmulatorClient, RunningEmulator, running_emulator
from sandbox.testing import TEST_BOT_ID, TEST_TOKEN, BotApi
from services import access
from services.catalogue_file import DEFAULT_CATALOGUE
from services.catalogues import Catalogues
from storage import Database
from tests.backends import BACKENDS, empty_database

JSON = dict[str, Any]
Modules = Sequence[Callable[[], Sequence[BaseHandler[Any, Context, Any]]]]

ADMIN = 9001  # listed in ADMIN_TELEGRAM_IDS
WAIT = 10.0  # seconds the emulator may take to see an answer (a deadline, not a sleep)


# --- databases --------------------------------------------------------------------------------


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database: a SQLite file, or a fresh schema of TEST_DATABASE_URL."""
    async with empty_database(request.param, tmp_path, "bot") as url:
        yield url


# --- the driver -------------------------------------------------------------------------------


class BotDriver:
    """The running bot, the emulator's control client, and what a test does with them."""

    def __init__(
        self,
        server: RunningEmulator,
        control: EmulatorClient,
        database: Database,
        settings: Settings,
    ) -> None:
        self.server = server
        self.control = control
        self.database = database
        self.settings = settings
        self.application: BotApplication | None = None
        self._running: AsyncExitStack | None = None

    # the bot's life

    async def start(self, modules: Modules | None = None) -> BotApplication:
        """Build the real application on the same database and run it (polling)."""
        application = build_application(self.settings, database=self.database, modules=modules)
        stack = AsyncExitStack()
        await stack.enter_async_context(application)
        updater = application.updater
        assert updater is not None
        await updater.start_polling(poll_interval=0, timeout=1)
        stack.push_async_callback(updater.stop)
        await application.start()
        stack.push_async_callback(application.stop)
        self.application, self._running = application, stack
        return application

    async def stop(self) -> None:
        if self._running is not None:
            running, self._running = self._running, None
            await running.aclose()

    async def restart(self, modules: Modules | None = None) -> BotApplication:
        """Stop the bot and start a new one on the same database (what a deploy does)."""
        await self.stop()
        return await self.start(modules)

    # what people do

    @property
    def cursor(self) -> int:
        """Everything the bot says from now on comes after this."""
        return self.server.emulator.seq

    async def send(self, user_id: int, text: str, **options: Any) -> JSON:
        return await self.control.send(user_id, text, **options)

    async def ask(
        self, user_id: int, text: str, expect: str | None = None, **options: Any
    ) -> JSON:
        """Send `text` as the user; the bot's first answer (or its first containing `expect`)."""
        since = self.cursor
        sent = await self.send(user_id, text, **options)
        return await self.answer(sent["chat_id"], since, expect)

    async def answer(self, chat_id: int, since: int, expect: str | None = None) -> JSON:
        """The bot's first message in the chat after `since` (containing `expect`, if given)."""
        if expect is not None:
            return await self.control.wait_for_text(chat_id, expect, since, timeout=WAIT)
        found = await self.control.wait(chat_id, since, timeout=WAIT)
        if not found["messages"]:
            raise TimeoutError(f"the bot said nothing in chat {chat_id} within {WAIT} s")
        first: JSON = found["messages"][0]
        return first

    async def said(self, chat_id: int, since: int) -> list[str]:
        """Texts of the bot's messages in the chat after `since`, as they are now."""
        listed = await self.control.messages(chat_id, since)
        return [m["text"] or m["caption"] or "" for m in listed["messages"]]

    async def press(self, user_id: int, message: JSON, button: str, expect: str) -> JSON:
        """Press the button labelled `button`; the bot's next message or edit containing
        `expect`."""
        since = self.cursor
        await self.control.press_button(user_id, message, button)
        return await self.answer(message["chat_id"], since, expect)

    async def deliver_twice(self, user_id: int, text: str, first_name: str = "Lan") -> int:
        """The user's message delivered twice with the same update id (as Telegram does when
        it did not see the bot confirm an update); the update id."""
        emulator = self.server.emulator
        bot = emulator.bots[TEST_BOT_ID]
        user = emulator.upsert_user(user_id, first_name)
        update_id, _record = emulator.user_message(bot, user, user_id, text=text)
        bot.updates.append(copy.deepcopy(bot.updates[-1]))  # before the bot's poll wakes up
        bot.notifier.notify()
        return update_id

    async def bot_api(self, method: str, **params: Any) -> Any:
        """A raw Bot API call with the bot's token (e.g. getMyCommands)."""
        async with httpx.AsyncClient(base_url=self.server.base_url, timeout=WAIT) as http:
            return await BotApi(http, TEST_TOKEN).ok(method, **params)

    # who people are, set through the services

    async def make_admin(self, user_id: int, name: str = "Quản trị") -> Person:
        return await access.add_admin(self.database.unit_of_work, user_id, name)

    async def make_member(
        self, user_id: int, unit: str, role: Role = Role.HEAD, name: str = "Cán bộ"
    ) -> None:
        """Bind the user to the unit (named or coded) as an invite would."""
        async with self.database.unit_of_work() as uow:
            catalogue = (await Catalogues.from_store(uow)).newest
        now = self.application.services.clock() if self.application else None
        assert now is not None
        invite = await access.create_invite(
            self.database.unit_of_work, catalogue, unit, role, "test", now
        )
        redeemed = await access.redeem_invite(
            self.database.unit_of_work, invite.code, user_id, name, now
        )
        assert redeemed.joined, redeemed


@pytest.fixture(autouse=True)
def _timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    """python-telegram-bot warns when RetryAfter.retry_after is read as a number."""
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


@pytest.fixture
async def server() -> AsyncIterator[RunningEmulator]:
    async with running_emulator() as running:
        yield running


@pytest.fixture
def catalog_path() -> Path:
    """The catalogue the bot starts with; a test module may override it (test_catalogues)."""
    return DEFAULT_CATALOGUE


@pytest.fixture
async def bot(
    server: RunningEmulator, database_url: str, catalog_path: Path
) -> AsyncIterator[BotDriver]:
    """The bot running against the emulator on an empty database; ADMIN is configured."""
    settings = Settings(
        catalog_path=catalog_path,
        _env_file=None,  # not the developer's .env
        telegram_bot_token=SecretStr(TEST_TOKEN),
        bot_api_base_url=server.base_url,
        database_url=database_url,
        admin_telegram_ids=[ADMIN],
        webhook_url=None,
        webhook_secret=None,
        scheduler_enabled=False,  # no background delivery unless a test asks: `scheduled_bot`
    )
    server.emulator.upsert_user(ADMIN, "Văn phòng", language_code="vi")
    database = Database.connect(database_url)
    async with EmulatorClient(server.base_url) as control:
        driver = BotDriver(server, control, database, settings)
        try:
            await driver.start()
            yield driver
        finally:
            await driver.stop()
            await database.dispose()


@pytest.fixture
async def scheduled_bot(bot: BotDriver) -> BotDriver:
    """The bot with its scheduler and delivery worker running (SCHEDULER_ENABLED)."""
    bot.settings = bot.settings.model_copy(update={"scheduler_enabled": True})
    await bot.restart()
    return bot
