"""Updates of different people handled at once, each person's strictly one after the other.

    ApplicationBuilder()....concurrent_updates(PerChatUpdateProcessor())  # 4 people at once

python-telegram-bot handles one update at a time by default; with `concurrent_updates` it starts
every update at once, whoever sent it, so that one person's quick presses could overtake each
other and a conversation could see its states out of order. This processor keys each update by
its sender (`effective_user`, else `effective_chat`; in a private chat they are the same id) and
runs the updates of one key in the order PTB fetched them, never two at once, while updates of
different keys run concurrently, at most `max_concurrent_updates` keys at a time.

Everything one person can change is keyed by them: their user_data, and their conversations
(ConversationHandler keys by chat and user). The first update of a key runs it: it handles its
own update, then those that arrived for the key meanwhile, then lets the key go. Later updates
of a busy key join its queue and return at once, so a person who sends many updates holds one
slot, not many (a waiting update never takes a slot that another person could use). An update
that fails is logged and the next one of its key runs all the same.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

logger = logging.getLogger(__name__)

# People whose updates are handled at the same time. Enough to keep the loop busy while Telegram
# answers; more only lengthens the tail when the loop is saturated: every database round trip of
# a handler waits for a turn of the loop, so a transaction holding PostgreSQL row locks (the
# province's totals, on a confirmed submission) holds them longer (bench.updates, PostgreSQL,
# people at a human pace: p99 513-539 ms with 8, 316 ms with 4).
DEFAULT_CONCURRENCY = 4
# Connections to the Bot API for the handlers' calls (PTB's default is one: with updates handled
# concurrently, calls would queue for it and fail after its pool timeout, one second).
BOT_API_CONNECTIONS = 16

Key = tuple[str, int] | None


def update_key(update: object) -> Key:
    """Whose update this is: ("user", id), else ("chat", id), else None (run unordered)."""
    if not isinstance(update, Update):
        return None
    if update.effective_user is not None:
        return ("user", update.effective_user.id)
    if update.effective_chat is not None:
        return ("chat", update.effective_chat.id)
    return None


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Sequential per sender, concurrent across senders (at most `max_concurrent_updates`)."""

    __slots__ = ("_queues",)

    def __init__(self, max_concurrent_updates: int = DEFAULT_CONCURRENCY) -> None:
        super().__init__(max_concurrent_updates)
        # the updates waiting behind the one running, by key; a key is here while it runs
        self._queues: dict[Key, deque[Awaitable[Any]]] = {}

    @property
    def busy_keys(self) -> int:
        """How many senders have an update running now."""
        return len(self._queues)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = update_key(update)
        if key is None:
            await coroutine
            return
        waiting = self._queues.get(key)
        if waiting is not None:  # its sender's previous update runs: it goes after
            waiting.append(coroutine)
            return
        waiting = self._queues[key] = deque()
        try:
            await self._run(key, coroutine)
            while waiting:
                await self._run(key, waiting.popleft())
        finally:
            del self._queues[key]
            while waiting:  # cancelled (shutting down): the rest will not run
                _close(waiting.popleft())

    @staticmethod
    async def _run(key: Key, coroutine: Awaitable[Any]) -> None:
        try:
            await coroutine
        except Exception:  # PTB hands handler errors to the error handler before this
            logger.exception("an update of %s failed", key)

    async def initialize(self) -> None:
        """Nothing to prepare."""

    async def shutdown(self) -> None:
        """Nothing left: Application.stop waits for the running updates, which drain their
        queues before returning."""


def _close(coroutine: Awaitable[Any]) -> None:
    close = getattr(coroutine, "close", None)
    if callable(close):
        close()
