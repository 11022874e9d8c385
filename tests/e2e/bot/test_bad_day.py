"""A bad day, end to end: the database's connections killed while people write and a broadcast
goes out; the Bot API unreachable for two minutes (of the bot's clock) while a reminder falls
due; SQLite write-locked by another process for longer than its busy timeout. The person gets
an answer (done, or "try again later"), never silence; the bot recovers by itself; nothing it
confirmed is lost."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import event, select
from sqlalchemy.engine import make_url

from kpi.access import Role
from scheduler.delivery import DeliveryLimits
from services.broadcasts import Audience, create_broadcast
from storage.tables import OutboxRow, PersonRow
from tests.backends import postgres_base_url
from tests.e2e.bot.conftest import WAIT, BotDriver

MUTED = "Đã tắt nhắc việc"
UNMUTED = "Đã bật nhắc việc"
TRY_LATER = "thử lại sau"
LAN = 4901  # head of Sở Y tế: departments report H1 by 18/06/2022
EVE = datetime(2022, 6, 10, 9, 0, tzinfo=UTC)
MORNING = datetime(2022, 6, 11, 1, 30, tzinfo=UTC)  # 08:30 on 11/06: a reminder is due
BROADCAST = "Họp giao ban trực tuyến lúc 14 giờ."
ADMIN_AUTHOR = 9001
# Every Bot API method the bot calls: with all of them failing, Telegram is out of reach.
BOT_API = [
    "getUpdates",
    "sendMessage",
    "editMessageText",
    "editMessageReplyMarkup",
    "answerCallbackQuery",
    "sendDocument",
    "sendPhoto",
    "sendChatAction",
    "deleteMessage",
]


class Clock:
    """The bot's clock, moved by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def backend_of(bot: BotDriver) -> str:
    return bot.database.engine.dialect.name


async def until(check: Callable[[], Any], what: str, timeout: float = WAIT) -> None:  # noqa: ASYNC109
    """Poll `check` (async) until true; fail after `timeout` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        if loop.time() > deadline:
            pytest.fail(f"not within {timeout} s: {what}")
        await asyncio.sleep(0.05)


async def outbox_states(bot: BotDriver) -> dict[int, str]:
    table = OutboxRow.__table__  # type: ignore[attr-defined]
    async with bot.database.engine.connect() as connection:
        rows = (await connection.execute(select(table.c.chat_id, table.c.state))).all()
    return {int(chat): str(state) for chat, state in rows}


async def muted(bot: BotDriver, user_id: int) -> bool:
    table = PersonRow.__table__  # type: ignore[attr-defined]
    async with bot.database.engine.connect() as connection:
        return bool(
            (
                await connection.execute(
                    select(table.c.muted).where(table.c.telegram_id == user_id)
                )
            ).scalar_one()
        )


async def bind_heads(bot: BotDriver, count: int, first_id: int) -> list[int]:
    """`count` people, each the head of a department."""
    assert bot.application is not None
    units = [
        u for u in bot.application.services.catalogues.newest.units if u.level == "department"
    ]
    people = []
    for index, unit in enumerate(units[:count]):
        user_id = first_id + index
        bot.server.emulator.upsert_user(user_id, f"Cán bộ {index}", language_code="vi")
        await bot.make_member(user_id, unit.code, Role.HEAD, name=f"Cán bộ {index}")
        people.append(user_id)
    return people


async def reply_to(bot: BotDriver, user_id: int, command: str) -> str:
    """The bot's answer to the command (a broadcast arriving meanwhile is not one)."""
    since = bot.cursor
    await bot.send(user_id, command)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT
    while (remaining := deadline - loop.time()) > 0:
        found = await bot.control.wait(user_id, since, remaining)
        for message in found["messages"]:
            if message["text"] != BROADCAST:
                return str(message["text"])
        since = found["cursor"]
    pytest.fail(f"no answer to {command} within {WAIT} s")


# --- PostgreSQL's connections killed ---------------------------------------------------------


async def _terminate(pids: set[int]) -> int:
    url = make_url(postgres_base_url()).set(drivername="postgresql", query={})
    connection = await asyncpg.connect(url.render_as_string(hide_password=False))
    try:
        killed = await connection.fetchval(
            "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE pid = ANY($1::int[])) AS done",
            list(pids),
        )
    finally:
        await connection.close()
    return int(killed)


async def test_killed_connections_cost_people_a_retry_at_most_and_lose_nothing_confirmed(
    bot: BotDriver,
) -> None:
    if backend_of(bot) != "postgresql":
        pytest.skip("pg_terminate_backend is PostgreSQL's (SQLite's bad day: the lock test)")
    pids: set[int] = set()

    @event.listens_for(bot.database.engine.sync_engine, "connect")
    def _remember(dbapi_connection: Any, _record: Any) -> None:
        pids.add(dbapi_connection.driver_connection.get_server_pid())

    await bot.database.engine.dispose()  # every connection from now on is remembered
    bot.settings = bot.settings.model_copy(
        update={"scheduler_enabled": True, "scheduler_retry_seconds": 0.2}
    )
    application = await bot.restart()
    services = application.services
    runner = application.runner
    assert runner is not None
    await runner.leading.wait()
    recipients = await bind_heads(bot, 30, 7101)
    people = recipients[:6]
    await create_broadcast(
        bot.database.unit_of_work,
        services.catalogues.newest.units,
        BROADCAST,
        Audience.parse("heads", services.catalogues.newest.units),
        ADMIN_AUTHOR,
        services.clock(),
    )
    runner.notify()

    storm = asyncio.Event()
    killed = 0

    async def kill_storm() -> None:
        nonlocal killed
        while not storm.is_set():
            killed += await _terminate(set(pids))
            await asyncio.sleep(0.05)

    answers: dict[int, list[str]] = {p: [] for p in people}

    async def toggle(user_id: int) -> None:
        for command in ("/mute", "/unmute", "/mute", "/unmute", "/mute"):
            answers[user_id].append(await reply_to(bot, user_id, command))

    killing = asyncio.create_task(kill_storm())
    try:
        await asyncio.gather(*(toggle(p) for p in people))
    finally:
        storm.set()
        await killing

    said = [text for texts in answers.values() for text in texts]
    assert killed > 0
    assert all(MUTED in t or UNMUTED in t or TRY_LATER in t for t in said), said
    for user_id, texts in answers.items():  # what the bot confirmed last is what it keeps
        if MUTED in texts[-1]:
            assert await muted(bot, user_id)
        elif UNMUTED in texts[-1]:
            assert not await muted(bot, user_id)
    # reconnected by itself: the next request is answered as on any day
    assert MUTED in await reply_to(bot, people[0], "/mute")

    async def delivered() -> bool:
        states = await outbox_states(bot)
        return sorted(states) == sorted(recipients) and set(states.values()) == {"sent"}

    await runner.leading.wait()
    runner.notify()
    await until(delivered, "every broadcast message sent", timeout=3 * WAIT)
    copies = 0
    for user_id in recipients:
        texts = await bot.said(user_id, 0)
        assert BROADCAST in "\n".join(texts), user_id  # nobody's message lost
        copies += sum(BROADCAST in text for text in texts)
    # a send Telegram accepted but not yet recorded when the lead was lost may go twice
    assert copies - len(recipients) <= DeliveryLimits().max_unrecorded


# --- the Bot API out of reach ----------------------------------------------------------------


async def test_two_minutes_without_telegram_then_updates_resume_the_outbox_drains_and_the_reminder_comes_once(
    bot: BotDriver,
) -> None:
    bot.settings = bot.settings.model_copy(update={"scheduler_enabled": True})
    application = await bot.restart()
    services = application.services
    clock = Clock(EVE)
    services.clock = clock
    runner = application.runner
    assert runner is not None
    await runner.leading.wait()
    await bot.make_member(LAN, "so-y-te", Role.HEAD, name="Lan")
    await bot.ask(LAN, "/start")
    since = bot.cursor

    await bot.control.faults(server_errors={"count": 10**6, "status": 502, "methods": BOT_API})
    stats = bot.server.emulator.stats

    async def polling_fails() -> bool:  # the long poll in flight has ended against the wall
        return stats.errors[502] >= 1

    await until(polling_fails, "getUpdates answered 502")
    await bot.send(LAN, "/help")  # waits at "Telegram" until the bot can fetch it
    clock.now = MORNING
    assert await runner.jobs.catch_up() >= 1  # the 08:00 reminder, queued while unreachable
    outage_ends = MORNING + timedelta(minutes=2)
    while clock.now < outage_ends:  # two minutes of the bot's clock, a few real seconds
        clock.now += timedelta(seconds=5)
        runner.notify()
        await asyncio.sleep(0.1)
    states = await outbox_states(bot)
    assert states.get(LAN) in {"pending", "sending"}  # still trying, not given up
    await bot.control.faults(clear=True)
    clock.now += timedelta(minutes=5)  # past any backoff
    runner.notify()

    reminder = await bot.control.wait_for_text(LAN, "Nhắc việc", since, timeout=3 * WAIT)
    helped = await bot.control.wait_for_text(LAN, "/status", since, timeout=3 * WAIT)
    assert "Sở Y tế" in reminder["text"]
    assert helped["text"]
    assert await runner.jobs.catch_up() == 0  # made up once
    texts = await bot.said(LAN, since)
    assert sum("Nhắc việc" in text for text in texts) == 1
    assert (await outbox_states(bot))[LAN] == "sent"


# --- SQLite locked by another process ---------------------------------------------------------


async def test_a_person_gets_an_answer_while_another_process_holds_sqlite_s_write_lock(
    bot: BotDriver,
) -> None:
    if backend_of(bot) != "sqlite":
        pytest.skip("SQLite's write lock (PostgreSQL's bad day: the connections killed)")
    await bot.make_member(LAN, "so-y-te", Role.HEAD, name="Lan")
    path = Path(str(make_url(bot.settings.database_url or "").database))
    importer = sqlite3.connect(path, isolation_level=None)  # e.g. `chitieu figures import`
    try:
        importer.execute("BEGIN IMMEDIATE")  # held past the bot's 5 s busy timeout
        answer = await bot.ask(LAN, "/mute")
        said_during = await bot.said(LAN, 0)
    finally:
        importer.execute("ROLLBACK")
        importer.close()

    assert TRY_LATER in answer["text"]
    assert sum(TRY_LATER in text for text in said_during) == 1  # told once
    assert MUTED in (await bot.ask(LAN, "/mute"))["text"]  # and the next try works
    assert await muted(bot, LAN)
