"""The delivery worker: sends what the outbox holds, within Telegram's limits, exactly once
unless the process dies at the wrong moment.

    worker = DeliveryWorker(database.unit_of_work, application.bot, clock=clock)
    task = asyncio.create_task(worker.run())   # until cancelled; worker.notify() after a commit
    ...
    task.cancel()                              # waits for the sends in flight, records them

One worker per bot token (its token buckets are the bot's limits): it claims due rows in id
order (they turn `sending`), paces them with its own token buckets (overall, per chat ~1 a
second, per group 20 a minute), sends up to `concurrency` at once, and records the outcomes
in small batches:

- accepted → `sent` with the message id;
- 429 → every send pauses for `retry_after`, the message is sent again after the pause (a
  flood never costs an attempt);
- 5xx, time-outs, network errors → `pending` again after an exponential backoff with jitter;
  after `max_attempts` → `failed` with the error;
- 403 (blocked, deactivated, kicked) → `blocked`, the person or group marked inactive, the
  chat's other queued messages `cancelled` (and later ones are cancelled when claimed);
- the group became a supergroup → the chat, its subscriptions and its queued messages move to
  the new id and the message is sent there;
- any other 400 (chat not found, bad text) → `failed` at once.

The crash window. A message Telegram accepted but whose `sent` mark is not yet committed is
sent again after a crash (`recover()` at start makes `sending` rows pending). The worker never
lets more than `max_unrecorded` messages be in that state: it starts a send only while
(sends in flight + accepted sends not yet recorded) < `max_unrecorded` (default 24: 8 in
flight, marks flushed every 16 or every 0.25 s). So a crash duplicates at most
`max_unrecorded` messages, and in practice only what was accepted in the last flush interval
(measured by tests/e2e/delivery/test_crash.py: see the README). A send that times out after
Telegram accepted it is also sent again (it cannot be told apart from a lost request).
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import logging
import random
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Protocol

from telegram import InlineKeyboardMarkup, Message
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    RetryAfter,
    TelegramError,
)
from telegram.warnings import PTBDeprecationWarning

from services.ports import Delivery, Sent, UnitOfWork

logger = logging.getLogger(__name__)


class MessageSender(Protocol):
    """What the worker needs of a `telegram.Bot`."""

    async def send_message(
        self, chat_id: int | str, text: str, *, reply_markup: InlineKeyboardMarkup | None = None
    ) -> Message: ...


@dataclass(frozen=True, slots=True)
class DeliveryLimits:
    """Telegram's limits (per bot) and the worker's own bounds."""

    overall_per_second: float = 30.0
    overall_burst: float = 5.0  # tokens saved while idle (absorbs the event loop's jitter)
    per_chat_per_second: float = 1.0
    per_group_per_minute: float = 20.0
    concurrency: int = 8  # sends in flight at most
    max_unrecorded: int = 24  # in flight + accepted but not yet recorded: the crash window
    flush_interval: float = 0.25  # seconds an outcome may wait to be recorded
    claim_size: int = 100
    poll_interval: float = 1.0  # seconds between looks at the outbox when nothing is known due
    # tries of a message failing with 5xx or time-outs: with the backoff, at least half an hour
    # of Telegram unreachable (tests/e2e/bot/test_bad_day.py) before a message is given up
    max_attempts: int = 20
    backoff_base: float = 2.0  # seconds before the first retry (doubling, ±50 % jitter)
    backoff_max: float = 300.0

    def scaled(self, factor: float) -> DeliveryLimits:
        """Every rate × factor (for an emulator whose limits are scaled the same)."""
        return replace(
            self,
            overall_per_second=self.overall_per_second * factor,
            per_chat_per_second=self.per_chat_per_second * factor,
            per_group_per_minute=self.per_group_per_minute * factor,
        )

    def backoff(self, attempts: int, draw: float) -> float:
        """Seconds before trying again after `attempts` failed tries; `draw` in [0, 1)."""
        delay = min(self.backoff_max, self.backoff_base * float(2 ** max(attempts - 1, 0)))
        return delay / 2 + draw * delay / 2


# --- pacing --------------------------------------------------------------------------------------


@dataclass(slots=True)
class Bucket:
    """`rate` tokens a second up to `capacity`; a send takes one."""

    rate: float
    capacity: float
    tokens: float
    stamp: float

    def _refill(self, now: float) -> None:
        if now > self.stamp:
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now

    def wait(self, now: float) -> float:
        """Seconds until a token is there (0 when one is)."""
        self._refill(now)
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self, now: float) -> None:
        self._refill(now)
        self.tokens -= 1

    def full(self, now: float) -> bool:
        self._refill(now)
        return self.tokens >= self.capacity


class Pacer:
    """Token buckets over a monotonic clock in seconds, and the pause after a 429.

    Chat buckets start with one token (a message to a new chat goes at once) and are
    forgotten once full again, so memory follows the chats active in the last seconds.
    """

    def __init__(self, limits: DeliveryLimits, now: float) -> None:
        self.limits = limits
        self.overall = Bucket(
            limits.overall_per_second, limits.overall_burst, limits.overall_burst, now
        )
        self.chats: dict[int, Bucket] = {}
        self.groups: dict[int, Bucket] = {}
        self.paused_until = now
        self._takes = 0

    def pause(self, until: float) -> None:
        """Send nothing before `until` (a 429's retry_after)."""
        self.paused_until = max(self.paused_until, until)

    def overall_wait(self, now: float) -> float:
        return max(self.paused_until - now, self.overall.wait(now), 0.0)

    def chat_wait(self, chat_id: int, now: float) -> float:
        """Seconds before this chat may get a message (the overall limit aside)."""
        wait = 0.0
        bucket = self.chats.get(chat_id)
        if bucket is not None:
            wait = bucket.wait(now)
        group = self.groups.get(chat_id)
        if group is not None:
            wait = max(wait, group.wait(now))
        return wait

    def wait(self, chat_id: int, now: float) -> float:
        return max(self.overall_wait(now), self.chat_wait(chat_id, now))

    def take(self, chat_id: int, now: float) -> None:
        """Count one message to the chat (call only when `wait` is 0)."""
        limits = self.limits
        self.overall.take(now)
        self._bucket(self.chats, chat_id, limits.per_chat_per_second, now).take(now)
        if chat_id < 0:
            self._bucket(self.groups, chat_id, limits.per_group_per_minute / 60, now).take(now)
        self._takes += 1
        if self._takes % 1000 == 0:
            self._forget_idle(now)

    @staticmethod
    def _bucket(buckets: dict[int, Bucket], chat_id: int, rate: float, now: float) -> Bucket:
        bucket = buckets.get(chat_id)
        if bucket is None:
            bucket = buckets[chat_id] = Bucket(rate, 1.0, 1.0, now)
        return bucket

    def _forget_idle(self, now: float) -> None:
        for buckets in (self.chats, self.groups):
            for chat_id in [c for c, b in buckets.items() if b.full(now)]:
                del buckets[chat_id]


# --- outcomes ------------------------------------------------------------------------------------


@dataclass
class DeliveryStats:
    """What a worker did since it was made."""

    recovered: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    blocked: int = 0
    cancelled: int = 0
    migrated: int = 0
    rate_limited: int = 0  # 429 answers
    paused_seconds: float = 0.0


@dataclass
class _Outcomes:
    """Outcomes not yet recorded in the outbox."""

    sent: list[Sent] = field(default_factory=list)
    retries: list[tuple[int, datetime, str]] = field(default_factory=list)
    releases: list[tuple[int, datetime]] = field(default_factory=list)
    failures: list[tuple[int, str]] = field(default_factory=list)
    blocks: list[tuple[int, int, str]] = field(default_factory=list)  # row, chat, error
    migrations: list[tuple[int, int]] = field(default_factory=list)
    since: float | None = None  # when the oldest was added (monotonic)

    def __bool__(self) -> bool:
        return bool(
            self.sent
            or self.retries
            or self.releases
            or self.failures
            or self.blocks
            or self.migrations
        )

    def merge_back(self, older: _Outcomes) -> None:
        """Put outcomes whose recording failed before these."""
        self.sent[:0] = older.sent
        self.retries[:0] = older.retries
        self.releases[:0] = older.releases
        self.failures[:0] = older.failures
        self.blocks[:0] = older.blocks
        self.migrations[:0] = older.migrations
        if older.since is not None:
            self.since = older.since if self.since is None else min(self.since, older.since)


def _retry_after_seconds(error: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


# --- the worker ----------------------------------------------------------------------------------


class DeliveryWorker:
    """Delivers the outbox: `run()` until cancelled, or `drain()` what is due (tests)."""

    def __init__(
        self,
        unit_of_work: Callable[[], UnitOfWork],
        bot: MessageSender,
        *,
        clock: Callable[[], datetime],
        limits: DeliveryLimits | None = None,
        draw: Callable[[], float] = random.random,
        monotonic: Callable[[], float] = time.monotonic,
        observe: Callable[[str, str], None] | None = None,
    ) -> None:
        self._uow = unit_of_work
        self._observe = observe  # (outcome, kind) of each send, e.g. for /metrics
        self._bot = bot
        self._clock = clock
        self.limits = limits or DeliveryLimits()
        self._draw = draw
        self._monotonic = monotonic
        self.pacer = Pacer(self.limits, monotonic())
        self.stats = DeliveryStats()
        self._waiting: list[Delivery] = []  # claimed, not yet sent, by id
        self._in_flight: dict[int, asyncio.Task[None]] = {}  # by chat
        self._outcomes = _Outcomes()
        self._flushing: asyncio.Task[None] | None = None
        self._claiming: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._poked = True
        self._more_due = True
        self._next_claim = 0.0
        self._recovered = False
        self._flushing_sent = 0  # accepted sends in the record being written

    # --- the public face

    def notify(self) -> None:
        """Something was queued: look at the outbox now rather than at the next poll."""
        self._poked = True
        self._wake.set()

    async def run(self) -> None:
        """Deliver until cancelled; then wait for the sends in flight and record them."""
        try:
            await self._recover()
            await self._loop(horizon=None, deadline=None)
        finally:
            await self._shutdown()

    async def drain(self, timeout: float = 60.0) -> DeliveryStats:  # noqa: ASYNC109
        """Deliver everything due now or within `timeout` seconds (retries included); return
        once nothing more is due by then. TimeoutError when that takes longer."""
        try:
            await self._recover()
            horizon = self._clock() + timedelta(seconds=timeout)
            await self._loop(horizon=horizon, deadline=self._monotonic() + timeout)
        finally:
            await self._shutdown()
        return self.stats

    @property
    def unrecorded(self) -> int:
        """Sends in flight plus accepted sends not yet recorded (≤ limits.max_unrecorded)."""
        return len(self._in_flight) + len(self._outcomes.sent) + self._flushing_sent

    # --- the loop

    async def _recover(self) -> None:
        if self._recovered:
            return
        async with self._uow() as uow:
            recovered = await uow.outbox.recover()
            await uow.commit()
        self._recovered = True
        self.stats.recovered += recovered
        if recovered:
            logger.warning("outbox: %d messages left sending by a stop go out again", recovered)

    async def _loop(self, *, horizon: datetime | None, deadline: float | None) -> None:
        while True:
            now = self._monotonic()
            if deadline is not None and now > deadline:
                raise TimeoutError("the outbox still had messages to deliver")
            if self._claiming is None and self._should_claim(now):
                # In the background: sending goes on from what is already claimed.
                self._claiming = asyncio.create_task(self._claim(now))
            next_send = self._dispatch(now)
            self._maybe_flush(now)
            if horizon is not None and self._idle():
                due = await self._next_due()
                if due is None or due > horizon:
                    return
                self._next_claim = min(self._next_claim, now + self._seconds_until(due))
            waits = [self._next_claim - now]
            if next_send is not None:
                waits.append(next_send)
            if self._outcomes and self._flushing is None and self._outcomes.since is not None:
                waits.append(self._outcomes.since + self.limits.flush_interval - now)
            if deadline is not None:
                waits.append(deadline - now)
            await self._sleep(max(min(waits), 0.0))

    def _seconds_until(self, when: datetime) -> float:
        return max((when - self._clock()).total_seconds(), 0.0)

    async def _sleep(self, seconds: float) -> None:
        self._wake.clear()
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)

    def _idle(self) -> bool:
        return (
            not self._waiting
            and not self._in_flight
            and not self._outcomes
            and self._flushing is None
            and self._claiming is None
            and not self._more_due
        )

    async def _next_due(self) -> datetime | None:
        async with self._uow() as uow:
            return await uow.outbox.next_due()

    # --- claiming

    def _should_claim(self, now: float) -> bool:
        if len(self._waiting) >= self.limits.claim_size // 2:
            return False
        return self._poked or self._more_due or now >= self._next_claim

    async def _claim(self, now: float) -> None:
        self._poked = False
        size = self.limits.claim_size
        try:
            async with self._uow() as uow:
                claimed = await uow.outbox.claim(self._clock(), size)
                await uow.commit()
        except Exception:
            logger.exception("outbox: claiming failed; trying again at the next poll")
            self._more_due = False
            self._next_claim = self._monotonic() + self.limits.poll_interval
            return
        finally:
            self._claiming = None
            self._wake.set()
        self._more_due = len(claimed) == size
        self._next_claim = now + self.limits.poll_interval
        for delivery in claimed:
            bisect.insort(self._waiting, delivery, key=lambda d: d.id)

    # --- sending

    def _dispatch(self, now: float) -> float | None:
        """Start every send the limits allow now; seconds until the next could start (None
        when nothing waits, or only for a send in flight or a record)."""
        limits = self.limits
        while self._waiting:
            if len(self._in_flight) >= limits.concurrency or self.unrecorded >= (
                limits.max_unrecorded
            ):
                return None
            overall = self.pacer.overall_wait(now)
            if overall > 0:
                return overall
            soonest: float | None = None
            chosen = None
            seen: set[int] = set()
            for index, delivery in enumerate(self._waiting):
                chat = delivery.chat_id
                if chat in seen or chat in self._in_flight:
                    continue
                seen.add(chat)
                wait = self.pacer.chat_wait(chat, now)
                if wait <= 0:
                    chosen = index
                    break
                soonest = wait if soonest is None else min(soonest, wait)
            if chosen is None:
                return soonest
            delivery = self._waiting.pop(chosen)
            self.pacer.take(delivery.chat_id, now)
            self._in_flight[delivery.chat_id] = asyncio.create_task(self._send(delivery))
        return None

    async def _send(self, delivery: Delivery) -> None:
        try:
            await self._attempt(delivery)
        finally:
            self._in_flight.pop(delivery.chat_id, None)
            self._wake.set()

    async def _attempt(self, delivery: Delivery) -> None:
        try:
            markup = (
                None
                if delivery.markup is None
                else InlineKeyboardMarkup.de_json(dict(delivery.markup), None)
            )
        except (TypeError, KeyError, ValueError) as error:
            self._failed(delivery, _describe(error))
            return
        try:
            logger.debug("sending %s to %s: %s", delivery.key, delivery.chat_id, delivery.text)
            message = await self._bot.send_message(
                delivery.chat_id, delivery.text, reply_markup=markup
            )
        except RetryAfter as error:
            self._rate_limited(delivery, _retry_after_seconds(error))
        except ChatMigrated as error:
            self._chat_migrated(delivery, int(error.new_chat_id))
        except Forbidden as error:
            self._blocked(delivery, _describe(error))
        except BadRequest as error:
            self._failed(delivery, _describe(error))
        except TelegramError as error:  # 5xx, time-outs, network errors, and the unforeseen
            self._transient(delivery, _describe(error))
        except Exception as error:  # a bug must not kill the worker: log, and retry (bounded)
            logger.exception("outbox: sending %s failed unexpectedly", delivery.key)
            self._transient(delivery, _describe(error))
        else:
            self._record_sent(delivery, message.message_id)

    # --- outcomes

    def _seen(self, outcome: str, delivery: Delivery) -> None:
        if self._observe is not None:
            self._observe(outcome, delivery.kind)

    def _note(self) -> None:
        if self._outcomes.since is None:
            self._outcomes.since = self._monotonic()

    def _record_sent(self, delivery: Delivery, message_id: int) -> None:
        self._outcomes.sent.append(Sent(delivery.id, message_id, self._clock()))
        self._note()
        self.stats.sent += 1
        self._seen("sent", delivery)

    def _rate_limited(self, delivery: Delivery, seconds: float) -> None:
        now = self._monotonic()
        if self.pacer.paused_until < now + seconds:
            self.stats.paused_seconds += now + seconds - max(self.pacer.paused_until, now)
        self.pacer.pause(now + seconds)
        self.stats.rate_limited += 1
        self._seen("rate_limited", delivery)
        logger.warning("outbox: Telegram asked to wait %.3f s; every send pauses", seconds)
        bisect.insort(self._waiting, delivery, key=lambda d: d.id)

    def _chat_migrated(self, delivery: Delivery, new_chat_id: int) -> None:
        old = delivery.chat_id
        logger.info("outbox: group %s became supergroup %s", old, new_chat_id)
        self._outcomes.migrations.append((old, new_chat_id))
        self._note()
        self.stats.migrated += 1
        self._waiting = [
            replace(d, chat_id=new_chat_id) if d.chat_id == old else d
            for d in [*self._waiting, delivery]
        ]
        self._waiting.sort(key=lambda d: d.id)

    def _blocked(self, delivery: Delivery, error: str) -> None:
        chat = delivery.chat_id
        logger.info("outbox: chat %s blocked the bot or removed it (%s)", chat, error)
        self._outcomes.blocks.append((delivery.id, chat, error))
        self._note()
        self.stats.blocked += 1
        self._seen("blocked", delivery)
        dropped = [d for d in self._waiting if d.chat_id == chat]
        self._waiting = [d for d in self._waiting if d.chat_id != chat]
        self.stats.cancelled += len(dropped)  # cancelled in the outbox with the block

    def _failed(self, delivery: Delivery, error: str) -> None:
        logger.warning("outbox: %s to chat %s failed: %s", delivery.key, delivery.chat_id, error)
        self._outcomes.failures.append((delivery.id, error))
        self._note()
        self.stats.failed += 1
        self._seen("failed", delivery)

    def _transient(self, delivery: Delivery, error: str) -> None:
        if delivery.attempts >= self.limits.max_attempts:
            self._failed(delivery, f"{error} (after {delivery.attempts} attempts)")
            return
        delay = self.limits.backoff(delivery.attempts, self._draw())
        not_before = self._clock() + timedelta(seconds=delay)
        logger.info(
            "outbox: %s to chat %s: %s; again in %.1f s",
            delivery.key,
            delivery.chat_id,
            error,
            delay,
        )
        self._outcomes.retries.append((delivery.id, not_before, error))
        # Later messages to the chat wait too, so that they keep their order.
        chat = delivery.chat_id
        for later in [d for d in self._waiting if d.chat_id == chat]:
            self._outcomes.releases.append((later.id, not_before))
        self._waiting = [d for d in self._waiting if d.chat_id != chat]
        self._note()
        self.stats.retried += 1
        self._seen("retried", delivery)

    # --- recording

    def _maybe_flush(self, now: float) -> None:
        outcomes = self._outcomes
        if self._flushing is not None or not outcomes or outcomes.since is None:
            return
        limits = self.limits
        full = len(outcomes.sent) >= limits.max_unrecorded - limits.concurrency
        if full or now - outcomes.since >= limits.flush_interval or not self._waiting:
            self._flushing = asyncio.create_task(self._flush())

    async def _flush(self) -> None:
        taken, self._outcomes = self._outcomes, _Outcomes()
        self._flushing_sent = len(taken.sent)
        try:
            await self._record(taken)
        except Exception:
            logger.exception("outbox: recording %d outcomes failed; trying again", len(taken.sent))
            self._outcomes.merge_back(taken)
            self._outcomes.since = self._monotonic()  # wait a flush interval before retrying
        finally:
            self._flushing_sent = 0
            self._flushing = None
            self._wake.set()

    async def _record(self, taken: _Outcomes) -> None:
        async with self._uow() as uow:
            outbox = uow.outbox
            at = self._clock()
            for old, new in taken.migrations:
                await uow.chats.migrate(old, new, at)
                await outbox.migrate(old, new)
            await outbox.mark_sent(taken.sent)
            for row_id, not_before, error in taken.retries:
                await outbox.retry(row_id, not_before, error)
            for row_id, not_before in taken.releases:
                await outbox.release([row_id], not_before)
            for row_id, error in taken.failures:
                await outbox.fail(row_id, error)
            for row_id, chat, error in taken.blocks:
                await outbox.block(row_id, error)
                if chat > 0:
                    try:
                        await uow.people.set_active(chat, False)
                    except LookupError:
                        logger.info("outbox: chat %s is nobody we know", chat)
                else:
                    await uow.chats.deactivate(chat, at)
            await uow.commit()

    # --- stopping

    async def _shutdown(self) -> None:
        """Let the sends in flight finish, record every outcome, and give back what was claimed
        but not sent. Runs also when the worker is cancelled."""
        if self._claiming is not None:
            await asyncio.gather(self._claiming, return_exceptions=True)
        tasks = list(self._in_flight.values())
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        if self._flushing is not None:
            await asyncio.gather(self._flushing, return_exceptions=True)
        if self._waiting:
            now = self._clock()
            self._outcomes.releases.extend((d.id, now) for d in self._waiting)
            self._waiting = []
        for _ in range(3):
            if not self._outcomes:
                break
            self._outcomes.since = self._monotonic()
            await self._flush()
        if self._outcomes:
            logger.error("outbox: outcomes left unrecorded at stop; they go out again on start")
        self._more_due = True
        self._poked = True
