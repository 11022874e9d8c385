"""python-telegram-bot persistence over our ConversationStore: conversations and user_data.

Written through: every change PTB hands over is committed at once (and bot.handlers flushes
after each update), so a conversation survives a crash or a restart. bot_data holds live services
and is never stored; chat_data and callback data are not used.

Values are JSON: a conversation's state (a StrEnum state is stored as its string, which compares
equal to the member on load) and user_data dicts with string keys.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from telegram.ext import BasePersistence, PersistenceInput

from bot.context import BotData, ChatData, UserData
from services.ports import UnitOfWork

logger = logging.getLogger(__name__)

# As python-telegram-bot spells them (telegram.ext._utils.types, a private module).
ConversationKey = tuple[int | str, ...]
ConversationDict = MutableMapping[ConversationKey, object]
CDCData = tuple[list[tuple[str, float, dict[str, Any]]], dict[str, str]]

USER_DATA = "user_data"
STORED = PersistenceInput(bot_data=False, chat_data=False, user_data=True, callback_data=False)


def conversation_namespace(name: str) -> str:
    return f"conversation:{name}"


def _key_text(key: ConversationKey) -> str:
    return json.dumps(list(key))


def _key(text: str) -> ConversationKey:
    return tuple(json.loads(text))


def _state_text(state: object) -> str:
    """A state as the store keeps it (JSON), to tell an unchanged state from a new one."""
    return json.dumps(state, sort_keys=True)


@dataclass(slots=True)
class _Batch:
    """Writes to commit together (the latest value of each key), and when they were."""

    done: asyncio.Future[None]
    writes: dict[tuple[str, str], object | None] = field(default_factory=dict)


class StorePersistence(BasePersistence[UserData, ChatData, BotData]):
    """`ApplicationBuilder().persistence(StorePersistence(database.unit_of_work,
    autocommit=database.autocommit))`: a batch of writes (a conversation's new state, the
    person's user_data) is written by `save_all` in a unit of work of `autocommit`: on
    PostgreSQL one statement, without BEGIN and COMMIT."""

    def __init__(
        self,
        unit_of_work: Callable[[], UnitOfWork],
        update_interval: float = 5,
        *,
        autocommit: Callable[[], UnitOfWork] | None = None,
    ) -> None:
        super().__init__(store_data=STORED, update_interval=update_interval)
        self._unit_of_work = unit_of_work
        self._autocommit = autocommit or unit_of_work
        self._user_data: dict[int, str] = {}  # what is stored, as JSON: skip unchanged writes
        # the conversation states stored, as JSON by (namespace, key): skip unchanged writes
        self._states: dict[tuple[str, str], str] = {}
        self._batch: _Batch | None = None  # the writes waiting for the next transaction
        self._lock = asyncio.Lock()  # one batch written at a time

    async def _load(self, namespace: str) -> dict[str, object]:
        async with self._unit_of_work() as uow:
            return await uow.conversations.load(namespace)

    async def _save(self, namespace: str, key: str, value: object | None) -> None:
        """Write one key, committed before returning. PTB hands over a run's changes (user_data,
        conversation states) concurrently: they are gathered into one batch and written in one
        transaction, batches one after another (on SQLite they would only queue for the write
        lock anyway). A failed batch fails every write in it."""
        batch = self._batch
        if batch is None:
            batch = self._batch = _Batch(asyncio.get_running_loop().create_future())
        batch.writes[namespace, key] = value
        await asyncio.sleep(0)  # let the other writes of the same run join the batch
        async with self._lock:
            if self._batch is batch:
                self._batch = None
                await self._write(batch)
        await batch.done

    async def _write(self, batch: _Batch) -> None:
        try:
            async with self._autocommit() as uow:
                await uow.conversations.save_all(batch.writes)
                await uow.commit()
        except Exception as error:  # noqa: BLE001 - handed to every write of the batch
            batch.done.set_exception(error)
        except BaseException:
            batch.done.cancel()
            raise
        else:
            batch.done.set_result(None)

    # --- conversations ------------------------------------------------------------------------

    async def get_conversations(self, name: str) -> ConversationDict:
        namespace = conversation_namespace(name)
        stored = await self._load(namespace)
        for key, state in stored.items():
            self._states[namespace, key] = _state_text(state)
        return {_key(key): state for key, state in stored.items()}

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        """PTB hands over every state a handler returned, changed or not: only changes are
        written (the store already holds the others)."""
        stored = (conversation_namespace(name), _key_text(key))
        text = None if new_state is None else _state_text(new_state)
        if self._states.get(stored) == text:
            return
        await self._save(*stored, new_state)
        if text is None:
            self._states.pop(stored, None)
        else:
            self._states[stored] = text

    # --- user_data ----------------------------------------------------------------------------

    async def get_user_data(self) -> dict[int, UserData]:
        stored = await self._load(USER_DATA)
        loaded: dict[int, UserData] = {}
        for key, value in stored.items():
            if isinstance(value, dict):
                loaded[int(key)] = value
                self._user_data[int(key)] = json.dumps(value, sort_keys=True)
        return loaded

    async def update_user_data(self, user_id: int, data: UserData) -> None:
        text = json.dumps(data, sort_keys=True) if data else None
        if self._user_data.get(user_id) == text:
            return
        await self._save(USER_DATA, str(user_id), data or None)
        if text is None:
            self._user_data.pop(user_id, None)
        else:
            self._user_data[user_id] = text

    async def drop_user_data(self, user_id: int) -> None:
        await self._save(USER_DATA, str(user_id), None)
        self._user_data.pop(user_id, None)

    async def refresh_user_data(self, user_id: int, user_data: UserData) -> None:
        """Nothing to do: the memory copy is the newest (every change is written through)."""

    # --- not stored ---------------------------------------------------------------------------

    async def get_chat_data(self) -> dict[int, ChatData]:
        return {}

    async def update_chat_data(self, chat_id: int, data: ChatData) -> None:
        """chat_data is not stored."""

    async def drop_chat_data(self, chat_id: int) -> None:
        """chat_data is not stored."""

    async def refresh_chat_data(self, chat_id: int, chat_data: ChatData) -> None:
        """chat_data is not stored."""

    async def get_bot_data(self) -> BotData:
        """Never called: bot_data (live services) is not stored."""
        return BotData()

    async def update_bot_data(self, data: BotData) -> None:
        """bot_data is not stored."""

    async def refresh_bot_data(self, bot_data: BotData) -> None:
        """bot_data is not stored."""

    async def get_callback_data(self) -> CDCData | None:
        return None

    async def update_callback_data(self, data: CDCData) -> None:
        """Callback data is not stored: buttons carry short explicit prefixes instead."""

    async def flush(self) -> None:
        """Nothing buffered: every change was written when it was handed over."""
