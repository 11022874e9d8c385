"""The delivery worker alone in a process, for the crash test: it is killed with SIGKILL.

python -m tests.e2e.delivery.worker_process DATABASE_URL EMULATOR_URL SCALE
"""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime

from telegram import Bot

from sandbox.testing import TEST_TOKEN
from scheduler.delivery import DeliveryLimits, DeliveryWorker
from storage import Database


def bot_for(base_url: str) -> Bot:
    return Bot(TEST_TOKEN, base_url=f"{base_url}/bot", base_file_url=f"{base_url}/file/bot")


async def main(database_url: str, base_url: str, scale: float) -> None:
    database = Database.connect(database_url)
    async with bot_for(base_url) as bot:
        worker = DeliveryWorker(
            database.unit_of_work,
            bot,
            clock=lambda: datetime.now(UTC),
            limits=DeliveryLimits().scaled(scale),
        )
        print("started", flush=True)
        await worker.run()


if __name__ == "__main__":
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3])))
