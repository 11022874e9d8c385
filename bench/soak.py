"""Soak: many people through the sandbox's journeys for a long while, with faults injected at
random, while the scheduler sends reminders, alerts and broadcasts.

    python -m bench.soak --minutes 30 [--people 200] [--backend postgresql] [--think 20]

As `bench.updates`, two processes: this one runs the Bot API emulator (its limits off) and the
people; the bot runs as `chitieu run` does (`python -m bench._soak_bot`: polling, scheduler
and delivery worker on, /metrics on a port of its own). Its clock starts on 11/06/2022 at
07:58 (province time): the 07:30 alert sweep is caught up at start, the departments' "7 days
before" reminders fire at 08:00, and a broadcast to every unit's head goes out every
`--broadcast-every` seconds from this process (through the services, as `chitieu broadcast`).

Each of `--people` people (bench._people.roster, with the demo's figures January to May) loops,
pausing 0 to 2×`--think` seconds before every update: /status and a button on it, /submit
through every question to Confirm (a correction's reason too); every fourth round also /export
(the workbook arrives as a document) or /chart and a chart button (a photo). A quarter as many
more people are bound to units but quiet: they only receive reminders and broadcasts (some of
them block the bot during the run).

Faults, one every `--fault-every` seconds on average, at random: getUpdates answering 502 a few
times, getUpdates slow, getUpdates dropped (connection closed), and quiet people blocking the
bot. They are the faults a person's own requests must ride out unseen; faults aimed at the
bot's replies and at the database are the bad-day tests' (tests/e2e/bot/test_bad_day.py).

At the end the people stop, the outbox is left to drain, and the bot's process is stopped.
Printed: updates answered, errors (steps with no or an unexpected answer, and what the bot
logged at ERROR), p50/p99 of the replies, the bot's RSS and open file descriptors after the
warm-up and at the end (and at start), messages lost (an outbox row not delivered, or marked
sent with no such message in the chat; a recipient who blocked the bot loses nothing) and
duplicated (a chat holding more copies of a queued text than were queued), and the bot's own
counters from /metrics. The last line is key=value pairs ending with `targets_met=1|0`: no
error, nothing lost or duplicated, RSS growth under 10 % from the end of the warm-up.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from bench._people import Person
from bench.status import POSTGRES_ENV, backend_url, percentile, postgres_admin_url, render, say
from bench.updates import (
    ANSWER_TIMEOUT,
    JSON,
    OURS_TOKEN,
    OurWorld,
    Phase,
    PhaseOverError,
    Talk,
    UnexpectedAnswerError,
    bot_id_of,
    bot_settings,
    button_data,
    ours_round,
    prepare,
)
from cli.sandbox_runner import shifted_clock
from kpi.periods import cumulative_period
from sandbox import EmulatorClient, running_emulator
from sandbox.testing import free_port
from services.broadcasts import Audience, create_broadcast
from services.catalogues import Catalogues
from storage import Database
from storage.tables import OutboxRow

START = datetime(2022, 6, 11, 7, 58)  # noqa: DTZ001 (province time, the zone set at use): 2 minutes before the 08:00 reminders
ADMIN = 719_999  # the provincial office (ADMIN_TELEGRAM_IDS): the sweep's alerts go there
QUIET_SHARE = 0.25  # quiet people, as a share of the active ones
SAMPLE_EVERY = 10.0  # seconds between two looks at the bot's RSS and descriptors
PROGRESS_EVERY = 60.0
DRAIN_TIMEOUT = 180.0  # seconds the outbox may take to empty once the people stop
TARGET_RSS_GROWTH = 0.10
FAULTS = ("getupdates_502", "getupdates_slow", "getupdates_drop", "block")
SEED = 2022


# --- the bot's process ----------------------------------------------------------------------


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text("ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def open_fds(pid: int) -> int:
    return sum(1 for _ in Path(f"/proc/{pid}/fd").iterdir())


@dataclass
class BotProcess:
    pid: int
    port: int
    errors: int = 0
    samples: list[tuple[float, int, int]] = field(default_factory=list)  # (t, rss, fds)

    def sample(self) -> None:
        with contextlib.suppress(OSError):  # the process is gone
            self.samples.append((time.perf_counter(), rss_bytes(self.pid), open_fds(self.pid)))


@asynccontextmanager
async def bot_process(base_url: str, database_url: str) -> AsyncIterator[BotProcess]:
    port = free_port()
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench._soak_bot",
        base_url,
        database_url,
        START.isoformat(),
        str(port),
        str(ADMIN),
        stdout=asyncio.subprocess.PIPE,
    )
    assert child.stdout is not None
    process = BotProcess(child.pid, port)
    while (line := await asyncio.wait_for(child.stdout.readline(), 120)) != b"ready\n":
        if not line:
            raise RuntimeError("the bot's process ended before polling")
        say(f"  bot: {line.decode().rstrip()}")
    last: list[str] = []

    async def relay() -> None:  # the pipe must not fill up
        assert child.stdout is not None
        while line := await child.stdout.readline():
            text = line.decode().rstrip()
            last.append(text)
            if not text.startswith("{"):
                say(f"  bot: {text}")

    relaying = asyncio.create_task(relay())
    try:
        yield process
    finally:
        if child.returncode is None:
            child.send_signal(signal.SIGTERM)
        await asyncio.wait_for(child.wait(), 120)
        await relaying
        if last and last[-1].startswith("{"):
            process.errors += int(json.loads(last[-1])["errors"])
        else:
            process.errors += 1
            say(f"  bot: no report; exit status {child.returncode}")


# --- the people -------------------------------------------------------------------------------


def has_document(message: JSON) -> bool:
    return message.get("document") is not None


CHART_PREFIXES = ("cm:", "ct:", "cr:")  # the chart menu's buttons: a trend, a ranking, the other
NO_CHART = "Không có chỉ tiêu nào áp dụng"  # "No indicator applies to this unit."


def is_chart_menu(message: JSON) -> bool:
    """/chart's answer: the menu of charts, or that there is none; not a broadcast or an alert
    arriving meanwhile."""
    if message["edited"]:
        return False
    menu = any(data.startswith(CHART_PREFIXES) for data in button_data(message))
    return menu or NO_CHART in (message.get("text") or "")


def chart_answer(message_id: int) -> Any:
    def accept(message: JSON) -> bool:
        return message.get("photo") is not None or (
            message["message_id"] == message_id and bool(message["edited"])
        )

    return accept


async def soak_round(talk: Talk, rng: random.Random, world: OurWorld, person: Person) -> None:
    """The journeys: status and submit every round, export or a chart every fourth."""
    await ours_round(talk, rng, world, person)
    if rng.random() >= 0.25:
        return
    if rng.random() < 0.5:
        await talk.send("/export", "export", has_document)
        talk.phase.outcomes["export"] += 1
    else:
        menu = await talk.send("/chart", "chart", is_chart_menu)
        charts = button_data(menu)
        if not charts:  # nothing to draw for this unit: the bot says so
            talk.phase.outcomes["chart_none"] += 1
            return
        await talk.press(menu, rng.choice(charts), "chart_press", chart_answer(menu["message_id"]))
        talk.phase.outcomes["chart"] += 1


async def person_loop(talk: Talk, world: OurWorld, person: Person, seed: int) -> None:
    rng = random.Random(seed)
    # people do not all start in the same second
    await asyncio.sleep(rng.uniform(0, 2 * talk.phase.think))
    while time.perf_counter() < talk.phase.deadline:
        try:
            await soak_round(talk, rng, world, person)
            talk.phase.outcomes["rounds"] += 1
        except PhaseOverError:
            return
        except (UnexpectedAnswerError, TimeoutError) as problem:
            talk.phase.error(f"person {talk.user_id}: {problem}")
            await start_over(talk)
        except Exception as problem:  # noqa: BLE001 (a bug of the script: counted, not fatal)
            talk.phase.error(f"person {talk.user_id}: {type(problem).__name__}: {problem}")
            await start_over(talk)


async def start_over(talk: Talk) -> None:
    """After an error: /cancel whatever the chat was in, then the next round."""
    try:
        await talk.client.send(talk.user_id, "/cancel")
        await asyncio.sleep(1.0)
    except Exception as failed:  # noqa: BLE001 (keep the other people going)
        talk.phase.error(f"person {talk.user_id}: /cancel failed: {failed}")


# --- the background: faults, broadcasts, samples ---------------------------------------------


async def inject_faults(
    control: EmulatorClient, quiet: list[int], every: float, phase: Phase, seen: Counter[str]
) -> None:
    rng = random.Random(SEED + 1)
    blockable = list(quiet)
    rng.shuffle(blockable)
    while time.perf_counter() < phase.deadline:
        await asyncio.sleep(rng.expovariate(1 / every))
        kind = rng.choice(FAULTS)
        if kind == "getupdates_502":
            body: JSON = {"server_errors": {"count": 3, "status": 502, "methods": ["getUpdates"]}}
        elif kind == "getupdates_slow":
            body = {"slow": {"count": 2, "seconds": 3, "methods": ["getUpdates"]}}
        elif kind == "getupdates_drop":
            body = {"drop": {"count": 2, "methods": ["getUpdates"]}}
        elif blockable:
            body = {"blocked_users": [blockable.pop()]}
        else:
            continue
        await control.faults(**body)
        seen[kind] += 1


async def broadcast_now_and_then(
    database: Database, catalogues: Catalogues, clock: Any, every: float, phase: Phase
) -> int:
    made = 0
    tree = catalogues.newest.units
    while time.perf_counter() < phase.deadline - every / 2:
        await asyncio.sleep(every)
        made += 1
        await create_broadcast(
            database.unit_of_work,
            tree,
            f"Thông báo số {made}: họp giao ban trực tuyến lúc 14 giờ hôm nay.",
            Audience.parse("heads", tree),
            ADMIN,
            clock(),
        )
    return made


async def sample_bot(process: BotProcess) -> None:
    while True:
        process.sample()
        await asyncio.sleep(SAMPLE_EVERY)


async def progress(phase: Phase, process: BotProcess) -> None:
    while True:
        await asyncio.sleep(PROGRESS_EVERY)
        now = time.perf_counter()
        recent = [s.ms for s in phase.samples if s.ended >= now - PROGRESS_EVERY]
        rss = process.samples[-1][1] / 2**20 if process.samples else float("nan")
        say(
            f"  {now - phase.started:5.0f} s: {len(phase.samples)} updates answered,"
            f" last minute {len(recent)}, p99 {percentile(recent, 99) if recent else 0:.0f} ms,"
            f" errors {len(phase.errors)}, bot RSS {rss:.1f} MiB"
        )


# --- the end: the outbox against what the chats hold ------------------------------------------


async def due_messages(database: Database, now: datetime) -> int:
    table = OutboxRow.__table__  # type: ignore[attr-defined]
    async with database.engine.connect() as connection:
        rows = await connection.execute(
            select(table.c.id).where(
                table.c.state.in_(("pending", "sending")), table.c.not_before <= now
            )
        )
        return len(rows.all())


async def drain(database: Database, clock: Any) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < DRAIN_TIMEOUT:
        if await due_messages(database, clock()) == 0:
            break
        await asyncio.sleep(1.0)
    return time.perf_counter() - started


async def lost_and_duplicated(
    database: Database, control: EmulatorClient
) -> tuple[int, int, Counter[str]]:
    table = OutboxRow.__table__  # type: ignore[attr-defined]
    async with database.engine.connect() as connection:
        rows = (
            await connection.execute(
                select(table.c.chat_id, table.c.text, table.c.state, table.c.message_id)
            )
        ).all()
    states = Counter(str(row.state) for row in rows)
    queued: dict[int, Counter[str]] = {}
    for row in rows:
        queued.setdefault(int(row.chat_id), Counter())[str(row.text)] += 1
    lost = duplicated = 0
    for chat_id, texts in queued.items():
        listed = await control.messages(chat_id, 0)
        said = [m for m in listed["messages"] if m["sender"] == "bot"]
        held = Counter(m["text"] for m in said if m["text"] in texts)
        ids = {m["message_id"]: m["text"] for m in said}
        for text, count in texts.items():
            duplicated += max(0, held[text] - count)
        for row in rows:
            if int(row.chat_id) != chat_id:
                continue
            if row.state in {"pending", "sending", "failed"} or (  # never delivered
                row.state == "sent" and ids.get(row.message_id) != row.text
            ):
                lost += 1
    return lost, duplicated, states


async def scrape(port: int) -> dict[str, float]:
    wanted = (
        "chitieu_updates_total",
        "chitieu_notices_sent_total",
        "chitieu_outbox_messages_total",
        "chitieu_telegram_429_total",
        "chitieu_job_runs_total",
    )
    found: dict[str, float] = {}
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            text = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
    except httpx.HTTPError as error:
        say(f"  /metrics: {error}")
        return {}
    for line in text.splitlines():
        for name in wanted:
            if line.startswith(name):
                label = line.rsplit(" ", 1)[0]
                found[label] = found.get(label, 0.0) + float(line.rsplit(" ", 1)[1])
    return found


# --- the run ------------------------------------------------------------------------------------


async def soak(args: argparse.Namespace, url: str) -> dict[str, float | int]:
    seconds = args.minutes * 60
    warmup = min(120.0, seconds / 6)
    async with running_emulator() as server, AsyncExitStack() as stack:
        base_url = server.base_url
        settings = bot_settings(base_url, url)
        clock = shifted_clock(START.replace(tzinfo=settings.tzinfo))
        database = Database.connect(url)
        stack.push_async_callback(database.dispose)
        quiet_count = max(1, round(args.people * QUIET_SHARE))
        catalogue, everyone = await prepare(
            database, settings, clock, args.people + quiet_count, "soak"
        )
        async with database.unit_of_work() as uow:
            catalogues = await Catalogues.from_store(uow)
        people, quiet = everyone[: args.people], everyone[args.people :]
        control = await stack.enter_async_context(EmulatorClient(base_url))
        for person in everyone:
            await control.create_user(
                person.telegram_id, person.name, language_code="vi", last_name=""
            )
        await control.create_user(ADMIN, "Văn phòng", language_code="vi")
        month = catalogues.current_month(clock().astimezone(settings.tzinfo).date())
        world = OurWorld(catalogue, cumulative_period(month.year, month.quarter_number).key)
        phase = Phase("soak", warmup, seconds - warmup, args.think)
        faults: Counter[str] = Counter()
        say(
            f"soak: {args.people} people (+{len(quiet)} quiet), {args.minutes:g} min on"
            f" {args.backend}, pausing {args.think:g} s on average; a fault every"
            f" {args.fault_every:g} s, a broadcast every {args.broadcast_every:g} s"
        )
        async with bot_process(base_url, url) as process:
            process.sample()
            started_rss, started_fds = process.samples[0][1:]
            clients = [
                await stack.enter_async_context(
                    EmulatorClient(base_url, bot_id=bot_id_of(OURS_TOKEN), timeout=ANSWER_TIMEOUT)
                )
                for _ in people
            ]
            phase.started = time.perf_counter()
            background = [
                asyncio.create_task(sample_bot(process)),
                asyncio.create_task(progress(phase, process)),
            ]
            injector = asyncio.create_task(
                inject_faults(
                    control, [p.telegram_id for p in quiet], args.fault_every, phase, faults
                )
            )
            broadcaster = asyncio.create_task(
                broadcast_now_and_then(database, catalogues, clock, args.broadcast_every, phase)
            )
            await asyncio.gather(
                *(
                    person_loop(
                        Talk(client, server.emulator, p.telegram_id, phase), world, p, SEED + i
                    )
                    for i, (client, p) in enumerate(zip(clients, people, strict=True))
                )
            )
            injector.cancel()
            broadcasts = await broadcaster
            await control.faults(clear=True)
            drained = await drain(database, clock)
            process.sample()
            counters = await scrape(process.port)
            for task in background:
                task.cancel()
            lost, duplicated, states = await lost_and_duplicated(database, control)
        after_warmup = [s for s in process.samples if s[0] >= phase.window_start]
        warm_rss, warm_fds = (after_warmup[0] if after_warmup else process.samples[0])[1:]
        end_rss, end_fds = process.samples[-1][1:]
    latencies = [s.ms for s in phase.samples]
    errors = len(phase.errors) + process.errors
    say(f"  faults injected: {dict(faults)}; broadcasts {broadcasts}; outbox {dict(states)}")
    say(f"  outbox drained {drained:.0f} s after the people stopped")
    say(f"  journeys: {dict(sorted(phase.outcomes.items()))}")
    for name, value in sorted(counters.items()):
        say(f"  /metrics {name} {value:g}")
    return {
        "updates": len(phase.samples),
        "errors": errors,
        "journey_errors": len(phase.errors),
        "bot_logged_errors": process.errors,
        "p50_ms": percentile(latencies, 50) if latencies else float("nan"),
        "p99_ms": percentile(latencies, 99) if latencies else float("nan"),
        "rss_start_mib": started_rss / 2**20,
        "rss_warm_mib": warm_rss / 2**20,
        "rss_end_mib": end_rss / 2**20,
        "rss_growth": (end_rss - warm_rss) / warm_rss if warm_rss else float("nan"),
        "fds_start": started_fds,
        "fds_warm": warm_fds,
        "fds_end": end_fds,
        "outbox_rows": sum(states.values()),
        "outbox_sent": states.get("sent", 0),
        "outbox_blocked": states.get("blocked", 0) + states.get("cancelled", 0),
        "lost": lost,
        "duplicated": duplicated,
        "faults": sum(faults.values()),
        "broadcasts": broadcasts,
        "reminders_sent": int(counters.get('chitieu_notices_sent_total{kind="reminder"}', 0)),
        "alerts_sent": int(counters.get('chitieu_notices_sent_total{kind="alert"}', 0)),
    }


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.soak", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--minutes", type=float, default=30, help="how long (default 30)")
    parser.add_argument("--people", type=int, default=200, help="people at once (default 200)")
    parser.add_argument(
        "--backend",
        choices=("sqlite", "postgresql"),
        default=None,
        help=f"default: postgresql when {' or '.join(POSTGRES_ENV)} is set, else sqlite",
    )
    parser.add_argument("--think", type=float, default=20, help="mean pause before an update (s)")
    parser.add_argument(
        "--fault-every", type=float, default=30, help="mean seconds between faults"
    )
    parser.add_argument(
        "--broadcast-every", type=float, default=300, help="seconds between broadcasts"
    )
    args = parser.parse_args(argv)
    if args.backend is None:
        args.backend = "postgresql" if postgres_admin_url() else "sqlite"
    if args.backend == "postgresql" and postgres_admin_url() is None:
        parser.error(f"postgresql needs {' or '.join(POSTGRES_ENV)}")
    if args.minutes <= 0 or args.people < 1 or args.think <= 0 or args.fault_every <= 0:
        parser.error("--minutes > 0, --people ≥ 1, --think > 0, --fault-every > 0")
    return args


async def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    started = time.perf_counter()
    async with backend_url(args.backend) as url:
        metrics = await soak(args, url)
    missed = []
    if metrics["errors"]:
        missed.append(f"{metrics['errors']} errors")
    if metrics["lost"] or metrics["duplicated"]:
        missed.append(f"lost {metrics['lost']}, duplicated {metrics['duplicated']}")
    if not metrics["rss_growth"] < TARGET_RSS_GROWTH:
        missed.append(f"RSS grew {100 * metrics['rss_growth']:.1f} %")
    for what in missed:
        say(f"target missed: {what}")
    shown: dict[str, float | int] = {"backend_postgresql": int(args.backend == "postgresql")}
    shown.update(metrics)
    shown["people"] = args.people
    shown["minutes"] = args.minutes
    shown["wall_s"] = time.perf_counter() - started
    shown["targets_met"] = int(not missed)
    say(" ".join(f"{key}={render(value)}" for key, value in shown.items()))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
