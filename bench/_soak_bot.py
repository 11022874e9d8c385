"""The bot of `bench.soak` in a process of its own, as `chitieu run` runs it: polling the
emulator with errors handed to the bot's error handler (as `run_polling` does), its scheduler
and delivery worker on, /healthz and /metrics on METRICS_PORT.

    python -m bench._soak_bot BASE_URL DATABASE_URL TODAY METRICS_PORT ADMIN_ID

TODAY is the bot's clock at start (ISO, province time). Prints `ready` once polling; on SIGTERM
stops and prints a JSON object on its last line: the errors it logged.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys
from collections.abc import Sequence
from contextlib import AsyncExitStack
from datetime import datetime

from telegram.error import TelegramError

from bench.updates import POLL_TIMEOUT, ErrorCount, bot_settings
from bot.app import build_application
from cli.sandbox_runner import shifted_clock
from storage import Database


async def main(argv: Sequence[str]) -> int:
    if len(argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    base_url, database_url, today, port, admin = argv
    errors = ErrorCount()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger().addHandler(errors)
    settings = bot_settings(base_url, database_url).model_copy(
        update={"metrics_port": int(port), "admin_telegram_ids": [int(admin)]}
    )
    start = datetime.fromisoformat(today).replace(tzinfo=settings.tzinfo)
    database = Database.connect(database_url)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    application = build_application(settings, database=database, clock=shifted_clock(start))

    def polling_error(error: TelegramError) -> None:  # what Application.run_polling does
        application.create_task(application.process_error(error=error, update=None))

    try:
        async with AsyncExitStack() as stack:
            await stack.enter_async_context(application)
            updater = application.updater
            assert updater is not None
            await updater.start_polling(
                poll_interval=0, timeout=POLL_TIMEOUT, error_callback=polling_error
            )
            stack.push_async_callback(updater.stop)
            await application.start()
            stack.push_async_callback(application.stop)
            print("ready", flush=True)
            await stop.wait()
    finally:
        await database.dispose()
    print(json.dumps({"errors": errors.count}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
