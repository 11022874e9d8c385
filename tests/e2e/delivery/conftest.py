"""The delivery worker against the emulator (its limits and faults on), on each backend.

The worker's clock is the wall clock: the emulator's limits and retry_after are real time.
Limits are scaled ×10 on both sides, so that a few hundred messages take a second or two.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from telegram import Bot

from sandbox import Emulator, EmulatorClient, RunningEmulator, running_emulator
from sandbox.testing import TEST_BOT_ID, TEST_TOKEN
from scheduler.delivery import DeliveryLimits, DeliveryWorker
from services.outbox import enqueue
from services.ports import OutgoingMessage
from storage import Database
from tests.backends import BACKENDS, empty_database

SCALE = 10.0
LIMITS = replace(
    DeliveryLimits().scaled(SCALE), backoff_base=0.05, poll_interval=0.05, flush_interval=0.05
)


def now() -> datetime:
    return datetime.now(UTC)


def received(emulator: Emulator) -> Counter[tuple[int, str]]:
    """How many times each (chat, text) reached the chats, from the emulator's records."""
    found: Counter[tuple[int, str]] = Counter()
    for (bot_id, chat_id), conversation in emulator.conversations.items():
        if bot_id != TEST_BOT_ID:
            continue
        for record in conversation.messages.values():
            if record.sender == "bot" and record.text is not None:
                found[chat_id, record.text] += 1
    return found


@pytest.fixture(autouse=True)
def _timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    async with empty_database(request.param, tmp_path, "delivery") as url:
        yield url


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    db = Database.connect(database_url)
    try:
        await db.upgrade()
        yield db
    finally:
        await db.dispose()


@pytest.fixture
async def server() -> AsyncIterator[RunningEmulator]:
    async with running_emulator() as running:
        yield running


@pytest.fixture
async def control(server: RunningEmulator) -> AsyncIterator[EmulatorClient]:
    async with EmulatorClient(server.base_url) as client:
        await client.faults(limits={"enabled": True, "scale": SCALE})
        yield client


@pytest.fixture
async def bot(server: RunningEmulator) -> AsyncIterator[Bot]:
    url = server.base_url
    async with Bot(TEST_TOKEN, base_url=f"{url}/bot", base_file_url=f"{url}/file/bot") as bot:
        yield bot


@pytest.fixture
def worker(database: Database, bot: Bot) -> DeliveryWorker:
    return DeliveryWorker(database.unit_of_work, bot, clock=now, limits=LIMITS)


async def add_people(database: Database, emulator: Emulator, ids: Sequence[int]) -> None:
    """People the bot knows, who also exist in the emulator."""
    async with database.unit_of_work() as uow:
        for telegram_id in ids:
            await uow.people.upsert(telegram_id, f"Cán bộ {telegram_id}")
            emulator.upsert_user(telegram_id, f"Cán bộ {telegram_id}")
        await uow.commit()


async def queue(database: Database, messages: Sequence[OutgoingMessage]) -> None:
    async with database.unit_of_work() as uow:
        await enqueue(uow, messages, now())
        await uow.commit()


def broadcast_to(broadcast_id: int, ids: Sequence[int]) -> list[OutgoingMessage]:
    return [
        OutgoingMessage(
            f"bc:{broadcast_id}:{i}",
            i,
            "broadcast",
            f"Thông báo {broadcast_id} [{i}]",
            broadcast_id=broadcast_id,
        )
        for i in ids
    ]
