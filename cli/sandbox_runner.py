"""`chitieu sandbox`: the emulator and its web chat, the real bot pointed at it, the catalogue,
2022 demo figures and demo users, in one process and one event loop.

    async with running_sandbox(SandboxOptions(port=0, database=tmp / "s.db")) as sandbox:
        ...  # sandbox.base_url serves the web chat; sandbox.invite_link onboards the stranger

    await run_sandbox(options)  # prints "Sandbox ready: http://HOST:PORT/", runs until stopped

The bot's clock starts at a fixed moment in 2022 (SandboxOptions.today; by default 10/06/2022
09:00 in the province, days before the half-year reports are due) and runs at the wall clock's
pace from there. The database is `var/sandbox.db`, made afresh at each start unless `keep`.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
from pydantic import SecretStr

from bot.app import BotApplication, build_application
from bot.context import Clock
from bot.settings import Settings
from cli import demo
from i18n.formatting import deep_link
from kpi.access import Invite
from sandbox import EmulatorClient, running_emulator
from services import access
from services.access import Outcome
from services.catalogue_file import load_catalogue
from services.catalogues import Catalogues, load_into_store
from storage import Database

SANDBOX_TOKEN = "777000:sandbox-demo-token"  # noqa: S105 (the emulator's bot, not a secret)
BOT_USERNAME = "ChiTieuKonTumBot"
BOT_NAME = "Chỉ tiêu"
DEFAULT_TODAY = datetime(2022, 6, 10, 9, 0)  # noqa: DTZ001 (read in the province's time zone)
DEFAULT_DATABASE = Path("var") / "sandbox.db"
POLL_TIMEOUT = 5  # seconds of a getUpdates long poll
ANY_ADDRESS = {"", "0.0.0.0", "::"}  # noqa: S104 (names of "every address", not a binding)


@dataclass(frozen=True, slots=True)
class SandboxOptions:
    host: str = "127.0.0.1"
    port: int = 8080  # 0 picks a free port
    database: Path = DEFAULT_DATABASE
    keep: bool = False  # keep the database of the previous run (no new demo figures)
    today: datetime | None = None  # the bot's "now" at start; naive: the province's time;
    # None: DEFAULT_TODAY's day and hour in the catalogue's year
    catalog: Path | None = None  # the catalogue file (None: CATALOG_PATH, else Kon Tum 2022)


@dataclass(frozen=True, slots=True)
class Sandbox:
    """A running sandbox: where it answers, the bot, and the invite made for the stranger."""

    base_url: str  # the web chat and the Bot API, e.g. http://127.0.0.1:8080
    application: BotApplication
    database: Database
    invite: Invite
    invite_link: str
    submissions: int  # demo submissions loaded at this start (0 when the database was kept)
    users: tuple[demo.DemoUser, ...] = field(default=demo.USERS)
    year: int = demo.YEAR  # the catalogue's year: the demo figures'

    @property
    def ready_line(self) -> str:
        return f"Sandbox ready: {self.base_url}/"


def shifted_clock(start: datetime) -> Clock:
    """A clock that reads `start` now and runs at the wall clock's pace from there."""
    origin = time.monotonic()
    start = start.astimezone(UTC)

    def now() -> datetime:
        return start + timedelta(seconds=time.monotonic() - origin)

    return now


def _reachable(base_url: str, host: str) -> str:
    """The URL this process reaches the server at (a server on every address: 127.0.0.1)."""
    if host not in ANY_ADDRESS:
        return base_url
    port = base_url.rsplit(":", 1)[1]
    return f"http://127.0.0.1:{port}"


def _database(options: SandboxOptions) -> Database:
    path = options.database.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    if not options.keep:
        for suffix in ("", "-wal", "-shm", "-journal"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
    return Database.connect(f"sqlite+aiosqlite:///{path}")


def _settings(bot_api: str, database: Database, catalog: Path | None = None) -> Settings:
    """The bot's settings (time zone and catalogue from the environment, or the catalogue
    given), on the emulator."""
    settings = Settings(
        telegram_bot_token=SecretStr(SANDBOX_TOKEN),
        bot_api_base_url=bot_api,
        database_url=database.engine.url.render_as_string(hide_password=False),
        admin_telegram_ids=[],
        webhook_url=None,
        webhook_secret=None,
    )
    return settings if catalog is None else settings.model_copy(update={"catalog_path": catalog})


async def _prepare(
    database: Database, settings: Settings, clock: Clock, keep: bool
) -> tuple[Invite, int, demo.DemoSet]:
    """Schema, catalogue, demo figures and people; the invite made for the stranger."""
    await database.upgrade()
    year = load_catalogue(settings.catalog_path)[0].year
    await load_into_store(database.unit_of_work, settings.catalog_path, clock())
    async with database.unit_of_work() as uow:
        catalogue = (await Catalogues.from_store(uow)).for_year(year)
        loaded = bool(await uow.figures.current_figures(year))
    shown = demo.demo_for(catalogue)
    now = clock()
    today = now.astimezone(settings.tzinfo).date()
    submissions = 0
    if not (keep and loaded):
        submissions = await demo.load_demo_figures(database.unit_of_work, catalogue, today)
    for user in shown.users:
        if user.admin:
            await access.add_admin(database.unit_of_work, user.telegram_id, user.name)
        if user.unit is None or user.role is None:
            continue
        person = await access.identify(database.unit_of_work, user.telegram_id, user.name)
        if person is not None and any(m.unit == user.unit for m in person.memberships):
            continue
        invite = await access.create_invite(
            database.unit_of_work, catalogue, user.unit, user.role, "sandbox", now, days=1
        )
        redeemed = await access.redeem_invite(
            database.unit_of_work, invite.code, user.telegram_id, user.name, now
        )
        if redeemed.outcome not in {Outcome.JOINED, Outcome.ALREADY_MEMBER}:
            raise RuntimeError(f"could not bind demo user {user.telegram_id}: {redeemed}")
    invite = await access.create_invite(
        database.unit_of_work,
        catalogue,
        shown.invite_unit,
        demo.INVITE_ROLE,
        "sandbox",
        now,
        days=demo.INVITE_DAYS,
    )
    return invite, submissions, shown


async def _register_users(
    control: EmulatorClient, invite: Invite, users: tuple[demo.DemoUser, ...]
) -> None:
    """The demo users in the emulator, labelled with who they are (the stranger: how to join)."""
    for user in users:
        label = user.label
        if user is demo.STRANGER:
            label = f"{user.label}: gửi /start {invite.code} để tham gia"
        await control.create_user(
            user.telegram_id, user.name, language_code="vi", label=label, last_name=""
        )


@asynccontextmanager
async def running_sandbox(options: SandboxOptions | None = None) -> AsyncIterator[Sandbox]:
    """Everything started and answering (getMe, the web page); stopped in reverse order."""
    options = options or SandboxOptions()
    async with AsyncExitStack() as stack:
        server = await stack.enter_async_context(running_emulator(options.host, options.port))
        bot_api = _reachable(server.base_url, options.host)
        control = await stack.enter_async_context(EmulatorClient(bot_api))
        await control.set_bot(SANDBOX_TOKEN, username=BOT_USERNAME, first_name=BOT_NAME)

        database = _database(options)
        stack.push_async_callback(database.dispose)
        settings = _settings(bot_api, database, options.catalog)
        today = options.today or DEFAULT_TODAY.replace(
            year=load_catalogue(settings.catalog_path)[0].year
        )
        if today.tzinfo is None:
            today = today.replace(tzinfo=settings.tzinfo)
        clock = shifted_clock(today)
        invite, submissions, shown = await _prepare(database, settings, clock, options.keep)
        await _register_users(control, invite, shown.users)

        application = build_application(settings, database=database, clock=clock)
        await stack.enter_async_context(application)  # getMe, the schema, the command menus
        stack.push_async_callback(application.stop)
        updater = application.updater
        assert updater is not None
        await updater.start_polling(poll_interval=0, timeout=POLL_TIMEOUT)
        stack.push_async_callback(updater.stop)  # stopped before the application
        await application.start()

        username = application.bot.username
        async with httpx.AsyncClient(timeout=10) as http:
            page = await http.get(f"{bot_api}/")
            page.raise_for_status()
        yield Sandbox(
            base_url=server.base_url,
            application=application,
            database=database,
            invite=invite,
            invite_link=deep_link(username, invite.code),
            submissions=submissions,
            users=shown.users,
            year=shown.year,
        )


def describe(sandbox: Sandbox) -> list[str]:
    """What the sandbox prints before its ready line: the people and the stranger's invite."""
    lines = ["Demo users (choose one in the web chat):"]
    lines.extend(f"  {u.telegram_id}  {u.name}: {u.label}" for u in sandbox.users)
    lines.append(
        f"Invite for {demo.STRANGER.name} ({demo.STRANGER.telegram_id}): {sandbox.invite_link}"
    )
    lines.append(f"  in the web chat, as {demo.STRANGER.name}: /start {sandbox.invite.code}")
    if sandbox.submissions:
        lines.append(f"Demo figures: {sandbox.submissions} submissions for {sandbox.year}")
    return lines


async def run_sandbox(
    options: SandboxOptions | None = None,
    *,
    say: Callable[[str], None] = print,
    stop: asyncio.Event | None = None,
    handle_signals: bool = False,
) -> None:
    """Run until `stop` is set (or SIGINT/SIGTERM when `handle_signals`), then stop cleanly;
    a stop while still starting (loading the demo) abandons the start."""
    stop = stop or asyncio.Event()
    ready = asyncio.Event()

    async def serve() -> None:
        async with running_sandbox(options) as sandbox:
            for line in describe(sandbox):
                say(line)
            say(sandbox.ready_line)
            ready.set()
            await stop.wait()
            say("Stopping the sandbox…")

    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM) if handle_signals else ()
    for number in signals:
        loop.add_signal_handler(number, stop.set)
    serving = asyncio.create_task(serve())
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if not serving.done() and not ready.is_set():
            serving.cancel()
            say("Stopped while starting.")
            with contextlib.suppress(asyncio.CancelledError):
                await serving
            return
        await serving
    finally:
        for task in (serving, stopping):
            task.cancel()
        await asyncio.gather(serving, stopping, return_exceptions=True)
        for number in signals:
            with contextlib.suppress(ValueError, RuntimeError):
                loop.remove_signal_handler(number)


def parse_today(text: str) -> datetime:
    """ "2022-06-10" (09:00 that day) or "2022-06-10T14:30": the sandbox's start, local time."""
    try:
        if len(text) == len("2022-06-10"):
            return datetime.combine(date.fromisoformat(text), DEFAULT_TODAY.time())
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"--today takes a date such as 2022-06-10 or 2022-06-10T09:00, not {text!r}"
        ) from None
    return moment


__all__ = [
    "BOT_USERNAME",
    "SANDBOX_TOKEN",
    "Sandbox",
    "SandboxOptions",
    "describe",
    "parse_today",
    "run_sandbox",
    "running_sandbox",
    "shifted_clock",
]
