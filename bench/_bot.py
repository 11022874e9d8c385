"""One bot of `bench.updates` in a process of its own, as a bot runs in production: apart from
Telegram (here the emulator, in the benchmark's process) and from the people.

    python -m bench._bot echo BASE_URL
    python -m bench._bot ours BASE_URL DATABASE_URL

It polls the emulator at BASE_URL, prints `ready` once polling, runs until SIGTERM or SIGINT,
and prints on its last line a JSON object: the errors it logged and the bot's own handling time
per update (ours only), by kind of update.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys
from collections.abc import Sequence
from typing import Any

from telegram.ext import Application

from bench.updates import (
    ErrorCount,
    HandlingTimes,
    bot_settings,
    build_echo_bot,
    polling,
)
from bot.app import build_application
from cli.sandbox_runner import DEFAULT_TODAY, shifted_clock
from storage import Database

READY = "ready"


async def serve(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with polling(application):
        print(READY, flush=True)
        await stop.wait()


async def main(argv: Sequence[str]) -> int:
    if len(argv) < 2 or argv[0] not in {"echo", "ours"} or (argv[0] == "ours") != (len(argv) == 3):
        print(__doc__, file=sys.stderr)
        return 2
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    kind, base_url = argv[0], argv[1]
    errors = ErrorCount()
    logging.getLogger().addHandler(errors)
    handling = HandlingTimes()
    if kind == "echo":
        await serve(build_echo_bot(base_url))
    else:
        settings = bot_settings(base_url, argv[2])
        clock = shifted_clock(DEFAULT_TODAY.replace(tzinfo=settings.tzinfo))
        database = Database.connect(argv[2])
        try:
            with handling.watching():
                await serve(build_application(settings, database=database, clock=clock))
        finally:
            await database.dispose()
    print(json.dumps({"errors": errors.count, "handling": handling.by_kind}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
