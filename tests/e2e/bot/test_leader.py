"""Two bot processes on one PostgreSQL database: one leads (runs the scheduler and delivers the
outbox), the other waits; kill -9 the leader and the other takes over within seconds; every
message reaches Telegram (the emulator) exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from bot.settings import Settings
from sandbox import EmulatorClient, RunningEmulator
from sandbox.testing import TEST_TOKEN
from services.catalogues import load_into_store
from services.outbox import enqueue
from services.ports import OutgoingMessage
from storage import Database
from storage.tables import outbox_table
from tests.backends import empty_database, postgres_base_url

USER = 4801
TAKEOVER = 30.0  # seconds a standby may take to lead, at most (a deadline, not a sleep)
ROOT = Path(__file__).resolve().parents[3]


class BotProcess:
    """`python -m tests.e2e.bot.scheduler_process`, its log read line by line."""

    def __init__(self, process: asyncio.subprocess.Process, name: str) -> None:
        self.process = process
        self.name = name
        self.lines: list[str] = []
        self.leads = asyncio.Event()
        self.started = asyncio.Event()
        self._readers = [
            asyncio.create_task(self._read(process.stdout)),
            asyncio.create_task(self._read(process.stderr)),
        ]

    async def _read(self, stream: asyncio.StreamReader | None) -> None:
        assert stream is not None
        while line := await stream.readline():
            text = line.decode(errors="replace").rstrip()
            self.lines.append(text)
            if text == "started":
                self.started.set()
            if "this process leads" in text:
                self.leads.set()

    async def wait_for(self, event: asyncio.Event, what: str) -> None:
        try:
            await asyncio.wait_for(event.wait(), TAKEOVER)
        except TimeoutError:
            log = "\n".join(self.lines[-30:])
            raise AssertionError(
                f"{self.name} did not {what} within {TAKEOVER} s:\n{log}"
            ) from None

    async def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), TAKEOVER)
            except TimeoutError:
                await self.kill()
        for reader in self._readers:
            await reader


@asynccontextmanager
async def bot_process(name: str, database_url: str, base_url: str) -> AsyncIterator[BotProcess]:
    env = dict(os.environ)
    env.update(
        TELEGRAM_BOT_TOKEN=TEST_TOKEN,
        BOT_API_BASE_URL=base_url,
        DATABASE_URL=database_url,
        SCHEDULER_RETRY_SECONDS="0.2",
        PTB_TIMEDELTA="1",
        WEBHOOK_URL="",
        ADMIN_TELEGRAM_IDS="",
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.e2e.bot.scheduler_process",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    running = BotProcess(process, name)
    try:
        yield running
    finally:
        await running.stop()


async def queue(database: Database, texts: list[str]) -> None:
    now = datetime.now(UTC)
    async with database.unit_of_work() as uow:
        await enqueue(
            uow, [OutgoingMessage(f"test:{t}", USER, "broadcast", t) for t in texts], now
        )
        await uow.commit()


async def recorded(database: Database) -> None:
    """Wait until every queued message is recorded as sent (at most TAKEOVER seconds): a kill
    before that may send the last accepted ones again, the delivery's documented crash window
    (scheduler/delivery.py), which this test is not about."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TAKEOVER
    while True:
        async with database.unit_of_work() as uow:
            connection = await uow.session.connection()
            result = await connection.execute(
                select(func.count())
                .select_from(outbox_table)
                .where(outbox_table.c.state != "sent")
            )
            if result.scalar_one() == 0:
                return
        if loop.time() > deadline:
            raise AssertionError(f"the outbox was not recorded as sent within {TAKEOVER} s")
        await asyncio.sleep(0.05)


async def received(control: EmulatorClient, count: int) -> list[str]:
    """The texts the user has received, once there are `count` (at most TAKEOVER seconds)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TAKEOVER
    while True:
        listed = await control.messages(USER, 0)
        texts = [m["text"] for m in listed["messages"]]
        if len(texts) >= count:
            return texts
        if loop.time() > deadline:
            raise AssertionError(f"{len(texts)} of {count} messages within {TAKEOVER} s")
        await control.wait(USER, listed["cursor"], timeout=1.0)


async def test_the_standby_takes_over_when_the_leader_dies_and_nothing_is_sent_twice(
    server: RunningEmulator, tmp_path: Path
) -> None:
    postgres_base_url("the leadership test")
    async with empty_database("postgresql", tmp_path, "leader") as url:
        database = Database.connect(url)
        try:
            await database.upgrade()
            await load_into_store(database.unit_of_work, Settings(_env_file=None).catalog_path)
            server.emulator.upsert_user(USER, "Lan")
            async with (
                EmulatorClient(server.base_url) as control,
                bot_process("first", url, server.base_url) as first,
            ):
                await first.wait_for(first.leads, "lead")
                async with bot_process("second", url, server.base_url) as second:
                    await second.wait_for(second.started, "start")
                    assert not second.leads.is_set()

                    before = [f"trước {i}" for i in range(5)]
                    await queue(database, before)
                    assert sorted(await received(control, 5)) == sorted(before)
                    await recorded(database)

                    await first.kill()
                    await second.wait_for(second.leads, "take over")
                    after = [f"sau {i}" for i in range(5)]
                    await queue(database, after)
                    texts = await received(control, 10)
                    await recorded(database)

                    assert Counter(texts) == Counter(before + after)
        finally:
            await database.dispose()
