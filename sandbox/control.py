"""The control API under /emulator/: what users do, what the bots said, faults, stats, reset."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from sandbox.botapi import EMULATOR_KEY, file_response
from sandbox.emulator import Emulator
from sandbox.errors import ControlError
from sandbox.faults import apply_user_faults, counted_fault
from sandbox.model import JSON, Notifier

MAX_WAIT = 120.0
_FAULT_KEYS = frozenset(
    {
        "limits",
        "blocked_users",
        "unblocked_users",
        "deactivated_users",
        "reactivated_users",
        "kicked_from",
        "readded_to",
        "flood",
        "server_errors",
        "slow",
        "drop",
        "migrate",
        "clear",
    }
)


@web.middleware
async def control_errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Refused control calls answer {"error": ...} with a 4xx status."""
    try:
        return await handler(request)
    except ControlError as error:
        return web.json_response({"error": error.message}, status=error.status)


def _emulator(request: web.Request) -> Emulator:
    return request.app[EMULATOR_KEY]


async def _body(request: web.Request) -> JSON:
    try:
        body = await request.json()
    except ValueError:
        raise ControlError("the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise ControlError("the body must be a JSON object")
    return body


def _int(source: Any, name: str, *, required: bool = False) -> int | None:
    value = source.get(name)
    if value is None or value == "":
        if required:
            raise ControlError(f"{name} is required")
        return None
    if isinstance(value, bool):
        raise ControlError(f"{name} must be an integer")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ControlError(f"{name} must be an integer") from None


def _required_int(source: Any, name: str) -> int:
    value = _int(source, name, required=True)
    assert value is not None
    return value


def _str(source: Any, name: str, *, required: bool = False) -> str | None:
    value = source.get(name)
    if value is None:
        if required:
            raise ControlError(f"{name} is required")
        return None
    if not isinstance(value, str):
        raise ControlError(f"{name} must be a string")
    return value


def _flag(source: Any, name: str) -> bool:
    value = source.get(name)
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes"}
    return bool(value)


# --- bots, users, groups ----------------------------------------------------------------------


async def post_bots(request: web.Request) -> web.Response:
    body = await _body(request)
    token = _str(body, "token", required=True)
    assert token is not None
    bot = _emulator(request).configure_bot(token, _str(body, "username"), _str(body, "first_name"))
    return web.json_response(bot.to_control())


async def get_bots(request: web.Request) -> web.Response:
    bots = [bot.to_control() for bot in _emulator(request).bots.values()]
    return web.json_response({"bots": bots})


async def get_users(request: web.Request) -> web.Response:
    users = [user.to_control() for user in _emulator(request).users.values()]
    return web.json_response({"users": users})


async def post_users(request: web.Request) -> web.Response:
    body = await _body(request)
    user = _emulator(request).upsert_user(
        _int(body, "user_id"),
        _str(body, "first_name", required=_int(body, "user_id") is None),
        _str(body, "last_name"),
        _str(body, "username"),
        _str(body, "language_code"),
        _str(body, "label"),
    )
    return web.json_response(user.to_control())


async def post_groups(request: web.Request) -> web.Response:
    body = await _body(request)
    emulator = _emulator(request)
    members = body.get("member_ids", [])
    if not isinstance(members, list) or not all(
        isinstance(m, int) and not isinstance(m, bool) for m in members
    ):
        raise ControlError("member_ids must be a list of user ids")
    group = emulator.upsert_group(
        _int(body, "chat_id"),
        _str(body, "title", required=True),
        _str(body, "type") or "group",
        members,
        emulator.maybe_control_bot(_int(body, "bot_id")),
    )
    return web.json_response({"chat_id": group.chat_id})


async def get_chats(request: web.Request) -> web.Response:
    emulator = _emulator(request)
    user_id = _required_int(request.query, "user_id")
    bot = emulator.maybe_control_bot(_int(request.query, "bot_id"))
    return web.json_response({"chats": emulator.chats_of(bot, user_id)})


# --- what users do ----------------------------------------------------------------------------


async def post_send(request: web.Request) -> web.Response:
    body = await _body(request)
    emulator = _emulator(request)
    bot = emulator.control_bot(_int(body, "bot_id"))
    text = _str(body, "text", required=True)
    if not text:
        raise ControlError("text must not be empty")
    user = emulator.upsert_user(
        _required_int(body, "user_id"),
        _str(body, "first_name"),
        _str(body, "last_name"),
        _str(body, "username"),
        _str(body, "language_code"),
    )
    chat_id = emulator.user_chat(
        bot, user, _int(body, "chat_id"), _str(body, "chat_type"), _str(body, "chat_title")
    )
    update_id, record = emulator.user_message(
        bot, user, chat_id, text=text, reply_to=_int(body, "reply_to_message_id")
    )
    return web.json_response(
        {"update_id": update_id, "chat_id": chat_id, "message_id": record.message_id}
    )


async def post_press(request: web.Request) -> web.Response:
    body = await _body(request)
    emulator = _emulator(request)
    bot = emulator.control_bot(_int(body, "bot_id"))
    data = _str(body, "data", required=True)
    assert data is not None
    user = emulator.upsert_user(_required_int(body, "user_id"))
    update_id, query_id = emulator.press(
        bot, user, _required_int(body, "chat_id"), _required_int(body, "message_id"), data
    )
    return web.json_response({"update_id": update_id, "callback_query_id": query_id})


async def get_callback_answers(request: web.Request) -> web.Response:
    emulator = _emulator(request)
    query_id = _str(request.query, "callback_query_id", required=True)
    for bot in emulator.bots.values():
        query = bot.callbacks.get(query_id or "")
        if query is not None:
            return web.json_response(query.answer)
    raise ControlError(f"no callback query {query_id}", 404)


async def post_upload(request: web.Request) -> web.Response:
    emulator = _emulator(request)
    form = await request.post()
    upload = form.get("file")
    if not isinstance(upload, web.FileField):
        raise ControlError("file is required (multipart/form-data)")
    bot = emulator.control_bot(_int(form, "bot_id"))
    user = emulator.upsert_user(_required_int(form, "user_id"))
    chat_id = emulator.user_chat(bot, user, _int(form, "chat_id"), None, None)
    data = upload.file.read()
    if not data:
        raise ControlError("file must not be empty")
    stored = emulator.files.add(
        data, "document", upload.filename, upload.content_type or "application/octet-stream"
    )
    caption = form.get("caption")
    update_id, record = emulator.user_message(
        bot,
        user,
        chat_id,
        caption=caption if isinstance(caption, str) and caption else None,
        document=stored,
    )
    return web.json_response(
        {
            "update_id": update_id,
            "chat_id": chat_id,
            "message_id": record.message_id,
            "file_id": stored.file_id,
        }
    )


async def get_file(request: web.Request) -> web.StreamResponse:
    stored = _emulator(request).files.get(request.match_info["file_id"])
    if stored is None:
        raise ControlError("no such file", 404)
    return file_response(stored)


# --- what the bots said -----------------------------------------------------------------------


def _listing_query(request: web.Request) -> tuple[int | None, int, bool, int | None]:
    query = request.query
    since = _int(query, "since") or 0
    return _int(query, "chat_id"), since, _flag(query, "include_user"), _int(query, "bot_id")


async def get_messages(request: web.Request) -> web.Response:
    emulator = _emulator(request)
    chat_id, since, include_user, bot_id = _listing_query(request)
    if chat_id is None:
        raise ControlError("chat_id is required")
    bot = emulator.maybe_control_bot(bot_id)
    if bot is None:
        return web.json_response({"messages": [], "cursor": since})
    messages, cursor = emulator.changed_since(bot, chat_id, since, include_user)
    return web.json_response({"messages": messages, "cursor": cursor})


async def get_wait(request: web.Request) -> web.Response:
    emulator = _emulator(request)
    chat_id, since, include_user, bot_id = _listing_query(request)
    try:
        timeout = min(max(float(request.query.get("timeout", "10")), 0.0), MAX_WAIT)
    except ValueError:
        raise ControlError("timeout must be a number") from None
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        event = emulator.changes_notifier.current()
        bot = emulator.maybe_control_bot(bot_id)
        messages: list[JSON] = []
        cursor = since
        if bot is not None:
            messages, cursor = emulator.changed_since(bot, chat_id, since, include_user)
        remaining = deadline - loop.time()
        if messages or remaining <= 0 or emulator.closing:
            return web.json_response({"messages": messages, "cursor": cursor})
        await Notifier.wait(event, remaining)


# --- faults, stats, reset ---------------------------------------------------------------------


def _fault_state(emulator: Emulator) -> JSON:
    state = emulator.faults.to_json()
    state["limits"] = emulator.limiter.settings.to_json()
    state["migrations"] = [
        {"chat_id": group.chat_id, "new_chat_id": group.migrated_to}
        for group in emulator.groups.values()
        if group.migrated_to is not None
    ]
    return state


async def post_faults(request: web.Request) -> web.Response:
    body = await _body(request)
    emulator = _emulator(request)
    unknown = set(body) - _FAULT_KEYS
    if unknown:
        raise ControlError(f"unknown fault keys: {sorted(unknown)}; known: {sorted(_FAULT_KEYS)}")
    try:
        if body.get("clear"):
            emulator.clear_faults()
        limits = body.get("limits")
        if limits is not None:
            if not isinstance(limits, dict):
                raise ControlError("limits must be an object")
            emulator.limiter.settings.update(limits)
            emulator.limiter.reset()
        apply_user_faults(emulator.faults, body)
        _tell_bots_of_membership(emulator, body)
        for name in ("flood", "server_errors", "slow", "drop"):
            if name in body:
                setattr(emulator.faults, name, counted_fault(body[name], name))
    except ValueError as error:
        raise ControlError(str(error)) from None
    migrate = body.get("migrate")
    if migrate is not None:
        if not isinstance(migrate, dict):
            raise ControlError("migrate must be an object")
        emulator.migrate(_required_int(migrate, "chat_id"), _required_int(migrate, "new_chat_id"))
    return web.json_response(_fault_state(emulator))


def _tell_bots_of_membership(emulator: Emulator, body: JSON) -> None:
    """A bot kicked from a group, or added back, gets a `my_chat_member` update."""
    for key, status in (("kicked_from", "kicked"), ("readded_to", "member")):
        chats = body.get(key)
        for chat_id in chats if isinstance(chats, list) else []:
            group = emulator.groups.get(chat_id) if isinstance(chat_id, int) else None
            for bot_id in sorted(group.bot_ids) if group is not None else []:
                bot = emulator.bots.get(bot_id)
                if bot is not None and group is not None:
                    emulator.bot_membership(bot, group, status)


async def get_faults(request: web.Request) -> web.Response:
    return web.json_response(_fault_state(_emulator(request)))


async def post_reset(request: web.Request) -> web.Response:
    _emulator(request).reset()
    return web.json_response({"ok": True})


async def get_stats(request: web.Request) -> web.Response:
    return web.json_response(_emulator(request).stats.to_json())


def add_routes(app: web.Application) -> None:
    router = app.router
    router.add_post("/emulator/bots", post_bots)
    router.add_get("/emulator/bots", get_bots)
    router.add_get("/emulator/users", get_users)
    router.add_post("/emulator/users", post_users)
    router.add_post("/emulator/groups", post_groups)
    router.add_get("/emulator/chats", get_chats)
    router.add_post("/emulator/send", post_send)
    router.add_post("/emulator/press", post_press)
    router.add_get("/emulator/callback_answers", get_callback_answers)
    router.add_post("/emulator/upload", post_upload)
    router.add_get("/emulator/files/{file_id}", get_file)
    router.add_get("/emulator/messages", get_messages)
    router.add_get("/emulator/wait", get_wait)
    router.add_post("/emulator/faults", post_faults)
    router.add_get("/emulator/faults", get_faults)
    router.add_post("/emulator/reset", post_reset)
    router.add_get("/emulator/stats", get_stats)
