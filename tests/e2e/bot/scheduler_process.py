"""A bot process that runs the scheduler and the delivery worker but polls no updates (so that
several can share one emulator): `python -m tests.e2e.bot.scheduler_process`, configured by the
environment like `chitieu run`. Prints "started" once running; stops on SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import sys

from bot.app import build_application
from bot.logs import configure_logging
from bot.settings import Settings


async def main() -> None:
    settings = Settings()
    configure_logging(settings.token())
    application = build_application(settings)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with application:
        await application.start()
        print("started", flush=True)  # the test waits for it
        await stop.wait()
        await application.stop()


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(0)
