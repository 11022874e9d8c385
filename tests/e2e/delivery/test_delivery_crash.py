"""Killing the worker's process mid-delivery: a new worker delivers the rest, and repeats at
most the messages that were in flight or not yet recorded (the documented window)."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
from pathlib import Path

from sandbox import EmulatorClient, RunningEmulator
from scheduler.delivery import DeliveryWorker
from storage import Database
from tests.e2e.delivery.conftest import LIMITS, SCALE, add_people, broadcast_to, now, queue
from tests.e2e.delivery.conftest import received as received_by_chat

ROOT = Path(__file__).resolve().parents[3]
PEOPLE = list(range(400_001, 400_301))
KILL_AFTER = 120
logger = logging.getLogger(__name__)


async def test_killing_the_worker_mid_delivery_loses_nothing_and_repeats_little(
    database: Database,
    database_url: str,
    server: RunningEmulator,
    control: EmulatorClient,
    worker: DeliveryWorker,
    tmp_path: Path,
) -> None:
    del control
    await add_people(database, server.emulator, PEOPLE)
    async with database.unit_of_work() as uow:
        broadcast = await uow.broadcasts.create("Thông báo", "heads", 1, now(), len(PEOPLE))
        await uow.commit()
    await queue(database, broadcast_to(broadcast, PEOPLE))
    with (tmp_path / "worker.log").open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.e2e.delivery.worker_process",
            database_url,
            server.base_url,
            str(SCALE),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        try:
            async with asyncio.timeout(60):
                while server.emulator.stats.sent < KILL_AFTER:  # noqa: ASYNC110 (another process)
                    await asyncio.sleep(0.005)
        finally:
            process.kill()  # SIGKILL: no clean-up of any kind
            await process.wait()
    sent_before = server.emulator.stats.sent
    assert sent_before < len(PEOPLE), "the worker finished before it was killed"

    stats = await worker.drain(60)

    got = received_by_chat(server.emulator)
    assert {chat for chat, _ in got} == set(PEOPLE)
    duplicates = sum(count - 1 for count in got.values())
    logger.warning(
        "crash after %d sent: %d recovered, %d sent twice",
        sent_before,
        stats.recovered,
        duplicates,
    )
    assert duplicates <= LIMITS.max_unrecorded
    assert duplicates <= stats.recovered
    async with database.unit_of_work() as uow:
        assert await uow.outbox.counts(broadcast) == {"sent": len(PEOPLE)}
