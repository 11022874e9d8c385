"""The Bot API at /bot<token>/<method>: request parsing, faults, limits and the methods.

Implemented methods: getMe, logOut, close, getUpdates, setWebhook, deleteWebhook,
getWebhookInfo, sendMessage, sendPhoto, sendDocument, editMessageText, editMessageCaption,
editMessageReplyMarkup, deleteMessage, answerCallbackQuery, getFile, sendChatAction,
setMyCommands, getMyCommands, deleteMyCommands, setChatMenuButton, getChatMenuButton, getChat.
Any other method of the specification answers 400 "Bad Request: the emulator does not implement
<method>"; a name that is not in the specification answers 404 Not Found.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from itertools import islice
from typing import Any
from urllib.parse import quote

import aiohttp
from aiohttp import web

from sandbox import webhook
from sandbox.emulator import Emulator
from sandbox.errors import ApiError, bad_request, too_many_requests
from sandbox.faults import SEND_METHODS
from sandbox.formatting import format_text, utf16_len
from sandbox.media import StoredFile, image_mime_type, image_size
from sandbox.model import DEFAULT_UPDATE_TYPES, JSON, BotRecord, MessageRecord
from sandbox.spec_methods import SPEC_METHODS

EMULATOR_KEY = web.AppKey("emulator", Emulator)
SESSION_KEY = web.AppKey("http_session", aiohttp.ClientSession)

CANONICAL = {name.lower(): name for name in SPEC_METHODS}
MAX_TEXT = 4096
MAX_CAPTION = 1024
_STATUS_PHRASES = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_SCOPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)
_UPDATE_METHODS_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to "
    "delete the webhook first"
)
_TERMINATED = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance "
    "is running"
)
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)


def _now() -> int:
    return int(time.time())


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def api_response(body: Any, status: int = 200) -> web.Response:
    return web.json_response(body, status=status, dumps=_dumps)


# --- parameters -------------------------------------------------------------------------------


@dataclass
class Upload:
    filename: str | None
    content_type: str | None
    data: bytes


class Params:
    """A request's parameters from the query, a form, multipart or JSON, read as Telegram does."""

    def __init__(self, values: dict[str, Any], uploads: dict[str, Upload]) -> None:
        self.values = values
        self.uploads = uploads

    def present(self, name: str) -> bool:
        value = self.values.get(name)
        return name in self.uploads or (value is not None and value != "")

    def text(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None:
            return None
        return value if isinstance(value, str) else str(value)

    def integer(self, name: str) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        try:
            return int(str(value).strip())
        except ValueError:
            raise bad_request(f"invalid {name} specified") from None

    def number(self, name: str) -> float | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def flag(self, name: str) -> bool:
        value = self.values.get(name)
        if isinstance(value, str):
            return value.strip().lower() in {"true", "1", "yes"}
        return bool(value)

    def json(self, name: str, what: str) -> Any:
        value = self.values.get(name)
        if not isinstance(value, str):
            return value
        if value == "":
            return None
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(f"can't parse {what} JSON object") from None

    def file(self, name: str) -> Upload | str | None:
        if name in self.uploads:
            return self.uploads[name]
        value = self.text(name)
        if value and value.startswith("attach://"):
            attached = self.uploads.get(value.removeprefix("attach://"))
            if attached is None:
                raise bad_request(f"there is no {name} in the request")
            return attached
        return value or None

    def chat_id(self, name: str = "chat_id") -> int | str:
        value = self.values.get(name)
        if value is None or value == "":
            raise bad_request(f"{name} is empty")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        text = str(value).strip()
        if text.startswith("@") and len(text) > 1:
            return text
        try:
            return int(text)
        except ValueError:
            raise bad_request("chat not found") from None


async def read_params(request: web.Request) -> Params:
    values: dict[str, Any] = dict(request.query)
    uploads: dict[str, Upload] = {}
    if request.method == "POST" and request.body_exists:
        if request.content_type == "application/json":
            try:
                body = json.loads(await request.text())
            except ValueError:
                raise bad_request("can't parse JSON object") from None
            if isinstance(body, dict):
                values.update(body)
        elif request.content_type in {"application/x-www-form-urlencoded", "multipart/form-data"}:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    uploads[key] = Upload(value.filename, value.content_type, value.file.read())
                else:
                    values[key] = value
    return Params(values, uploads)


@dataclass
class Call:
    emulator: Emulator
    bot: BotRecord
    params: Params
    method: str  # lower case
    app: web.Application


Handler = Callable[[Call], Awaitable[Any]]
HANDLERS: dict[str, Handler] = {}


def method(name: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        assert name in SPEC_METHODS, name
        HANDLERS[name.lower()] = handler
        return handler

    return register


# --- the endpoint -----------------------------------------------------------------------------


def _drop_connection(request: web.Request) -> web.Response:
    transport = request.transport
    if transport is not None:
        transport.abort()
    return web.Response(status=500)


def _transport_faults(emulator: Emulator, lower: str) -> float | None:
    """Apply drop and 5xx faults; the delay a slow fault adds, or None to drop the connection.

    A slow request is processed at once and answered late, as when Telegram's answer is lost
    in a slow network: the client times out although the message was sent.
    """
    faults = emulator.faults
    if faults.drop.matches(lower, None):
        faults.drop.take()
        return None
    delay = 0.0
    if faults.slow.matches(lower, None):
        faults.slow.take()
        delay = faults.slow.seconds
    if faults.server_errors.matches(lower, None):
        faults.server_errors.take()
        status = faults.server_errors.status
        raise ApiError(status, _STATUS_PHRASES[status])
    return delay


async def handle(request: web.Request) -> web.StreamResponse:
    """POST or GET /bot<token>/<method>."""
    emulator = request.app[EMULATOR_KEY]
    bot = emulator.bot_for_token(request.match_info["token"])
    if bot is None:
        return api_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, 401)
    lower = request.match_info["method"].lower()
    canonical = CANONICAL.get(lower)
    if canonical is None:
        return api_response({"ok": False, "error_code": 404, "description": "Not Found"}, 404)
    emulator.stats.requests[canonical] += 1
    delay = 0.0
    try:
        found = _transport_faults(emulator, lower)
        if found is None:
            return _drop_connection(request)
        delay = found
        handler = HANDLERS.get(lower)
        if handler is None:
            raise bad_request(f"the emulator does not implement {canonical}")
        params = await read_params(request)
        result = await handler(Call(emulator, bot, params, lower, request.app))
    except ApiError as error:
        emulator.stats.errors[error.code] += 1
        if error.code == 429:
            emulator.stats.rate_limited += 1
        response = api_response(error.body(), error.code)
    else:
        emulator.record(canonical, result)
        response = api_response({"ok": True, "result": result})
    if delay:
        await asyncio.sleep(delay)
    return response


async def download(request: web.Request) -> web.StreamResponse:
    """GET /file/bot<token>/<file_path>."""
    emulator = request.app[EMULATOR_KEY]
    if emulator.bot_for_token(request.match_info["token"]) is None:
        return api_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, 401)
    stored = emulator.files.by_path(request.match_info["path"])
    if stored is None:
        return api_response({"ok": False, "error_code": 404, "description": "Not Found"}, 404)
    return file_response(stored)


def file_response(stored: StoredFile) -> web.Response:
    headers = {}
    if stored.file_name:
        headers["Content-Disposition"] = f"inline; filename*=UTF-8''{_quote(stored.file_name)}"
    return web.Response(
        body=stored.data,
        content_type=stored.mime_type or "application/octet-stream",
        headers=headers,
    )


def _quote(name: str) -> str:
    return quote(name, safe="")


# --- getMe, getUpdates, webhooks --------------------------------------------------------------


@method("getMe")
async def get_me(call: Call) -> JSON:
    me = call.bot.to_api()
    me.update(
        {
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
    )
    return me


@method("logOut")
async def log_out(call: Call) -> bool:
    del call
    return True


@method("close")
async def close(call: Call) -> bool:
    del call
    return True


def _allowed_updates(call: Call) -> None:
    raw = call.params.json("allowed_updates", "allowed_updates")
    if raw is None:
        return
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        raise bad_request("can't parse allowed updates")
    call.bot.allowed_updates = frozenset(raw) if raw else DEFAULT_UPDATE_TYPES


@method("getUpdates")
async def get_updates(call: Call) -> list[JSON]:
    bot, emulator, params = call.bot, call.emulator, call.params
    if bot.webhook_url:
        raise ApiError(409, _UPDATE_METHODS_CONFLICT)
    offset = params.integer("offset")
    limit = min(max(params.integer("limit") or 100, 1), 100)
    timeout = min(max(params.number("timeout") or 0.0, 0.0), 50.0)
    _allowed_updates(call)
    if offset:
        emulator.confirm_updates(bot, offset)
    bot.poll_generation += 1
    generation = bot.poll_generation
    bot.notifier.notify()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        event = bot.notifier.current()
        if bot.poll_generation != generation:
            raise ApiError(409, _TERMINATED)
        if bot.webhook_url:
            raise ApiError(409, _UPDATE_METHODS_CONFLICT)
        updates = list(islice(bot.updates, limit))
        remaining = deadline - loop.time()
        if updates or remaining <= 0 or emulator.closing:
            return updates
        await bot.notifier.wait(event, remaining)


@method("setWebhook")
async def set_webhook(call: Call) -> bool:
    bot, params = call.bot, call.params
    url = (params.text("url") or "").strip()
    if not url:
        deleted: bool = await delete_webhook(call)
        return deleted
    if not url.startswith(("https://", "http://")):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    secret = params.text("secret_token")
    if secret is not None and secret != "" and not _SECRET.match(secret):
        raise bad_request("secret token contains unallowed characters")
    max_connections = params.integer("max_connections")
    if max_connections is not None and not 1 <= max_connections <= 100:
        raise bad_request("bad webhook: max_connections must be between 1 and 100")
    _allowed_updates(call)
    if params.flag("drop_pending_updates"):
        bot.updates.clear()
    bot.webhook_url = url
    bot.secret_token = secret or None
    bot.max_connections = max_connections or 40
    bot.ip_address = params.text("ip_address") or "127.0.0.1"
    bot.last_error_date = None
    bot.last_error_message = None
    webhook.start(call.emulator, bot, call.app[SESSION_KEY])
    bot.notifier.notify()
    return True


@method("deleteWebhook")
async def delete_webhook(call: Call) -> bool:
    bot = call.bot
    if call.params.flag("drop_pending_updates"):
        bot.updates.clear()
    bot.webhook_url = ""
    bot.secret_token = None
    webhook.stop(bot)
    return True


@method("getWebhookInfo")
async def get_webhook_info(call: Call) -> JSON:
    bot = call.bot
    info: JSON = {
        "url": bot.webhook_url,
        "has_custom_certificate": False,
        "pending_update_count": len(bot.updates),
    }
    if bot.webhook_url:
        info["ip_address"] = bot.ip_address or "127.0.0.1"
        info["max_connections"] = bot.max_connections
        if bot.allowed_updates != DEFAULT_UPDATE_TYPES:
            info["allowed_updates"] = sorted(bot.allowed_updates)
    if bot.last_error_date is not None:
        info["last_error_date"] = bot.last_error_date
        info["last_error_message"] = bot.last_error_message or ""
    return info


# --- reply markup -----------------------------------------------------------------------------


def _inline_button(button: Any) -> JSON:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request(
            'can\'t parse inline keyboard button: Field "text" must be of type String'
        )
    actions = [name for name in _BUTTON_ACTIONS if name in button]
    if not actions:
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if len(actions) > 1:
        raise bad_request(
            "can't parse inline keyboard button: exactly one of the optional fields must be used"
        )
    action = actions[0]
    value = button[action]
    if action == "callback_data":
        if not isinstance(value, str) or not 1 <= len(value.encode("utf-8")) <= 64:
            raise bad_request("BUTTON_DATA_INVALID")
    elif action == "url" and (
        not isinstance(value, str) or not value.startswith(("http://", "https://", "tg://"))
    ):
        raise bad_request(f"inline keyboard button URL '{value}' is invalid: Wrong HTTP URL")
    kept: JSON = {"text": button["text"], action: value}
    for extra in ("icon_custom_emoji_id", "style"):
        if extra in button:
            kept[extra] = button[extra]
    return kept


@dataclass
class Markup:
    inline: list[list[JSON]] | None = None
    reply: list[list[str]] | None = None


def parse_markup(params: Params) -> Markup:
    raw = params.json("reply_markup", "reply keyboard markup")
    if raw is None:
        return Markup()
    if not isinstance(raw, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in raw:
        rows = raw["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_request(
                'field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays'
            )
        keyboard = [[_inline_button(button) for button in row] for row in rows]
        return Markup(inline=[row for row in keyboard if row])
    if "keyboard" in raw:
        rows = raw["keyboard"]
        if not isinstance(rows, list):
            raise bad_request("can't parse reply keyboard markup JSON object")
        texts = [
            [b["text"] if isinstance(b, dict) else str(b) for b in row]
            for row in rows
            if isinstance(row, list)
        ]
        return Markup(reply=texts)
    if raw.get("remove_keyboard") or raw.get("force_reply"):
        return Markup()
    raise bad_request("can't parse reply keyboard markup JSON object")


# --- sending ----------------------------------------------------------------------------------


def _admit(call: Call, chat_id: int) -> None:
    """Floods and flood limits: 429 with retry_after, as Telegram answers."""
    emulator = call.emulator
    flood = emulator.faults.flood
    if flood.matches(call.method, SEND_METHODS):
        flood.take()
        raise too_many_requests(flood.retry_after)
    retry_after = emulator.limiter.check(
        call.bot.bot_id, chat_id, emulator.is_group(chat_id), emulator.clock()
    )
    if retry_after is not None:
        raise too_many_requests(retry_after)


def _reply_to(call: Call, chat_id: int) -> int | None:
    params = call.params
    raw = params.json("reply_parameters", "reply parameters")
    message_id: int | None = None
    allow_missing = params.flag("allow_sending_without_reply")
    if isinstance(raw, dict):
        message_id = raw.get("message_id")
        allow_missing = bool(raw.get("allow_sending_without_reply", allow_missing))
    elif params.present("reply_to_message_id"):
        message_id = params.integer("reply_to_message_id")
    if not isinstance(message_id, int):
        return None
    if call.emulator.find_message(call.bot, chat_id, message_id) is None:
        if allow_missing:
            return None
        raise bad_request("message to be replied not found")
    return message_id


def _caption(params: Params) -> tuple[str | None, list[JSON]]:
    source = params.text("caption")
    if not source:
        return None, []
    caption, entities = format_text(
        source, params.text("parse_mode"), params.json("caption_entities", "caption entities")
    )
    if utf16_len(caption) > MAX_CAPTION:
        raise bad_request("message caption is too long")
    return caption or None, entities


def _store_bot_message(call: Call, record: MessageRecord, markup: Markup) -> JSON:
    record.inline_keyboard = markup.inline
    record.reply_keyboard = markup.reply
    call.emulator.add_message(call.bot, record)
    return call.emulator.message_json(call.bot, record)


def _new_record(call: Call, chat_id: int) -> MessageRecord:
    conversation = call.emulator.conversation(call.bot, chat_id)
    return MessageRecord(
        message_id=conversation.new_message_id(),
        chat_id=chat_id,
        date=_now(),
        sender="bot",
        user_id=None,
        parse_mode=call.params.text("parse_mode") or None,
    )


@method("sendMessage")
async def send_message(call: Call) -> JSON:
    params = call.params
    raw_chat = params.chat_id()
    source = params.text("text")
    if not source:
        raise bad_request("message text is empty")
    chat_id = call.emulator.resolve_chat(call.bot, raw_chat, sending=True)
    text, entities = format_text(
        source, params.text("parse_mode"), params.json("entities", "entities")
    )
    if not text:
        raise bad_request("message text is empty")
    if utf16_len(text) > MAX_TEXT:
        raise bad_request("message is too long")
    markup = parse_markup(params)
    reply_to = _reply_to(call, chat_id)
    _admit(call, chat_id)
    record = _new_record(call, chat_id)
    record.text, record.entities, record.reply_to = text, entities, reply_to
    return _store_bot_message(call, record, markup)


async def _fetch(call: Call, url: str) -> Upload:
    session = call.app[SESSION_KEY]
    try:
        async with session.get(url, timeout=aiohttp.ClientTimeout(total=10)) as response:
            if response.status != 200:
                raise bad_request("failed to get HTTP URL content")
            data = await response.read()
            name = url.rstrip("/").rsplit("/", 1)[-1].split("?")[0] or None
            return Upload(name, response.content_type, data)
    except (aiohttp.ClientError, TimeoutError):
        raise bad_request("failed to get HTTP URL content") from None


async def _input_file(call: Call, name: str, kind: str) -> StoredFile:
    """The file sent as `name`: uploaded, an earlier file_id, or an HTTP URL to fetch."""
    given = call.params.file(name)
    if given is None:
        raise bad_request(f"there is no {name} in the request")
    if isinstance(given, str):
        if given.startswith(("http://", "https://")):
            given = await _fetch(call, given)
        else:
            stored = call.emulator.files.get(given)
            if stored is None:
                raise bad_request("wrong file identifier/HTTP URL specified")
            if stored.kind != kind:
                raise bad_request("type of file mismatch")
            return stored
    if not given.data:
        raise bad_request("file must be non-empty")
    if kind == "photo":
        if image_size(given.data) is None:
            raise bad_request("IMAGE_PROCESS_FAILED")
        mime = image_mime_type(given.data)
        return call.emulator.files.add(given.data, "photo", given.filename, mime)
    mime_type = given.content_type or "application/octet-stream"
    return call.emulator.files.add(given.data, "document", given.filename, mime_type)


async def _send_media(call: Call, kind: str) -> JSON:
    params = call.params
    raw_chat = params.chat_id()
    if not params.present(kind):
        raise bad_request(f"there is no {kind} in the request")
    chat_id = call.emulator.resolve_chat(call.bot, raw_chat, sending=True)
    caption, caption_entities = _caption(params)
    markup = parse_markup(params)
    reply_to = _reply_to(call, chat_id)
    stored = await _input_file(call, kind, kind)
    _admit(call, chat_id)
    record = _new_record(call, chat_id)
    record.caption, record.caption_entities, record.reply_to = caption, caption_entities, reply_to
    if kind == "photo":
        record.photo = stored
    else:
        record.document = stored
    return _store_bot_message(call, record, markup)


@method("sendPhoto")
async def send_photo(call: Call) -> JSON:
    return await _send_media(call, "photo")


@method("sendDocument")
async def send_document(call: Call) -> JSON:
    return await _send_media(call, "document")


# --- editing and deleting ---------------------------------------------------------------------


def _target(call: Call, missing: str) -> MessageRecord:
    params = call.params
    if params.present("inline_message_id") and not params.present("chat_id"):
        raise bad_request("MESSAGE_ID_INVALID")
    raw_chat = params.chat_id()
    message_id = params.integer("message_id")
    if message_id is None:
        raise bad_request("message identifier is not specified")
    chat_id = call.emulator.resolve_chat(call.bot, raw_chat, sending=False)
    record = call.emulator.find_message(call.bot, chat_id, message_id)
    if record is None:
        raise bad_request(missing)
    return record


def _commit_edit(call: Call, record: MessageRecord) -> JSON:
    record.edit_date = _now()
    conversation = call.emulator.conversation(call.bot, record.chat_id)
    call.emulator.touch(call.bot, conversation, record)
    return call.emulator.message_json(call.bot, record)


@method("editMessageText")
async def edit_message_text(call: Call) -> JSON:
    params = call.params
    record = _target(call, "message to edit not found")
    source = params.text("text")
    if not source:
        raise bad_request("message text is empty")
    if record.sender != "bot":
        raise bad_request("message can't be edited")
    if record.text is None:
        raise bad_request("there is no text in the message to edit")
    text, entities = format_text(
        source, params.text("parse_mode"), params.json("entities", "entities")
    )
    if not text:
        raise bad_request("message text is empty")
    if utf16_len(text) > MAX_TEXT:
        raise bad_request("message is too long")
    markup = parse_markup(params)
    if (text, entities, markup.inline) == (record.text, record.entities, record.inline_keyboard):
        raise bad_request(_NOT_MODIFIED)
    record.text, record.entities, record.inline_keyboard = text, entities, markup.inline
    record.parse_mode = params.text("parse_mode") or None
    return _commit_edit(call, record)


@method("editMessageCaption")
async def edit_message_caption(call: Call) -> JSON:
    record = _target(call, "message to edit not found")
    if record.sender != "bot":
        raise bad_request("message can't be edited")
    if record.photo is None and record.document is None:
        raise bad_request("there is no caption in the message to edit")
    caption, entities = _caption(call.params)
    markup = parse_markup(call.params)
    current = (record.caption, record.caption_entities, record.inline_keyboard)
    if (caption, entities, markup.inline) == current:
        raise bad_request(_NOT_MODIFIED)
    record.caption, record.caption_entities, record.inline_keyboard = (
        caption,
        entities,
        markup.inline,
    )
    return _commit_edit(call, record)


@method("editMessageReplyMarkup")
async def edit_message_reply_markup(call: Call) -> JSON:
    record = _target(call, "message to edit not found")
    if record.sender != "bot":
        raise bad_request("message can't be edited")
    markup = parse_markup(call.params)
    if markup.inline == record.inline_keyboard:
        raise bad_request(_NOT_MODIFIED)
    record.inline_keyboard = markup.inline
    return _commit_edit(call, record)


@method("deleteMessage")
async def delete_message(call: Call) -> bool:
    record = _target(call, "message to delete not found")
    record.deleted = True
    conversation = call.emulator.conversation(call.bot, record.chat_id)
    call.emulator.touch(call.bot, conversation, record)
    return True


@method("answerCallbackQuery")
async def answer_callback_query(call: Call) -> bool:
    params = call.params
    query_id = params.text("callback_query_id")
    if not query_id:
        raise bad_request("callback_query_id is empty")
    query = call.bot.callbacks.get(query_id)
    if query is None or query.answer is not None:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    text = params.text("text")
    if text is not None and len(text) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    query.answer = {
        "text": text,
        "show_alert": params.flag("show_alert"),
        "url": params.text("url"),
        "cache_time": params.integer("cache_time") or 0,
    }
    call.emulator.changes_notifier.notify()
    return True


# --- files, chats, commands -------------------------------------------------------------------


@method("getFile")
async def get_file(call: Call) -> JSON:
    file_id = call.params.text("file_id")
    if not file_id:
        raise bad_request("file_id is empty")
    stored = call.emulator.files.get(file_id)
    if stored is None:
        raise bad_request("invalid file_id")
    return stored.file()


@method("sendChatAction")
async def send_chat_action(call: Call) -> bool:
    params = call.params
    raw_chat = params.chat_id()
    action = params.text("action")
    if not action:
        raise bad_request("action is empty")
    chat_id = call.emulator.resolve_chat(call.bot, raw_chat, sending=True)
    if action not in _CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    conversation = call.emulator.conversation(call.bot, chat_id)
    conversation.last_action = action
    return True


@method("getChat")
async def get_chat(call: Call) -> JSON:
    chat_id = call.emulator.resolve_chat(call.bot, call.params.chat_id(), sending=False)
    info = call.emulator.chat_json(chat_id)
    info.update(
        {
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }
    )
    return info


def _commands_key(call: Call) -> tuple[str, str]:
    scope = call.params.json("scope", "BotCommandScope")
    if scope is None:
        scope = {"type": "default"}
    if not isinstance(scope, dict) or scope.get("type") not in _SCOPES:
        raise bad_request("can't parse BotCommandScope: unsupported type")
    if scope["type"] in {"chat", "chat_administrators", "chat_member"}:
        if "chat_id" not in scope:
            raise bad_request("chat_id is empty")
        call.emulator.resolve_chat(call.bot, scope["chat_id"], sending=False)
    if scope["type"] == "chat_member" and not isinstance(scope.get("user_id"), int):
        raise bad_request("user_id is empty")
    language = call.params.text("language_code") or ""
    if language and not re.fullmatch(r"[a-z]{2}", language):
        raise bad_request("invalid language code specified")
    return json.dumps(scope, sort_keys=True), language


@method("setMyCommands")
async def set_my_commands(call: Call) -> bool:
    raw = call.params.json("commands", "commands")
    if raw is None:
        raise bad_request("commands is empty")
    if not isinstance(raw, list):
        raise bad_request("can't parse commands JSON object")
    if len(raw) > 100:
        raise bad_request("too many commands specified")
    commands: list[JSON] = []
    for item in raw:
        if not isinstance(item, dict):
            raise bad_request("can't parse BotCommand JSON object")
        command = str(item.get("command", "")).removeprefix("/")
        description = str(item.get("description", "")).strip()
        if not _COMMAND.match(command):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(description) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        commands.append({"command": command, "description": description})
    key = _commands_key(call)
    if commands:
        call.bot.commands[key] = commands
    else:
        call.bot.commands.pop(key, None)
    return True


@method("getMyCommands")
async def get_my_commands(call: Call) -> list[JSON]:
    return list(call.bot.commands.get(_commands_key(call), []))


@method("deleteMyCommands")
async def delete_my_commands(call: Call) -> bool:
    call.bot.commands.pop(_commands_key(call), None)
    return True


def _menu_chat(call: Call) -> int | None:
    if not call.params.present("chat_id"):
        return None
    chat_id = call.emulator.resolve_chat(call.bot, call.params.chat_id(), sending=False)
    if chat_id < 0:
        raise bad_request("chat_id must be a private chat")
    return chat_id


@method("setChatMenuButton")
async def set_chat_menu_button(call: Call) -> bool:
    chat_id = _menu_chat(call)
    raw = call.params.json("menu_button", "MenuButton")
    button: JSON = {"type": "default"} if raw is None else raw
    kind = button.get("type") if isinstance(button, dict) else None
    if kind not in {"default", "commands", "web_app"}:
        raise bad_request("can't parse menu button: unsupported type")
    if kind == "web_app":
        web_app = button.get("web_app")
        if not button.get("text") or not isinstance(web_app, dict) or not web_app.get("url"):
            raise bad_request("can't parse menu button: text and web_app.url are required")
        button = {"type": "web_app", "text": button["text"], "web_app": {"url": web_app["url"]}}
    else:
        button = {"type": kind}
    call.bot.menu_buttons[chat_id] = button
    return True


@method("getChatMenuButton")
async def get_chat_menu_button(call: Call) -> JSON:
    chat_id = _menu_chat(call)
    buttons = call.bot.menu_buttons
    return dict(buttons.get(chat_id) or buttons.get(None) or {"type": "commands"})
