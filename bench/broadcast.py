"""Benchmark of a broadcast's delivery through the emulator with Telegram's limits on.

    python -m bench.broadcast [--recipients 5000] [--scale 3] [--backend sqlite|postgresql]

One process, one event loop: the Bot API emulator (`sandbox`, its flood limits on and every
rate × `--scale`, so that 5,000 messages take about a minute instead of three) and the
delivery worker (`scheduler.delivery.DeliveryWorker`, its limits × the same scale) on a fresh
database (a SQLite file; PostgreSQL from `BENCH_DATABASE_URL` or `TEST_DATABASE_URL`).

The broadcast is made by the service the bot uses (`services.broadcasts.create_broadcast`):
`--recipients` people bound to one unit, the audience "units:<that unit>", one outbox row
each, queued in one transaction. Then the worker delivers it (`drain`), timed from its start
to the moment nothing is left pending or sending. Two runs, each on a fresh emulator and
database:

1. clean: every recipient reachable, no fault;
2. faults: 5 % of the recipients blocked the bot (the emulator answers 403), and three bursts
   of 25 server errors (500, 502, 503) when 20 %, 45 % and 70 % of the messages are out.

Counted from the emulator's own records (never from the worker's): `delivered` = recipients
who received the broadcast's text at least once, `duplicated` = extra copies received,
`lost` = reachable recipients who received nothing; `r429` = 429 answers (flood limit hit).
`rate` = sendMessage calls per second over the delivery (a blocked recipient's call counts:
the limit caps calls), `limit` = the emulator's overall limit (30/s × scale), `efficiency` =
rate / limit. The outbox's final states are checked too: every reachable recipient's row
`sent`, every blocked one's `blocked` and the person inactive.

Targets (each run): lost 0, duplicated 0, r429 0, efficiency ≥ 0.95. The last line is the
clean run's figures, then the faults run's prefixed `faults_`, then `targets_met=1|0`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime

from telegram import Bot

from bench.status import POSTGRES_ENV, backend_url, postgres_admin_url, render, say
from kpi.access import Role
from kpi.text import LocalText
from kpi.units import Unit, UnitTree
from sandbox import Emulator, EmulatorClient, running_emulator
from scheduler.delivery import DeliveryLimits, DeliveryWorker
from services.broadcasts import Audience, AudienceKind, create_broadcast
from storage import Database

Metrics = dict[str, float | int]

TOKEN = "730000:bench-broadcast"  # noqa: S105 (an emulator bot, not a secret)
BOT_ID = 730000
FIRST_ID = 500_001
UNIT = "bench"
AUTHOR = 9001
TEXT = "Thông báo: hạn nộp số liệu quý II là ngày 25/6. Trân trọng."
SEED = 2022
BLOCKED_SHARE = 0.05
BURSTS = ((0.20, 500), (0.45, 502), (0.70, 503))
BURST_SIZE = 25
TIMEOUT = 600.0

TARGET_EFFICIENCY = 0.95


def now() -> datetime:
    return datetime.now(UTC)


async def prepare(database: Database, emulator: Emulator, recipients: int) -> UnitTree:
    """The unit, and the people bound to it (also known to the emulator)."""
    tree = UnitTree((Unit(UNIT, "top", LocalText.same("Bench"), None),))
    async with database.unit_of_work() as uow:
        await uow.units.sync(tree)
        for telegram_id in range(FIRST_ID, FIRST_ID + recipients):
            await uow.people.upsert(telegram_id, f"Cán bộ {telegram_id}")
            await uow.people.add_membership(telegram_id, UNIT, Role.MEMBER)
            emulator.upsert_user(telegram_id, f"Cán bộ {telegram_id}")
        await uow.commit()
    return tree


def received(emulator: Emulator) -> Counter[int]:
    """Copies of the broadcast's text each chat received."""
    found: Counter[int] = Counter()
    for (bot_id, chat_id), conversation in emulator.conversations.items():
        if bot_id == BOT_ID:
            found[chat_id] += sum(
                1 for r in conversation.messages.values() if r.sender == "bot" and r.text == TEXT
            )
    return found


async def bursts(emulator: Emulator, control: EmulatorClient, recipients: int) -> None:
    """Server errors when given shares of the messages are out."""
    for share, status in BURSTS:
        while emulator.stats.sent < share * recipients:  # noqa: ASYNC110 (watching a counter)
            await asyncio.sleep(0.01)
        await control.faults(server_errors={"count": BURST_SIZE, "status": status})


async def run(backend: str, recipients: int, scale: float, *, faults: bool) -> Metrics:
    label = "faults" if faults else "clean"
    people = list(range(FIRST_ID, FIRST_ID + recipients))
    blocked = (
        set(random.Random(SEED).sample(people, round(BLOCKED_SHARE * recipients)))
        if faults
        else set()
    )
    async with backend_url(backend) as url, running_emulator() as server:
        database = Database.connect(url)
        try:
            await database.upgrade()
            tree = await prepare(database, server.emulator, recipients)
            created = await create_broadcast(
                database.unit_of_work,
                tree,
                TEXT,
                Audience(AudienceKind.UNITS, units=(UNIT,)),
                AUTHOR,
                now(),
            )
            assert created.recipients == recipients
            base = server.base_url
            async with (
                EmulatorClient(base) as control,
                Bot(TOKEN, base_url=f"{base}/bot", base_file_url=f"{base}/file/bot") as bot,
            ):
                await control.faults(
                    limits={"enabled": True, "scale": scale}, blocked_users=sorted(blocked)
                )
                worker = DeliveryWorker(
                    database.unit_of_work,
                    bot,
                    clock=now,
                    limits=DeliveryLimits().scaled(scale),
                )
                injector = (
                    asyncio.create_task(bursts(server.emulator, control, recipients))
                    if faults
                    else None
                )
                started = time.perf_counter()
                stats = await worker.drain(TIMEOUT)
                elapsed = time.perf_counter() - started
                if injector is not None:
                    injector.cancel()
                    await asyncio.gather(injector, return_exceptions=True)
                emulator_stats = await control.stats()
            async with database.unit_of_work() as uow:
                states = await uow.outbox.counts(created.id)
                inactive = 0
                for telegram_id in blocked:
                    person = await uow.people.get(telegram_id)
                    inactive += person is not None and not person.active
        finally:
            await database.dispose()
        got = received(server.emulator)
    reachable = [p for p in people if p not in blocked]
    delivered = sum(1 for p in reachable if got[p] > 0)
    calls = int(emulator_stats["requests"].get("sendMessage", 0))
    rate = calls / elapsed
    limit = 30.0 * scale
    metrics: Metrics = {
        "recipients": recipients,
        "delivered": delivered,
        "lost": len(reachable) - delivered,
        "duplicated": sum(max(got[p] - 1, 0) for p in people),
        "blocked": len(blocked),
        "r429": int(emulator_stats["rate_limited"]),
        "r5xx": sum(int(v) for k, v in emulator_stats["errors"].items() if k.startswith("5")),
        "retried": stats.retried,
        "calls": calls,
        "seconds": elapsed,
        "rate": rate,
        "limit": limit,
        "efficiency": rate / limit,
        "states_ok": int(
            states
            == (
                {"sent": len(reachable), "blocked": len(blocked)}
                if blocked
                else {"sent": recipients}
            )
            and inactive == len(blocked)
        ),
    }
    say(f"{label} ({backend}): " + " ".join(f"{k}={render(v)}" for k, v in metrics.items()))
    if states != {"sent": len(reachable), "blocked": len(blocked)} and blocked:
        say(f"{label}: outbox states {states}, {inactive} of {len(blocked)} blocked inactive")
    return metrics


def met(metrics: Metrics) -> bool:
    return bool(
        metrics["lost"] == 0
        and metrics["duplicated"] == 0
        and metrics["r429"] == 0
        and metrics["efficiency"] >= TARGET_EFFICIENCY
        and metrics["states_ok"] == 1
    )


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.broadcast", description=__doc__)
    parser.add_argument("--recipients", type=int, default=5000)
    parser.add_argument("--scale", type=float, default=3.0, help="emulator and worker rates ×")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    return parser.parse_args(argv)


async def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    if args.backend == "postgresql" and postgres_admin_url() is None:
        say(f"postgresql: {' or '.join(POSTGRES_ENV)} is not set")
        return 2
    started = time.perf_counter()
    clean = await run(args.backend, args.recipients, args.scale, faults=False)
    faulty = await run(args.backend, args.recipients, args.scale, faults=True)
    figures: Metrics = dict(clean)
    figures.update({f"faults_{key}": value for key, value in faulty.items()})
    figures["wall_s"] = time.perf_counter() - started
    figures["targets_met"] = int(met(clean) and met(faulty))
    say(" ".join(f"{key}={render(value)}" for key, value in figures.items()))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
