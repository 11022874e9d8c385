"""Killing the bot process (`python -m bot`, kill -9) in the middle of a broadcast and starting
it again: everyone gets the message, and at most the documented window (the sends in flight
and not yet recorded, scheduler/delivery.py: 24) gets it twice."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from kpi.access import Role
from sandbox import RunningEmulator
from sandbox.testing import TEST_TOKEN
from services.broadcasts import Audience, AudienceKind, create_broadcast
from services.catalogue_file import DEFAULT_CATALOGUE
from services.catalogues import Catalogues, load_into_store
from storage import Database
from storage.tables import outbox_table

PEOPLE = range(600_001, 600_301)  # 300 commune officials
TEXT = "Đề nghị các xã hoàn thành báo cáo quý II trước ngày 16/6/2022."
KILL_AFTER = 100  # messages received before the kill
WINDOW = 24  # scheduler.delivery: at most this many sends can be repeated after a crash
STARTUP = 60.0  # seconds for the process to import, migrate and load the catalogue
DELIVERY = 90.0  # seconds for the rest to arrive (300 messages at 30 a second: ~10 s)


def _environment(server: RunningEmulator, database_url: str) -> dict[str, str]:
    keep = {"PATH", "HOME", "LANG", "SYSTEMROOT", "TMPDIR"}
    environment = {key: value for key, value in os.environ.items() if key in keep}
    environment.update(
        TELEGRAM_BOT_TOKEN=TEST_TOKEN,
        BOT_API_BASE_URL=server.base_url,
        DATABASE_URL=database_url,
        PTB_TIMEDELTA="1",
    )
    return environment


def _received(server: RunningEmulator) -> Counter[int]:
    """How many times each person got the broadcast, from the emulator's records."""
    found: Counter[int] = Counter()
    for (_, chat_id), conversation in server.emulator.conversations.items():
        for record in conversation.messages.values():
            if record.sender == "bot" and record.text == TEXT:
                found[chat_id] += 1
    return found


async def _until(check: Callable[[], Awaitable[bool] | bool], what: str, within: float) -> None:
    """Poll `check` until it is true; fail after `within` seconds (a deadline, not a sleep)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        done = check()
        if not isinstance(done, bool):
            done = await done
        if done:
            return
        if loop.time() > deadline:
            raise AssertionError(f"{what} within {within} s")
        await asyncio.sleep(0.02)


async def _start(
    server: RunningEmulator, database_url: str, log: Path
) -> asyncio.subprocess.Process:
    with log.open("ab") as output:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            cwd=log.parent,  # no .env there
            env=_environment(server, database_url),
            stdout=output,
            stderr=asyncio.subprocess.STDOUT,
        )


async def test_a_bot_killed_mid_broadcast_delivers_the_rest_when_started_again(
    server: RunningEmulator, tmp_path: Path
) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    communes: list[str] = []
    async with Database.connect(database_url) as database:
        await database.upgrade()
        await load_into_store(database.unit_of_work, DEFAULT_CATALOGUE)
        async with database.unit_of_work() as uow:
            tree = (await Catalogues.from_store(uow)).newest.units
            communes = [u.code for u in tree if u.level == "commune"]
            for i, telegram_id in enumerate(PEOPLE):
                await uow.people.upsert(telegram_id, f"Cán bộ {telegram_id}")
                await uow.people.add_membership(
                    telegram_id, communes[i % len(communes)], Role.MEMBER
                )
                server.emulator.upsert_user(telegram_id, f"Cán bộ {telegram_id}")
            await uow.commit()
        log = tmp_path / "bot.log"
        process = await _start(server, database_url, log)
        try:
            await _until(lambda: bool(server.emulator.bots), "the bot connected", STARTUP)
            created = await create_broadcast(
                database.unit_of_work,
                tree,
                TEXT,
                Audience(AudienceKind.LEVEL, "commune"),
                0,
                datetime.now(UTC),
            )
            assert created.recipients == len(PEOPLE)
            await _until(
                lambda: sum(_received(server).values()) >= KILL_AFTER,
                f"{KILL_AFTER} messages delivered",
                STARTUP,
            )
            process.send_signal(signal.SIGKILL)
            await process.wait()
            at_kill = sum(_received(server).values())
            assert at_kill < len(PEOPLE), "the broadcast finished before the kill"

            process = await _start(server, database_url, log)
            await _until(
                lambda: len(_received(server)) == len(PEOPLE),
                "every person reached after the restart",
                DELIVERY,
            )

            async def all_recorded_sent() -> bool:
                async with database.engine.connect() as connection:
                    unsent = await connection.scalar(
                        select(func.count()).where(outbox_table.c.state != "sent")
                    )
                return unsent == 0

            await _until(all_recorded_sent, "every outbox row recorded as sent", DELIVERY)
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
                await asyncio.wait_for(process.wait(), timeout=30)
    received = _received(server)
    repeated = sum(count - 1 for count in received.values())
    assert set(received) == set(PEOPLE)
    assert repeated <= WINDOW, (repeated, log.read_text()[-2000:])
