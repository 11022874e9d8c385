"""PerChatUpdateProcessor: each person's updates in order, different people's at once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from telegram import Chat, Message, Update, User

from bot.concurrency import PerChatUpdateProcessor, update_key

WAIT = 5.0  # seconds a test may take (a deadline, never a sleep)


def update_from(user_id: int, update_id: int) -> Update:
    user = User(user_id, f"Người {user_id}", is_bot=False)
    chat = Chat(user_id, Chat.PRIVATE)
    message = Message(update_id, datetime(2022, 6, 10, tzinfo=UTC), chat, from_user=user, text="x")
    return Update(update_id, message=message)


class Recorder:
    """What ran, in order, and how many updates of each person ran at the same time."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.running: dict[int, int] = {}
        self.most_at_once: dict[int, int] = {}
        self.total_running = 0
        self.most_in_total = 0
        self.finished = 0
        self.changed = asyncio.Condition()

    def handler(
        self, user_id: int, name: str, body: Callable[[], Awaitable[None]] | None = None
    ) -> Awaitable[None]:
        async def handle() -> None:
            self.running[user_id] = self.running.get(user_id, 0) + 1
            self.total_running += 1
            self.most_at_once[user_id] = max(
                self.most_at_once.get(user_id, 0), self.running[user_id]
            )
            self.most_in_total = max(self.most_in_total, self.total_running)
            self.events.append(f"start {name}")
            try:
                for _ in range(3):  # yield to the loop, as a handler awaiting I/O does
                    await asyncio.sleep(0)
                if body is not None:
                    await body()
                self.events.append(f"end {name}")
            finally:
                self.running[user_id] -= 1
                self.total_running -= 1
                self.finished += 1
                async with self.changed:
                    self.changed.notify_all()

        return handle()


async def feed(
    processor: PerChatUpdateProcessor,
    recorder: Recorder,
    items: list[tuple[Update, Awaitable[Any]]],
) -> None:
    """As python-telegram-bot does with concurrent updates: a task per update, in order."""

    async def everything_handled() -> None:
        tasks = [
            asyncio.create_task(processor.process_update(update, coroutine))
            for update, coroutine in items
        ]
        await asyncio.gather(*tasks)
        async with recorder.changed:  # a queued update finishes after its task returned
            await recorder.changed.wait_for(lambda: recorder.finished == len(items))
        assert processor.busy_keys == 0

    async with processor:
        await asyncio.wait_for(everything_handled(), WAIT)


async def test_one_persons_updates_are_handled_one_at_a_time_in_the_order_received() -> None:
    recorder = Recorder()
    processor = PerChatUpdateProcessor(8)
    await feed(
        processor,
        recorder,
        [(update_from(7, n), recorder.handler(7, str(n))) for n in range(1, 6)],
    )

    assert recorder.events == [f"{what} {n}" for n in range(1, 6) for what in ("start", "end")]
    assert recorder.most_at_once[7] == 1


async def test_two_peoples_updates_are_handled_at_the_same_time() -> None:
    recorder = Recorder()
    a_started, b_started = asyncio.Event(), asyncio.Event()

    async def a_waits_for_b() -> None:
        a_started.set()
        await b_started.wait()  # would never return if B had to wait for A

    async def b_waits_for_a() -> None:
        b_started.set()
        await a_started.wait()

    await feed(
        PerChatUpdateProcessor(8),
        recorder,
        [
            (update_from(1, 1), recorder.handler(1, "a", a_waits_for_b)),
            (update_from(2, 2), recorder.handler(2, "b", b_waits_for_a)),
        ],
    )

    assert sorted(recorder.events) == ["end a", "end b", "start a", "start b"]
    assert recorder.most_in_total == 2


async def test_a_failing_update_neither_stops_the_next_of_its_person_nor_anyone_elses(
    caplog: pytest.LogCaptureFixture,
) -> None:
    recorder = Recorder()

    async def fail() -> None:
        raise RuntimeError("handler bug")

    with caplog.at_level(logging.ERROR, logger="bot.concurrency"):
        await feed(
            PerChatUpdateProcessor(8),
            recorder,
            [
                (update_from(1, 1), recorder.handler(1, "a1", fail)),
                (update_from(2, 2), recorder.handler(2, "b1", fail)),
                (update_from(1, 3), recorder.handler(1, "a2")),
                (update_from(3, 4), recorder.handler(3, "c1")),
                (update_from(2, 5), recorder.handler(2, "b2")),
            ],
        )

    assert {"end a2", "end b2", "end c1"} <= set(recorder.events)
    assert "end a1" not in recorder.events
    assert recorder.events.index("start a1") < recorder.events.index("start a2")
    assert recorder.events.index("start b1") < recorder.events.index("start b2")
    assert [r.getMessage() for r in caplog.records] == [
        "an update of ('user', 1) failed",
        "an update of ('user', 2) failed",
    ]


async def test_at_most_the_limit_of_people_are_handled_at_once() -> None:
    recorder = Recorder()
    await feed(
        PerChatUpdateProcessor(2),
        recorder,
        [(update_from(user, user), recorder.handler(user, str(user))) for user in range(1, 7)],
    )

    assert recorder.most_in_total == 2
    assert len(recorder.events) == 12


async def test_a_person_with_many_waiting_updates_holds_one_slot_not_all_of_them() -> None:
    recorder = Recorder()
    release = asyncio.Event()
    other_done = asyncio.Event()

    async def blocked() -> None:
        await release.wait()

    async def other() -> None:
        other_done.set()
        release.set()  # only reached if person 2 got a slot while person 1's updates wait

    items: list[tuple[Update, Awaitable[Any]]] = [
        (update_from(1, n), recorder.handler(1, f"a{n}", blocked)) for n in range(1, 6)
    ]
    items.append((update_from(2, 6), recorder.handler(2, "b", other)))
    await feed(PerChatUpdateProcessor(2), recorder, items)

    assert other_done.is_set()
    assert recorder.most_at_once[1] == 1
    assert recorder.events.count("end a5") == 1


def test_updates_are_keyed_by_sender_then_chat_and_anything_else_runs_unordered() -> None:
    assert update_key(update_from(7, 1)) == ("user", 7)
    channel = Chat(-100, Chat.CHANNEL)
    post = Message(1, datetime(2022, 6, 10, tzinfo=UTC), channel, text="x")
    assert update_key(Update(2, channel_post=post)) == ("chat", -100)
    assert update_key(Update(3)) is None
    assert update_key("not an update") is None
