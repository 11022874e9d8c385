"""The emulator's state and the operations on it, shared by the Bot API and the control API."""

from __future__ import annotations

import bisect
import hashlib
import itertools
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sandbox.errors import ApiError, ControlError, bad_request, forbidden
from sandbox.faults import Faults
from sandbox.formatting import detect_entities
from sandbox.limits import RateLimiter
from sandbox.media import FileStore, StoredFile
from sandbox.model import (
    JSON,
    BotRecord,
    CallbackRecord,
    Conversation,
    GroupRecord,
    MessageRecord,
    Notifier,
    UserRecord,
)

TOKEN_PATTERN = re.compile(r"^(\d+):[A-Za-z0-9_-]+$")
_SUPERGROUP_BASE = -1_000_000_000_000


@dataclass
class Stats:
    requests: Counter[str] = field(default_factory=Counter)
    rate_limited: int = 0
    messages_per_chat: Counter[int] = field(default_factory=Counter)
    sent: int = 0
    errors: Counter[int] = field(default_factory=Counter)

    def to_json(self) -> JSON:
        return {
            "requests": dict(self.requests),
            "rate_limited": self.rate_limited,
            "messages_per_chat": {str(k): v for k, v in self.messages_per_chat.items()},
            "sent": self.sent,
            "errors": {str(k): v for k, v in self.errors.items()},
        }


def _now() -> int:
    return int(time.time())


class Emulator:
    """Everything the emulator knows. Not thread-safe: used from one event loop."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.files = FileStore()
        self.changes_notifier = Notifier()
        # Set to a list to record every (method, result) the Bot API answers and every
        # update a webhook delivers: the conformance tests read it.
        self.trace: list[tuple[str, Any]] | None = None
        self.closing = False
        self._init_state()

    def _init_state(self) -> None:
        self.bots: dict[int, BotRecord] = {}
        self.users: dict[int, UserRecord] = {}
        self.groups: dict[int, GroupRecord] = {}
        self.conversations: dict[tuple[int, int], Conversation] = {}
        self.faults = Faults()
        self.stats = Stats()
        self.seq = 0
        self._callback_ids = itertools.count(1)
        self._last_bot_id: int | None = None
        self.limiter = RateLimiter()
        self.files.clear()

    def reset(self) -> None:
        """Forget everything: bots, users, chats, messages, updates, faults and stats."""
        for bot in self.bots.values():
            if bot.webhook_task is not None:
                bot.webhook_task.cancel()
            bot.poll_generation += 1
            bot.notifier.notify()
        self._init_state()
        self.changes_notifier.notify()

    def clear_faults(self) -> None:
        """Back to no faults and limits off; migrations, being history, stay."""
        self.faults = Faults()
        self.limiter = RateLimiter()

    def close(self) -> None:
        """Wake every long poll and waiter so that the server can stop at once."""
        self.closing = True
        for bot in self.bots.values():
            if bot.webhook_task is not None:
                bot.webhook_task.cancel()
            bot.notifier.notify()
        self.changes_notifier.notify()

    def record(self, what: str, value: Any) -> None:
        if self.trace is not None:
            self.trace.append((what, value))

    # --- bots ---------------------------------------------------------------------------------

    def bot_for_token(self, token: str) -> BotRecord | None:
        """The bot a token names, created on first use; None for a malformed token."""
        match = TOKEN_PATTERN.match(token)
        if match is None:
            return None
        bot_id = int(match.group(1))
        bot = self.bots.get(bot_id)
        if bot is None:
            bot = BotRecord(bot_id=bot_id, token=token, username=f"bot{bot_id}_bot")
            self.bots[bot_id] = bot
            self._last_bot_id = bot_id
            for group in self.groups.values():
                if not group.bot_ids:  # created before any bot connected: the bot joins it
                    group.bot_ids.add(bot_id)
        bot.token = token
        return bot

    def configure_bot(self, token: str, username: str | None, first_name: str | None) -> BotRecord:
        bot = self.bot_for_token(token)
        if bot is None:
            raise ControlError("token must look like 123456:ABC-def")
        if username:
            bot.username = username
        if first_name:
            bot.first_name = first_name
        return bot

    def control_bot(self, bot_id: int | None) -> BotRecord:
        """The bot a control call addresses: bot_id, else the most recently created bot."""
        if bot_id is not None:
            bot = self.bots.get(bot_id)
            if bot is None:
                raise ControlError(f"no bot with id {bot_id}", 404)
            return bot
        if self._last_bot_id is None or self._last_bot_id not in self.bots:
            raise ControlError("no bot has connected yet: start the bot first", 409)
        return self.bots[self._last_bot_id]

    def maybe_control_bot(self, bot_id: int | None) -> BotRecord | None:
        if bot_id is None and self._last_bot_id is None:
            return None
        return self.control_bot(bot_id)

    # --- users and groups ---------------------------------------------------------------------

    def upsert_user(
        self,
        user_id: int | None,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
        label: str | None = None,
    ) -> UserRecord:
        if user_id is None:
            user_id = max((uid for uid in self.users if uid < 10**9), default=100000) + 1
        if user_id <= 0:
            raise ControlError("user_id must be a positive integer")
        user = self.users.get(user_id)
        if user is None:
            user = UserRecord(user_id=user_id, first_name=first_name or f"User {user_id}")
            self.users[user_id] = user
        elif first_name:
            user.first_name = first_name
        if last_name is not None:
            user.last_name = last_name or None
        if username is not None:
            user.username = username or None
        if language_code is not None:
            user.language_code = language_code or None
        if label is not None:
            user.label = label or None
        return user

    def upsert_group(
        self,
        chat_id: int | None,
        title: str | None,
        chat_type: str = "group",
        member_ids: list[int] | None = None,
        bot: BotRecord | None = None,
    ) -> GroupRecord:
        if chat_type not in {"group", "supergroup"}:
            raise ControlError("type must be group or supergroup")
        if chat_id is None:
            number = len(self.groups) + 1
            chat_id = -number if chat_type == "group" else _SUPERGROUP_BASE - number
            while chat_id in self.groups:
                chat_id -= 1
        if chat_id >= 0:
            raise ControlError("a group's chat_id must be negative")
        group = self.groups.get(chat_id)
        if group is None:
            group = GroupRecord(
                chat_id=chat_id, title=title or f"Group {-chat_id}", type=chat_type
            )
            self.groups[chat_id] = group
        elif title:
            group.title = title
        for member in member_ids or []:
            if member not in self.users:
                self.upsert_user(member)
            group.member_ids.add(member)
        if bot is not None and bot.bot_id not in group.bot_ids:
            group.bot_ids.add(bot.bot_id)
            self.bot_membership(bot, group, "member")
        return group

    def bot_membership(self, bot: BotRecord, group: GroupRecord, status: str) -> None:
        """Tell the bot its membership of the group changed (a `my_chat_member` update from
        one of the group's members, as Telegram does when someone adds or removes it)."""
        actor = min(group.member_ids, default=None)
        if actor is None:
            return
        old = "left" if status == "member" else "member"
        payload: JSON = {
            "chat": group.to_api(),
            "from": self.users[actor].to_api(),
            "date": _now(),
            "old_chat_member": {"status": old, "user": bot.to_api()},
            "new_chat_member": {"status": status, "user": bot.to_api()},
        }
        if status == "kicked":
            payload["new_chat_member"]["until_date"] = 0
        self.enqueue_update(bot, "my_chat_member", payload)

    def chat_json(self, chat_id: int) -> JSON:
        if chat_id > 0:
            user = self.users[chat_id]
            answer: JSON = {"id": chat_id, "type": "private", "first_name": user.first_name}
            if user.last_name:
                answer["last_name"] = user.last_name
            if user.username:
                answer["username"] = user.username
            return answer
        return self.groups[chat_id].to_api()

    # --- conversations and messages -----------------------------------------------------------

    def conversation(self, bot: BotRecord, chat_id: int) -> Conversation:
        key = (bot.bot_id, chat_id)
        conversation = self.conversations.get(key)
        if conversation is None:
            conversation = Conversation(bot_id=bot.bot_id, chat_id=chat_id)
            self.conversations[key] = conversation
        return conversation

    def touch(self, bot: BotRecord, conversation: Conversation, record: MessageRecord) -> None:
        """Give a created, edited or deleted message the next seq and wake the waiters."""
        self.seq += 1
        record.seq = self.seq
        conversation.changes.append((self.seq, record.message_id))
        bot.changes.append((self.seq, conversation.chat_id, record.message_id))
        self.changes_notifier.notify()

    def add_message(self, bot: BotRecord, record: MessageRecord) -> MessageRecord:
        conversation = self.conversation(bot, record.chat_id)
        conversation.messages[record.message_id] = record
        if record.sender == "bot":
            conversation.bot_messages += 1
            self.stats.sent += 1
            self.stats.messages_per_chat[record.chat_id] += 1
        self.touch(bot, conversation, record)
        return record

    def find_message(self, bot: BotRecord, chat_id: int, message_id: int) -> MessageRecord | None:
        conversation = self.conversations.get((bot.bot_id, chat_id))
        if conversation is None:
            return None
        record = conversation.messages.get(message_id)
        if record is None or record.deleted:
            return None
        return record

    def message_json(self, bot: BotRecord, record: MessageRecord, *, nested: bool = True) -> JSON:
        """A Message object as the Bot API shapes it."""
        sender = (
            bot.to_api() if record.sender == "bot" else self.users[record.user_id or 0].to_api()
        )
        answer: JSON = {
            "message_id": record.message_id,
            "from": sender,
            "chat": self.chat_json(record.chat_id),
            "date": record.date,
        }
        if nested and record.reply_to is not None:
            replied = self.find_message(bot, record.chat_id, record.reply_to)
            if replied is not None:
                answer["reply_to_message"] = self.message_json(bot, replied, nested=False)
        if record.edit_date is not None:
            answer["edit_date"] = record.edit_date
        if record.text is not None:
            answer["text"] = record.text
            if record.entities:
                answer["entities"] = record.entities
        if record.photo is not None:
            answer["photo"] = [record.photo.photo_size()]
        if record.document is not None:
            answer["document"] = record.document.document()
        if record.caption is not None:
            answer["caption"] = record.caption
            if record.caption_entities:
                answer["caption_entities"] = record.caption_entities
        if record.inline_keyboard is not None:
            answer["reply_markup"] = {"inline_keyboard": record.inline_keyboard}
        answer.update(record.service)
        return answer

    def listing(self, record: MessageRecord) -> JSON:
        """A message as GET /emulator/messages lists it."""

        def file_url(stored: StoredFile) -> str:
            return f"/emulator/files/{stored.file_id}"

        buttons: list[list[JSON]] = []
        for row in record.inline_keyboard or []:
            shown: list[JSON] = []
            for button in row:
                item: JSON = {"text": button["text"]}
                if "callback_data" in button:
                    item["callback_data"] = button["callback_data"]
                elif "url" in button:
                    item["url"] = button["url"]
                shown.append(item)
            buttons.append(shown)
        photo = record.photo
        document = record.document
        return {
            "message_id": record.message_id,
            "chat_id": record.chat_id,
            "date": record.date,
            "sender": record.sender,
            "user_id": record.user_id if record.sender == "user" else None,
            "text": record.text,
            "caption": record.caption,
            "parse_mode": record.parse_mode,
            "entities": record.entities or record.caption_entities,
            "buttons": buttons,
            "reply_keyboard": record.reply_keyboard,
            "photo": None
            if photo is None
            else {
                "url": file_url(photo),
                "width": photo.width,
                "height": photo.height,
                "file_id": photo.file_id,
            },
            "document": None
            if document is None
            else {
                "url": file_url(document),
                "file_name": document.file_name,
                "mime_type": document.mime_type,
                "file_id": document.file_id,
            },
            "reply_to_message_id": record.reply_to,
            "edited": record.edit_date is not None,
            "deleted": record.deleted,
            "seq": record.seq,
        }

    def changed_since(
        self, bot: BotRecord, chat_id: int | None, since: int, include_user: bool
    ) -> tuple[list[JSON], int]:
        """Messages changed after seq `since` (in one chat, or all of the bot's) and the cursor."""
        if chat_id is not None:
            conversation = self.conversations.get((bot.bot_id, chat_id))
            if conversation is None:
                return [], since
            start = bisect.bisect_right(conversation.changes, (since, 1 << 62))
            ids = {message_id for _, message_id in conversation.changes[start:]}
            records = [conversation.messages[message_id] for message_id in sorted(ids)]
        else:
            start = bisect.bisect_right(bot.changes, (since, 1 << 62, 1 << 62))
            keys = dict.fromkeys((chat, message) for _, chat, message in bot.changes[start:])
            records = [
                self.conversations[(bot.bot_id, chat)].messages[message] for chat, message in keys
            ]
            records.sort(key=lambda r: r.seq)
        if not include_user:
            records = [record for record in records if record.sender == "bot"]
        cursor = max((record.seq for record in records), default=since)
        return [self.listing(record) for record in records], max(cursor, since)

    def chats_of(self, bot: BotRecord | None, user_id: int) -> list[JSON]:
        chats: list[JSON] = []
        if user_id in self.users:
            chats.append(
                self._chat_summary(bot, user_id, "private", self.users[user_id].first_name)
            )
        for group in self.groups.values():
            if user_id in group.member_ids and group.migrated_to is None:
                chats.append(self._chat_summary(bot, group.chat_id, group.type, group.title))
        return chats

    def _chat_summary(self, bot: BotRecord | None, chat_id: int, kind: str, title: str) -> JSON:
        last_text: str | None = None
        last_seq = 0
        conversation = None if bot is None else self.conversations.get((bot.bot_id, chat_id))
        if conversation is not None and conversation.messages:
            last_seq = conversation.changes[-1][0]
            for record in reversed(conversation.messages.values()):
                if not record.deleted:
                    last_text = record.text if record.text is not None else record.caption
                    break
        return {
            "chat_id": chat_id,
            "type": kind,
            "title": title,
            "last_text": last_text,
            "last_seq": last_seq,
            "action": None if conversation is None else conversation.last_action,
        }

    # --- updates ------------------------------------------------------------------------------

    def enqueue_update(self, bot: BotRecord, kind: str, payload: JSON) -> int:
        """Queue an update for the bot (unless allowed_updates filters it out); its id."""
        update_id = bot.next_update_id
        bot.next_update_id += 1
        if kind in bot.allowed_updates:
            bot.updates.append({"update_id": update_id, kind: payload})
            bot.notifier.notify()
        return update_id

    def confirm_updates(self, bot: BotRecord, offset: int) -> None:
        """getUpdates' offset: forget updates below it (negative: keep the last -offset)."""
        if offset < 0:
            while len(bot.updates) > -offset:
                bot.updates.popleft()
            return
        while bot.updates and bot.updates[0]["update_id"] < offset:
            bot.updates.popleft()

    # --- what users do ------------------------------------------------------------------------

    def user_chat(
        self,
        bot: BotRecord,
        user: UserRecord,
        chat_id: int | None,
        chat_type: str | None,
        chat_title: str | None,
    ) -> int:
        if chat_id is None or chat_id == user.user_id:
            if chat_type not in {None, "private"}:
                raise ControlError("a group needs a negative chat_id")
            return user.user_id
        if chat_id > 0:
            raise ControlError("a private chat's id is the user's id")
        group = self.groups.get(chat_id)
        if group is not None and group.migrated_to is not None:
            raise ControlError(
                f"group {chat_id} was migrated to supergroup {group.migrated_to}", 409
            )
        group = self.upsert_group(chat_id, chat_title, chat_type or "group", [user.user_id], bot)
        return group.chat_id

    def user_message(
        self,
        bot: BotRecord,
        user: UserRecord,
        chat_id: int,
        *,
        text: str | None = None,
        caption: str | None = None,
        document: StoredFile | None = None,
        reply_to: int | None = None,
    ) -> tuple[int, MessageRecord]:
        conversation = self.conversation(bot, chat_id)
        if reply_to is not None and reply_to not in conversation.messages:
            raise ControlError(f"no message {reply_to} in chat {chat_id}", 404)
        record = MessageRecord(
            message_id=conversation.new_message_id(),
            chat_id=chat_id,
            date=_now(),
            sender="user",
            user_id=user.user_id,
            text=text,
            entities=detect_entities(text, []) if text else [],
            caption=caption,
            caption_entities=detect_entities(caption, []) if caption else [],
            document=document,
            reply_to=reply_to,
        )
        self.add_message(bot, record)
        update_id = self.enqueue_update(bot, "message", self.message_json(bot, record))
        return update_id, record

    def press(
        self, bot: BotRecord, user: UserRecord, chat_id: int, message_id: int, data: str
    ) -> tuple[int, str]:
        conversation = self.conversations.get((bot.bot_id, chat_id))
        record = None if conversation is None else conversation.messages.get(message_id)
        if record is None:
            raise ControlError(f"no message {message_id} in chat {chat_id}", 404)
        query_id = f"{bot.bot_id}{next(self._callback_ids):010d}"
        if record.deleted:
            message: JSON = {"chat": self.chat_json(chat_id), "message_id": message_id, "date": 0}
        else:
            message = self.message_json(bot, record)
        chat_instance = str(
            int(hashlib.sha256(f"{bot.bot_id}:{chat_id}".encode()).hexdigest()[:15], 16)
        )
        payload: JSON = {
            "id": query_id,
            "from": user.to_api(),
            "message": message,
            "chat_instance": chat_instance,
            "data": data,
        }
        bot.callbacks[query_id] = CallbackRecord(query_id, user.user_id, chat_id, message_id, data)
        return self.enqueue_update(bot, "callback_query", payload), query_id

    def migrate(self, chat_id: int, new_chat_id: int) -> GroupRecord:
        """Upgrade a group to a supergroup, telling its bots as Telegram does."""
        group = self.groups.get(chat_id)
        if group is None:
            raise ControlError(f"no group {chat_id}", 404)
        if new_chat_id >= 0 or new_chat_id in self.groups:
            raise ControlError("new_chat_id must be a new negative id")
        supergroup = GroupRecord(
            chat_id=new_chat_id,
            title=group.title,
            type="supergroup",
            member_ids=set(group.member_ids),
            bot_ids=set(group.bot_ids),
        )
        self.groups[new_chat_id] = supergroup
        group.migrated_to = new_chat_id
        actor = min(group.member_ids, default=None)
        for bot_id in sorted(group.bot_ids):
            bot = self.bots.get(bot_id)
            if bot is None or actor is None:
                continue
            for where, service in (
                (chat_id, {"migrate_to_chat_id": new_chat_id}),
                (new_chat_id, {"migrate_from_chat_id": chat_id}),
            ):
                conversation = self.conversation(bot, where)
                record = MessageRecord(
                    message_id=conversation.new_message_id(),
                    chat_id=where,
                    date=_now(),
                    sender="user",
                    user_id=actor,
                    service=service,
                )
                self.add_message(bot, record)
                self.enqueue_update(bot, "message", self.message_json(bot, record))
        return supergroup

    # --- what bots may do ---------------------------------------------------------------------

    def resolve_chat(self, bot: BotRecord, chat_id: int | str, *, sending: bool) -> int:
        """The chat a bot addresses, or the ApiError Telegram would answer."""
        if isinstance(chat_id, str):
            target = chat_id.removeprefix("@").lower()
            for user in self.users.values():
                if user.username and user.username.lower() == target:
                    chat_id = user.user_id
                    break
            else:
                raise bad_request("chat not found")
        if chat_id > 0:
            if chat_id not in self.users:
                raise bad_request("chat not found")
            if sending and chat_id in self.faults.deactivated_users:
                raise forbidden("user is deactivated")
            if sending and chat_id in self.faults.blocked_users:
                raise forbidden("bot was blocked by the user")
            return chat_id
        group = self.groups.get(chat_id)
        if group is None or bot.bot_id not in group.bot_ids:
            raise bad_request("chat not found")
        if group.migrated_to is not None:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": group.migrated_to},
            )
        if chat_id in self.faults.kicked_from:
            raise forbidden(f"bot was kicked from the {group.type} chat")
        return chat_id

    def is_group(self, chat_id: int) -> bool:
        return chat_id < 0
