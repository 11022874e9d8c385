"""The delivery worker over the fake outbox and a fake Telegram: outcomes of every answer."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from telegram import Chat, InlineKeyboardMarkup, Message
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut

from scheduler.delivery import DeliveryLimits, DeliveryWorker
from services.outbox import enqueue
from services.ports import GroupChat, OutgoingMessage
from tests.fakes import FakeState, FakeUnitOfWork

NOW = datetime(2022, 6, 10, 1, 0, tzinfo=UTC)
FAST = DeliveryLimits(
    overall_per_second=2000,
    overall_burst=20,
    per_chat_per_second=1000,
    per_group_per_minute=60_000,
    flush_interval=0.005,
    poll_interval=0.01,
    backoff_base=0.01,
)


@pytest.fixture(autouse=True)
def _timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    """python-telegram-bot warns when RetryAfter.retry_after is a number."""
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


class FakeBot:
    """Accepts every message unless a scripted error is due for its chat."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, str, float]] = []  # chat, text, monotonic time
        self.calls: list[tuple[int, float]] = []
        self.errors: dict[int, list[Exception]] = {}
        self.on_call: Callable[[], None] | None = None
        self.markups: list[InlineKeyboardMarkup | None] = []

    async def send_message(
        self, chat_id: int | str, text: str, *, reply_markup: InlineKeyboardMarkup | None = None
    ) -> Message:
        assert isinstance(chat_id, int)
        if self.on_call is not None:
            self.on_call()
        self.calls.append((chat_id, time.monotonic()))
        await asyncio.sleep(0.001)
        script = self.errors.get(chat_id)
        if script:
            raise script.pop(0)
        self.sent.append((chat_id, text, time.monotonic()))
        self.markups.append(reply_markup)
        kind = Chat.PRIVATE if chat_id > 0 else Chat.GROUP
        return Message(len(self.sent), NOW, Chat(chat_id, kind), text=text)


class Setup:
    def __init__(self, limits: DeliveryLimits = FAST) -> None:
        self.state = FakeState()
        self.bot = FakeBot()
        started = time.monotonic()
        self.worker = DeliveryWorker(
            self.uow,
            self.bot,
            clock=lambda: NOW + timedelta(seconds=time.monotonic() - started),
            limits=limits,
            draw=lambda: 0.0,
        )

    def uow(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self.state)

    async def queue(self, *messages: OutgoingMessage) -> None:
        async with self.uow() as uow:
            await enqueue(uow, messages, NOW)
            await uow.commit()

    def states(self) -> dict[str, str]:
        return {key: row.state for key, row in self.state.outbox.items()}


async def wait_until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    """Yield to the worker until the condition holds (a deadline, not a timing assertion)."""
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110 (the fake bot has no event to wait on)
            await asyncio.sleep(0.005)


def text(key: str, chat_id: int, body: str | None = None, **options: object) -> OutgoingMessage:
    return OutgoingMessage(key, chat_id, "alert", body or f"[{key}]", **options)  # type: ignore[arg-type]


async def test_every_queued_message_is_sent_once_in_order_and_marked_sent() -> None:
    setup = Setup()
    long = "\n\n".join(f"đoạn {i} " + "x" * 1500 for i in range(6))
    markup = {"inline_keyboard": [[{"text": "Xem", "callback_data": "st:1"}]]}
    await setup.queue(
        *[text(f"m{i}", 100 + i % 10) for i in range(50)],
        text("long", 7, long, markup=markup),
    )
    stats = await setup.worker.drain(5)
    assert stats.sent == 53
    assert sorted(t for _, t, _ in setup.bot.sent if t.startswith("[")) == sorted(
        f"[m{i}]" for i in range(50)
    )
    parts = [t for chat, t, _ in setup.bot.sent if chat == 7]
    assert len(parts) == 3
    assert "\n\n".join(parts) == long
    with_buttons = [
        (chat, t) for (chat, t, _), m in zip(setup.bot.sent, setup.bot.markups, strict=True) if m
    ]
    assert with_buttons == [(7, parts[-1])]  # the buttons go with the last part
    for chat in range(100, 110):
        mine = [t for c, t, _ in setup.bot.sent if c == chat]
        assert mine == sorted(mine, key=lambda t: int(t[2:-1]))
    assert set(setup.states().values()) == {"sent"}
    assert all(row.message_id for row in setup.state.outbox.values())


async def test_a_429_pauses_every_send_for_retry_after_and_loses_nothing() -> None:
    setup = Setup()
    setup.bot.errors[105] = [RetryAfter(timedelta(seconds=0.2))]
    await setup.queue(*[text(f"m{i}", 100 + i) for i in range(20)])
    stats = await setup.worker.drain(5)
    assert stats.rate_limited == 1
    assert stats.sent == 20
    assert len(setup.bot.sent) == 20
    flooded_at = next(at for chat, at in setup.bot.calls if chat == 105)
    started_after = [at for _, at in setup.bot.calls if at > flooded_at + 0.01]
    assert started_after
    assert min(started_after) >= flooded_at + 0.2
    assert set(setup.states().values()) == {"sent"}


async def test_server_errors_are_retried_with_backoff_until_sent() -> None:
    setup = Setup()
    setup.bot.errors[7] = [NetworkError("Bad Gateway"), TimedOut()]
    await setup.queue(text("a", 7), text("b", 7), text("c", 8))
    stats = await setup.worker.drain(5)
    assert stats.retried == 2
    assert [t for chat, t, _ in setup.bot.sent if chat == 7] == ["[a]", "[b]"]
    assert setup.state.outbox["a"].attempts == 3
    assert setup.state.outbox["b"].attempts == 1  # waited behind "a" without trying
    assert set(setup.states().values()) == {"sent"}


async def test_a_message_that_keeps_failing_is_given_up_after_the_last_attempt() -> None:
    setup = Setup(replace(FAST, max_attempts=3))
    setup.bot.errors[7] = [NetworkError("Internal Server Error")] * 5
    await setup.queue(text("a", 7))
    stats = await setup.worker.drain(5)
    row = setup.state.outbox["a"]
    assert (row.state, row.attempts, stats.failed) == ("failed", 3, 1)
    assert row.error is not None
    assert "Internal Server Error" in row.error


async def test_a_recipient_who_blocked_the_bot_is_marked_inactive_and_gets_nothing_more() -> None:
    setup = Setup()
    async with setup.uow() as uow:
        await uow.people.upsert(42, "Lan")
        await uow.commit()
    setup.bot.errors[42] = [Forbidden("Forbidden: bot was blocked by the user")]
    await setup.queue(text("one", 42), text("two", 42), text("other", 43))
    stats = await setup.worker.drain(5)
    assert stats.blocked == 1
    assert setup.states() == {"one": "blocked", "two": "cancelled", "other": "sent"}
    assert not setup.state.people[42].active
    await setup.queue(text("three", 42))
    await setup.worker.drain(5)
    assert setup.states()["three"] == "cancelled"
    assert [chat for chat, _ in setup.bot.calls].count(42) == 1


async def test_a_group_that_became_a_supergroup_gets_its_messages_at_the_new_id() -> None:
    setup = Setup()
    setup.state.chats[-5] = GroupChat(-5, "Phòng", "group")
    setup.state.units["SNV"] = True
    setup.state.subscriptions[-5, "SNV"] = True
    setup.bot.errors[-5] = [ChatMigrated(-1005)]
    await setup.queue(text("g1", -5), text("g2", -5))
    stats = await setup.worker.drain(5)
    assert stats.migrated == 1
    assert [(chat, t) for chat, t, _ in setup.bot.sent] == [(-1005, "[g1]"), (-1005, "[g2]")]
    assert setup.state.chats[-5].migrated_to == -1005
    assert (-1005, "SNV") in setup.state.subscriptions
    assert set(setup.states().values()) == {"sent"}


async def test_a_chat_telegram_does_not_know_fails_at_once() -> None:
    setup = Setup()
    setup.bot.errors[9] = [BadRequest("Chat not found")]
    await setup.queue(text("a", 9))
    await setup.worker.drain(5)
    row = setup.state.outbox["a"]
    assert (row.state, row.attempts) == ("failed", 1)


async def test_no_more_messages_than_the_crash_window_are_ever_unrecorded() -> None:
    setup = Setup()
    worker = setup.worker
    seen: list[int] = []
    setup.bot.on_call = lambda: seen.append(worker.unrecorded)
    await setup.queue(*[text(f"m{i}", 1000 + i) for i in range(300)])
    await worker.drain(10)
    assert len(setup.bot.sent) == 300
    assert max(seen) <= FAST.max_unrecorded


async def test_a_stopped_worker_records_what_it_sent_and_gives_back_the_rest() -> None:
    limits = replace(FAST, overall_per_second=200)
    setup = Setup(limits)
    await setup.queue(*[text(f"m{i}", 1000 + i) for i in range(200)])
    task = asyncio.create_task(setup.worker.run())
    await wait_until(lambda: len(setup.bot.sent) >= 50)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    states = setup.states()
    assert "sending" not in states.values()
    assert list(states.values()).count("sent") == len(setup.bot.sent)
    assert list(states.values()).count("pending") == 200 - len(setup.bot.sent)


async def test_notify_wakes_a_worker_that_polls_rarely() -> None:
    limits = replace(FAST, poll_interval=60)
    setup = Setup(limits)
    task = asyncio.create_task(setup.worker.run())
    try:
        await asyncio.sleep(0.05)
        await setup.queue(text("a", 1))
        setup.worker.notify()
        await wait_until(lambda: bool(setup.bot.sent))
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert setup.states() == {"a": "sent"}


async def test_rows_left_sending_by_a_crash_go_out_again_on_start() -> None:
    setup = Setup()
    await setup.queue(text("a", 1), text("b", 2))
    async with setup.uow() as uow:
        await uow.outbox.claim(NOW, 10)
        await uow.commit()
    stats = await setup.worker.drain(5)
    assert (stats.recovered, stats.sent) == (2, 2)
