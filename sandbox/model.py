"""The emulator's state as plain dataclasses: users, groups, bots, chats and their messages."""

from __future__ import annotations

import asyncio
from collections import deque
from contextlib import suppress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sandbox.media import StoredFile

JSON = dict[str, Any]

BOT_DEFAULT_FIRST_NAME = "Chỉ tiêu"
# Update types a bot receives when allowed_updates is empty, as Telegram documents.
DEFAULT_UPDATE_TYPES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)


class Notifier:
    """Wakes every waiter when something changed; waiters re-check their condition."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def current(self) -> asyncio.Event:
        return self._event

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    @staticmethod
    async def wait(event: asyncio.Event, seconds: float) -> None:
        """Until the event fires or `seconds` pass."""
        if seconds <= 0:
            return
        with suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), seconds)


@dataclass
class UserRecord:
    user_id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    label: str | None = None

    def to_api(self) -> JSON:
        answer: JSON = {"id": self.user_id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            answer["last_name"] = self.last_name
        if self.username:
            answer["username"] = self.username
        if self.language_code:
            answer["language_code"] = self.language_code
        return answer

    def to_control(self) -> JSON:
        return {
            "user_id": self.user_id,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "username": self.username,
            "language_code": self.language_code,
            "label": self.label,
        }


@dataclass
class GroupRecord:
    chat_id: int
    title: str
    type: str  # "group" or "supergroup"
    member_ids: set[int] = field(default_factory=set)
    bot_ids: set[int] = field(default_factory=set)
    migrated_to: int | None = None

    def to_api(self) -> JSON:
        return {"id": self.chat_id, "type": self.type, "title": self.title}


@dataclass
class MessageRecord:
    message_id: int
    chat_id: int
    date: int
    sender: str  # "bot" or "user"
    user_id: int | None
    text: str | None = None
    entities: list[JSON] = field(default_factory=list)
    caption: str | None = None
    caption_entities: list[JSON] = field(default_factory=list)
    parse_mode: str | None = None
    inline_keyboard: list[list[JSON]] | None = None
    reply_keyboard: list[list[str]] | None = None
    photo: StoredFile | None = None
    document: StoredFile | None = None
    reply_to: int | None = None
    edit_date: int | None = None
    deleted: bool = False
    seq: int = 0
    service: JSON = field(default_factory=dict)


@dataclass
class Conversation:
    """One bot's view of one chat: its messages, indexed by id and by change sequence."""

    bot_id: int
    chat_id: int
    messages: dict[int, MessageRecord] = field(default_factory=dict)
    changes: list[tuple[int, int]] = field(default_factory=list)  # (seq, message_id)
    next_message_id: int = 1
    bot_messages: int = 0
    last_action: str | None = None

    def new_message_id(self) -> int:
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id


@dataclass
class CallbackRecord:
    query_id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    answer: JSON | None = None


@dataclass
class BotRecord:
    bot_id: int
    token: str
    username: str
    first_name: str = BOT_DEFAULT_FIRST_NAME
    updates: deque[JSON] = field(default_factory=deque)
    next_update_id: int = 1
    allowed_updates: frozenset[str] = DEFAULT_UPDATE_TYPES
    poll_generation: int = 0
    notifier: Notifier = field(default_factory=Notifier)
    webhook_url: str = ""
    secret_token: str | None = None
    max_connections: int = 40
    ip_address: str | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None
    webhook_task: asyncio.Task[None] | None = None
    commands: dict[tuple[str, str], list[JSON]] = field(default_factory=dict)
    menu_buttons: dict[int | None, JSON] = field(default_factory=dict)
    callbacks: dict[str, CallbackRecord] = field(default_factory=dict)
    changes: list[tuple[int, int, int]] = field(default_factory=list)  # (seq, chat, message)

    def to_api(self) -> JSON:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.first_name,
            "username": self.username,
        }

    def to_control(self) -> JSON:
        return {
            "bot_id": self.bot_id,
            "username": self.username,
            "first_name": self.first_name,
            "webhook_url": self.webhook_url,
            "pending_updates": len(self.updates),
        }
