"""getUpdates, webhooks, Telegram's validation rules and files, seen through raw Bot API calls."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from sandbox import EmulatorClient, RunningEmulator
from sandbox.testing import TEST_TOKEN as TOKEN
from sandbox.testing import BotApi, png

USER = 777


# --- getUpdates -------------------------------------------------------------------------------


async def test_get_updates_answers_as_soon_as_an_update_arrives(
    api: BotApi, control: EmulatorClient
) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    poll = asyncio.create_task(api.ok("getUpdates", timeout=20))
    await asyncio.sleep(0.05)
    assert not poll.done()
    await control.send(USER, "hello")
    updates = await poll
    assert loop.time() - started < 2
    assert [u["message"]["text"] for u in updates] == ["hello"]


async def test_get_updates_answers_empty_at_its_timeout(api: BotApi) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await api.ok("getUpdates", timeout=0.2) == []
    assert loop.time() - started >= 0.2


async def test_offset_confirms_earlier_updates_and_limit_caps_the_batch(
    api: BotApi, control: EmulatorClient
) -> None:
    ids = [(await control.send(USER, f"m{i}"))["update_id"] for i in range(5)]
    first = await api.ok("getUpdates", limit=2)
    assert [u["update_id"] for u in first] == ids[:2]
    again = await api.ok("getUpdates")
    assert [u["update_id"] for u in again] == ids
    rest = await api.ok("getUpdates", offset=ids[2] + 1)
    assert [u["update_id"] for u in rest] == ids[3:]
    last = await api.ok("getUpdates", offset=-1)
    assert [u["update_id"] for u in last] == ids[4:]
    assert await api.ok("getUpdates", offset=ids[4] + 1) == []


async def test_allowed_updates_filters_new_updates_and_is_remembered(
    api: BotApi, control: EmulatorClient
) -> None:
    sent = await control.send(USER, "before")
    await api.ok("getUpdates", offset=sent["update_id"] + 1, allowed_updates=["callback_query"])
    reply = await api.ok("sendMessage", chat_id=USER, text="pick")
    await control.send(USER, "ignored")
    await control.press(USER, USER, reply["message_id"], "x")
    updates = await api.ok("getUpdates")
    assert [next(k for k in u if k != "update_id") for u in updates] == ["callback_query"]
    await api.ok("getUpdates", allowed_updates=[])
    await control.send(USER, "seen again")
    assert "message" in (await api.ok("getUpdates"))[-1]


async def test_get_updates_conflicts_with_a_webhook(api: BotApi) -> None:
    await api.ok("setWebhook", url="http://127.0.0.1:9/hook")
    assert await api.error("getUpdates") == (
        409,
        (
            "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to "
            "delete the webhook first"
        ),
    )
    await api.ok("deleteWebhook")
    assert await api.ok("getUpdates") == []


async def test_a_newer_get_updates_terminates_the_waiting_one(api: BotApi) -> None:
    first = asyncio.create_task(api.call("getUpdates", timeout=20))
    await asyncio.sleep(0.05)
    assert await api.ok("getUpdates", timeout=0) == []
    status, body = await first
    assert status == 409
    assert body["description"] == (
        "Conflict: terminated by other getUpdates request; make sure that only one bot "
        "instance is running"
    )


# --- webhooks ---------------------------------------------------------------------------------


@dataclass
class Receiver:
    url: str
    failures: int = 0
    received: list[dict[str, Any]] = field(default_factory=list)
    secrets: list[str | None] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """A webhook endpoint that fails `failures` times before accepting."""
    holder: list[Receiver] = []

    async def hook(request: web.Request) -> web.Response:
        state = holder[0]
        state.secrets.append(request.headers.get("X-Telegram-Bot-Api-Secret-Token"))
        if state.failures > 0:
            state.failures -= 1
            return web.Response(status=500)
        state.received.append(await request.json())
        state.arrived.set()
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    holder.append(Receiver(url=f"http://127.0.0.1:{runner.addresses[0][1]}/hook"))
    yield holder[0]
    await runner.cleanup()


async def _until(condition: Any, seconds: float = 5) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not condition():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def test_a_webhook_gets_every_update_in_order_with_the_secret_header(
    api: BotApi, control: EmulatorClient, receiver: Receiver
) -> None:
    await api.ok("setWebhook", url=receiver.url, secret_token="s3cr3t")
    ids = [(await control.send(USER, f"m{i}"))["update_id"] for i in range(5)]
    await _until(lambda: len(receiver.received) == 5)
    assert [u["update_id"] for u in receiver.received] == ids
    assert set(receiver.secrets) == {"s3cr3t"}
    info = await api.ok("getWebhookInfo")
    assert info["url"] == receiver.url
    assert info["pending_update_count"] == 0


async def test_a_failing_webhook_is_retried_and_reported_in_webhook_info(
    api: BotApi, control: EmulatorClient, receiver: Receiver
) -> None:
    receiver.failures = 3
    await api.ok("setWebhook", url=receiver.url)
    sent = await control.send(USER, "retry me")
    await control.send(USER, "after")
    await _until(lambda: len(receiver.secrets) >= 2)
    info = await api.ok("getWebhookInfo")
    assert info["pending_update_count"] == 2
    assert (
        info["last_error_message"] == "Wrong response from the webhook: 500 Internal Server Error"
    )
    assert isinstance(info["last_error_date"], int)
    await _until(lambda: len(receiver.received) == 2)
    assert receiver.received[0]["update_id"] == sent["update_id"]
    assert len(receiver.secrets) == 5
    assert (await api.ok("getWebhookInfo"))["pending_update_count"] == 0


async def test_an_unreachable_webhook_reports_the_connection_error(
    api: BotApi, control: EmulatorClient
) -> None:
    await api.ok("setWebhook", url="http://127.0.0.1:9/hook")
    await control.send(USER, "lost")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 5
    info: dict[str, Any] = {}
    while "last_error_message" not in info:
        assert loop.time() < deadline
        await asyncio.sleep(0.02)
        info = await api.ok("getWebhookInfo")
    assert info["last_error_message"] == "Connection refused"
    assert info["pending_update_count"] == 1


async def test_drop_pending_updates_forgets_what_was_waiting(
    api: BotApi, control: EmulatorClient
) -> None:
    await control.send(USER, "old")
    await api.ok("deleteWebhook", drop_pending_updates=True)
    assert await api.ok("getUpdates") == []
    await control.send(USER, "older")
    await api.ok("setWebhook", url="http://127.0.0.1:9/hook", drop_pending_updates=True)
    assert (await api.ok("getWebhookInfo"))["pending_update_count"] == 0


# --- what a bot may send ----------------------------------------------------------------------


@pytest.fixture
async def chat(control: EmulatorClient) -> int:
    return int((await control.send(USER, "hi"))["chat_id"])


async def test_text_length_is_counted_after_entity_parsing(api: BotApi, chat: int) -> None:
    assert (await api.ok("sendMessage", chat_id=chat, text="ạ" * 4096))["text"] == "ạ" * 4096
    bold = "<b>" + "x" * 4096 + "</b>"
    assert (await api.ok("sendMessage", chat_id=chat, text=bold, parse_mode="HTML"))["text"]
    assert await api.error("sendMessage", chat_id=chat, text="x" * 4097) == (
        400,
        "Bad Request: message is too long",
    )
    assert await api.error("sendMessage", chat_id=chat, text="<b> </b>", parse_mode="HTML") == (
        400,
        "Bad Request: message text is empty",
    )


async def test_captions_are_limited_to_1024_characters(api: BotApi, chat: int) -> None:
    photo = await api.http.post(
        f"/bot{TOKEN}/sendPhoto",
        data={"chat_id": str(chat), "caption": "c" * 1025},
        files={"photo": ("a.png", png(2, 2), "image/png")},
    )
    assert photo.status_code == 400
    assert photo.json()["description"] == "Bad Request: message caption is too long"


@pytest.mark.parametrize(
    ("button", "description"),
    [
        ({"text": "x", "callback_data": "đ" * 33}, "Bad Request: BUTTON_DATA_INVALID"),
        ({"text": "x", "callback_data": ""}, "Bad Request: BUTTON_DATA_INVALID"),
        (
            {"text": "x"},
            (
                "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the "
                "inline keyboard"
            ),
        ),
    ],
)
async def test_inline_buttons_follow_telegrams_rules(
    api: BotApi, chat: int, button: dict[str, Any], description: str
) -> None:
    markup = {"inline_keyboard": [[button]]}
    assert await api.error("sendMessage", chat_id=chat, text="x", reply_markup=markup) == (
        400,
        description,
    )


async def test_callback_data_of_64_bytes_is_accepted_from_a_form_encoded_markup(
    api: BotApi, chat: int
) -> None:
    markup = json.dumps({"inline_keyboard": [[{"text": "x", "callback_data": "đ" * 32}]]})
    response = await api.http.post(
        f"/bot{TOKEN}/sendMessage",
        data={"chat_id": str(chat), "text": "x", "reply_markup": markup},
    )
    keyboard = response.json()["result"]["reply_markup"]["inline_keyboard"]
    assert keyboard == [[{"text": "x", "callback_data": "đ" * 32}]]


async def test_bad_markup_cannot_be_parsed(api: BotApi, chat: int) -> None:
    assert await api.error("sendMessage", chat_id=chat, text="<x>1</x>", parse_mode="HTML") == (
        400,
        'Bad Request: can\'t parse entities: Unsupported start tag "x" at byte offset 0',
    )
    assert await api.error("sendMessage", chat_id=chat, text="98.5%", parse_mode="MarkdownV2") == (
        400,
        (
            "Bad Request: can't parse entities: Character '.' is reserved and must be escaped with "
            "the preceding '\\'"
        ),
    )


async def test_editing_to_the_same_content_is_not_modified(api: BotApi, chat: int) -> None:
    markup = {"inline_keyboard": [[{"text": "a", "callback_data": "a"}]]}
    sent = await api.ok(
        "sendMessage", chat_id=chat, text="<b>x</b>", parse_mode="HTML", reply_markup=markup
    )
    same = {"chat_id": chat, "message_id": sent["message_id"]}
    not_modified = (
        400,
        (
            "Bad Request: message is not modified: specified new message content and reply markup "
            "are exactly the same as a current content and reply markup of the message"
        ),
    )
    assert (
        await api.error(
            "editMessageText", **same, text="*x*", parse_mode="MarkdownV2", reply_markup=markup
        )
        == not_modified
    )
    assert await api.error("editMessageReplyMarkup", **same, reply_markup=markup) == not_modified
    edited = await api.ok("editMessageText", **same, text="x", reply_markup=markup)
    assert edited["edit_date"] >= edited["date"]
    assert "entities" not in edited
    removed = await api.ok("editMessageReplyMarkup", **same)
    assert "reply_markup" not in removed


async def test_unknown_messages_cannot_be_edited_or_deleted(api: BotApi, chat: int) -> None:
    assert await api.error("editMessageText", chat_id=chat, message_id=999, text="x") == (
        400,
        "Bad Request: message to edit not found",
    )
    assert await api.error("deleteMessage", chat_id=chat, message_id=999) == (
        400,
        "Bad Request: message to delete not found",
    )
    sent = await api.ok("sendMessage", chat_id=chat, text="x")
    assert await api.ok("deleteMessage", chat_id=chat, message_id=sent["message_id"]) is True
    assert await api.error("deleteMessage", chat_id=chat, message_id=sent["message_id"]) == (
        400,
        "Bad Request: message to delete not found",
    )


async def test_a_chat_never_seen_is_not_found(api: BotApi) -> None:
    assert await api.error("sendMessage", chat_id=31337, text="x") == (
        400,
        "Bad Request: chat not found",
    )
    assert await api.error("getChat", chat_id=-42) == (400, "Bad Request: chat not found")


async def test_a_callback_query_is_answered_once(
    api: BotApi, control: EmulatorClient, chat: int
) -> None:
    sent = await api.ok("sendMessage", chat_id=chat, text="x")
    pressed = await control.press(USER, chat, sent["message_id"], "forged:data")
    update = (await api.ok("getUpdates"))[-1]["callback_query"]
    assert update["data"] == "forged:data"
    assert update["message"]["message_id"] == sent["message_id"]
    query_id = pressed["callback_query_id"]
    assert await control.callback_answer(query_id) is None
    await api.ok("answerCallbackQuery", callback_query_id=query_id, text="Đã lưu", show_alert=True)
    assert await control.callback_answer(query_id) == {
        "text": "Đã lưu",
        "show_alert": True,
        "url": None,
        "cache_time": 0,
    }
    assert await api.error("answerCallbackQuery", callback_query_id=query_id) == (
        400,
        "Bad Request: query is too old and response timeout expired or query ID is invalid",
    )


async def test_commands_are_kept_per_scope_and_language(api: BotApi, chat: int) -> None:
    english = [{"command": "start", "description": "Start"}]
    vietnamese = [{"command": "start", "description": "Bắt đầu"}]
    in_chat = [{"command": "report", "description": "Báo cáo"}]
    await api.ok("setMyCommands", commands=english)
    await api.ok("setMyCommands", commands=vietnamese, language_code="vi")
    scope = {"type": "chat", "chat_id": chat}
    await api.ok("setMyCommands", commands=in_chat, scope=scope)
    assert await api.ok("getMyCommands") == english
    assert await api.ok("getMyCommands", language_code="vi") == vietnamese
    assert await api.ok("getMyCommands", scope=scope) == in_chat
    await api.ok("deleteMyCommands", language_code="vi")
    assert await api.ok("getMyCommands", language_code="vi") == []
    assert await api.ok("getMyCommands") == english
    assert await api.error(
        "setMyCommands", commands=[{"command": "Bad!", "description": "x"}]
    ) == (
        400,
        "Bad Request: BOT_COMMAND_INVALID",
    )


async def test_menu_button_chat_action_and_get_chat(
    api: BotApi, control: EmulatorClient, chat: int
) -> None:
    assert await api.ok("setChatMenuButton", chat_id=chat, menu_button={"type": "commands"})
    assert await api.ok("getChatMenuButton", chat_id=chat) == {"type": "commands"}
    assert await api.ok("sendChatAction", chat_id=chat, action="typing") is True
    assert await api.error("sendChatAction", chat_id=chat, action="dancing") == (
        400,
        "Bad Request: wrong parameter action in request",
    )
    assert (await control.chats(USER))[0]["action"] == "typing"
    info = await api.ok("getChat", chat_id=chat)
    assert info["type"] == "private"
    assert info["first_name"]


async def test_files_are_stored_and_downloadable(
    server: RunningEmulator, api: BotApi, chat: int
) -> None:
    image = png(640, 480)
    response = await api.http.post(
        f"/bot{TOKEN}/sendPhoto",
        data={"chat_id": str(chat)},
        files={"photo": ("chart.png", image, "image/png")},
    )
    sizes = response.json()["result"]["photo"]
    assert (sizes[0]["width"], sizes[0]["height"], sizes[0]["file_size"]) == (640, 480, len(image))
    file = await api.ok("getFile", file_id=sizes[0]["file_id"])
    download = await api.http.get(f"/file/bot{TOKEN}/{file['file_path']}")
    assert download.content == image
    assert (await api.http.get(f"/emulator/files/{file['file_id']}")).content == image
    again = await api.ok("sendPhoto", chat_id=chat, photo=sizes[0]["file_id"])
    assert again["photo"][0]["file_id"] == sizes[0]["file_id"]
    by_url = await api.ok(
        "sendDocument",
        chat_id=chat,
        document=f"{server.base_url}/file/bot{TOKEN}/{file['file_path']}",
    )
    assert by_url["document"]["file_size"] == len(image)
    assert await api.error("getFile", file_id="nope") == (400, "Bad Request: invalid file_id")
    assert await api.error("sendPhoto", chat_id=chat, photo="nope") == (
        400,
        "Bad Request: wrong file identifier/HTTP URL specified",
    )
    not_found = await api.http.get(f"/file/bot{TOKEN}/photos/missing.png")
    assert not_found.status_code == 404


def _jpeg_header(width: int, height: int) -> bytes:
    app0 = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof0 = b"\xff\xc0\x00\x11\x08" + height.to_bytes(2) + width.to_bytes(2) + b"\x03" + b"\x00" * 9
    return b"\xff\xd8" + app0 + sof0 + b"\xff\xd9"


async def test_a_jpeg_photo_reports_its_real_size_and_other_bytes_are_refused(
    api: BotApi, chat: int
) -> None:
    response = await api.http.post(
        f"/bot{TOKEN}/sendPhoto",
        data={"chat_id": str(chat)},
        files={"photo": ("shot.jpg", _jpeg_header(1280, 720), "image/jpeg")},
    )
    size = response.json()["result"]["photo"][0]
    assert (size["width"], size["height"]) == (1280, 720)
    refused = await api.http.post(
        f"/bot{TOKEN}/sendPhoto",
        data={"chat_id": str(chat)},
        files={"photo": ("notes.txt", b"not an image", "text/plain")},
    )
    assert refused.json()["description"] == "Bad Request: IMAGE_PROCESS_FAILED"
