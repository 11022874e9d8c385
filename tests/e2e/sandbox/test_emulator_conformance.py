"""The emulator speaks the Bot API of the specification: methods, required parameters, and the
shape of every object it returns or delivers, which python-telegram-bot parses completely."""

from __future__ import annotations

from typing import Any

import pytest
import telegram
from telegram import TelegramObject

from sandbox import EmulatorClient, RunningEmulator
from sandbox.botapi import HANDLERS
from sandbox.spec_methods import SPEC_METHODS
from sandbox.testing import TEST_TOKEN as TOKEN
from sandbox.testing import BotApi, SpecChecker, png

USER = 501
GROUP = -5001


def test_every_method_the_emulator_serves_exists_in_the_specification(
    spec: SpecChecker,
) -> None:
    canonical = {name.lower(): name for name in spec.methods}
    assert set(HANDLERS) <= set(canonical)
    assert {name.lower() for name in SPEC_METHODS} == set(canonical)


async def test_a_method_outside_the_specification_is_not_found(api: BotApi) -> None:
    assert await api.error("sendTelepathy", chat_id=1) == (404, "Not Found")


async def test_a_specified_method_the_emulator_lacks_says_so(api: BotApi) -> None:
    assert await api.error("sendSticker", chat_id=1, sticker="x") == (
        400,
        "Bad Request: the emulator does not implement sendSticker",
    )


async def test_a_malformed_token_is_unauthorized(api: BotApi) -> None:
    api.token = "not-a-token"
    assert await api.error("getMe") == (401, "Unauthorized")


async def test_method_names_are_case_insensitive_as_on_telegram(api: BotApi) -> None:
    me = await api.ok("GETME")
    assert me["username"] == "bot123456_bot"


async def test_parameters_arrive_by_query_form_multipart_and_json(
    api: BotApi, control: EmulatorClient
) -> None:
    await control.send(USER, "hi")
    http, path = api.http, f"/bot{TOKEN}/sendMessage"
    answers = [
        await http.get(path, params={"chat_id": USER, "text": "by query"}),
        await http.post(path, data={"chat_id": str(USER), "text": "by form"}),
        await http.post(path, data={"chat_id": str(USER)}, files={"text": (None, "by multipart")}),
        await http.post(path, json={"chat_id": USER, "text": "by json"}),
    ]
    texts = [answer.json()["result"]["text"] for answer in answers]
    assert texts == ["by query", "by form", "by multipart", "by json"]


MISSING = [
    ("sendMessage", {"text": "x"}, "Bad Request: chat_id is empty"),
    ("sendMessage", {"chat_id": USER}, "Bad Request: message text is empty"),
    ("sendMessage", {"chat_id": USER, "text": ""}, "Bad Request: message text is empty"),
    ("sendPhoto", {"chat_id": USER}, "Bad Request: there is no photo in the request"),
    ("sendDocument", {"chat_id": USER}, "Bad Request: there is no document in the request"),
    (
        "editMessageText",
        {"chat_id": USER, "text": "x"},
        "Bad Request: message identifier is not specified",
    ),
    ("editMessageText", {"chat_id": USER, "message_id": 1}, "Bad Request: message text is empty"),
    ("editMessageReplyMarkup", {"message_id": 1}, "Bad Request: chat_id is empty"),
    ("deleteMessage", {"chat_id": USER}, "Bad Request: message identifier is not specified"),
    ("deleteMessage", {"message_id": 1}, "Bad Request: chat_id is empty"),
    ("answerCallbackQuery", {}, "Bad Request: callback_query_id is empty"),
    ("getFile", {}, "Bad Request: file_id is empty"),
    ("sendChatAction", {"chat_id": USER}, "Bad Request: action is empty"),
    ("sendChatAction", {"action": "typing"}, "Bad Request: chat_id is empty"),
    ("setMyCommands", {}, "Bad Request: commands is empty"),
    ("getChat", {}, "Bad Request: chat_id is empty"),
]


@pytest.mark.parametrize(("method", "params", "description"), MISSING)
async def test_a_missing_required_parameter_is_refused_as_telegram_does(
    api: BotApi, control: EmulatorClient, method: str, params: dict[str, Any], description: str
) -> None:
    await control.send(USER, "hi")
    assert await api.error(method, **params) == (400, description)


async def test_every_required_parameter_of_every_served_method_is_enforced(
    api: BotApi, control: EmulatorClient, spec: SpecChecker
) -> None:
    await control.send(USER, "hi")
    # setWebhook without url removes the webhook, as Telegram does (url "" means "delete").
    exempt = {"setWebhook"}
    checked = 0
    for name, definition in spec.methods.items():
        if name.lower() not in HANDLERS or name in exempt:
            continue
        for field in definition.get("fields", []):
            if not field["required"]:
                continue
            others = {
                f["name"]: _sample(f["name"])
                for f in definition["fields"]
                if f["required"] and f["name"] != field["name"]
            }
            status, description = await api.error(name, **others)
            assert status == 400, (name, field["name"], description)
            assert description.startswith("Bad Request: "), (name, description)
            checked += 1
    assert checked >= 12


def _sample(name: str) -> Any:
    return {
        "chat_id": USER,
        "text": "x",
        "message_id": 1,
        "action": "typing",
        "commands": [{"command": "start", "description": "Start"}],
        "photo": "unknown-file-id",
        "document": "unknown-file-id",
        "file_id": "unknown-file-id",
        "callback_query_id": "1",
    }.get(name, "x")


# --- every object the emulator returns or delivers --------------------------------------------


@pytest.fixture
async def traced(
    server: RunningEmulator, api: BotApi, control: EmulatorClient
) -> list[tuple[str, Any]]:
    await api.ok("setWebhook", url="http://127.0.0.1:9/hook", secret_token="abc")
    await api.ok("getWebhookInfo")
    await api.ok("deleteWebhook", drop_pending_updates=True)
    await control.send(USER, "/start now", first_name="Lan", last_name="Ng", username="lan_ng")
    await control.send(USER, "Xin chào @someone #tag https://example.org", language_code="vi")
    await control.send(
        USER, "/report@bot123456_bot", chat_id=GROUP, chat_title="Tổ công tác", first_name="Lan"
    )
    await control.upload(USER, "số liệu.xlsx", b"PK\x03\x04data", caption="Quý 3")
    markup = {
        "inline_keyboard": [
            [{"text": "Xem", "callback_data": "v:1"}],
            [{"text": "Web", "url": "https://example.org"}],
        ]
    }
    sent = await api.ok(
        "sendMessage",
        chat_id=USER,
        text="<b>Đạt</b> <i>98,5%</i> <a href='https://example.org'>chi tiết</a> <code>x</code>",
        parse_mode="HTML",
        reply_markup=markup,
        reply_parameters={"message_id": 1},
    )
    await api.ok(
        "sendMessage", chat_id=GROUP, text="*Nhóm* \\- _báo cáo_", parse_mode="MarkdownV2"
    )
    pressed = await control.press(USER, USER, sent["message_id"], "v:1")
    response = await api.http.post(
        f"/bot{TOKEN}/sendPhoto",
        data={"chat_id": str(USER), "caption": "Biểu đồ"},
        files={"photo": ("chart.png", png(4, 3), "image/png")},
    )
    photo = response.json()["result"]
    await api.ok("sendPhoto", chat_id=USER, photo=photo["photo"][0]["file_id"])
    response = await api.http.post(
        f"/bot{TOKEN}/sendDocument",
        data={"chat_id": str(USER)},
        files={"document": ("báo cáo.pdf", b"%PDF-1.4", "application/pdf")},
    )
    document = response.json()["result"]["document"]
    await api.ok("getFile", file_id=document["file_id"])
    await api.ok("getFile", file_id=photo["photo"][0]["file_id"])
    await api.ok("editMessageText", chat_id=USER, message_id=sent["message_id"], text="Sửa")
    await api.ok(
        "editMessageReplyMarkup", chat_id=USER, message_id=sent["message_id"], reply_markup=markup
    )
    await api.ok("editMessageCaption", chat_id=USER, message_id=photo["message_id"], caption="Mới")
    await api.ok("answerCallbackQuery", callback_query_id=pressed["callback_query_id"], text="OK")
    await api.ok("sendChatAction", chat_id=USER, action="typing")
    commands = [{"command": "start", "description": "Bắt đầu"}]
    await api.ok("setMyCommands", commands=commands, language_code="vi")
    await api.ok("getMyCommands", language_code="vi")
    await api.ok("deleteMyCommands", language_code="vi")
    await api.ok("setChatMenuButton", chat_id=USER, menu_button={"type": "commands"})
    await api.ok("getChatMenuButton", chat_id=USER)
    await api.ok("getChat", chat_id=USER)
    await api.ok("getChat", chat_id=GROUP)
    await api.ok("deleteMessage", chat_id=USER, message_id=sent["message_id"])
    await control.press(USER, USER, sent["message_id"], "v:1")  # an inaccessible message now
    await control.faults(migrate={"chat_id": GROUP, "new_chat_id": -1009999})
    await api.ok("getMe")
    await api.ok("getUpdates", timeout=0)
    await api.ok("logOut")
    await api.ok("close")
    return server.emulator.trace or []


async def test_every_object_returned_or_delivered_fits_the_specification(
    traced: list[tuple[str, Any]], spec: SpecChecker
) -> None:
    methods = {what for what, _ in traced}
    assert {name.lower() for name in methods} >= set(HANDLERS)
    for what, result in traced:
        returns = ["Update"] if what == "webhook" else spec.methods[what]["returns"]
        assert spec.problems(result, returns) == [], what
    updates = next(result for what, result in traced if what == "getUpdates")
    kinds = {next(key for key in update if key != "update_id") for update in updates}
    assert kinds == {"message", "callback_query", "my_chat_member"}  # the bot added to GROUP
    presses = [u["callback_query"] for u in updates if "callback_query" in u]
    assert [press["message"]["date"] == 0 for press in presses] == [False, True]
    expected = {
        "Update",
        "Message",
        "User",
        "Chat",
        "ChatFullInfo",
        "AcceptedGiftTypes",
        "CallbackQuery",
        "File",
        "WebhookInfo",
        "BotCommand",
        "PhotoSize",
        "Document",
        "MessageEntity",
        "InlineKeyboardMarkup",
        "InlineKeyboardButton",
        "MenuButtonCommands",
    }
    assert expected <= spec.seen


def _unknown_fields(obj: Any, where: str = "$") -> list[str]:
    if isinstance(obj, tuple | list):
        return [p for i, item in enumerate(obj) for p in _unknown_fields(item, f"{where}[{i}]")]
    if not isinstance(obj, TelegramObject):
        return []
    found = [f"{where}: {dict(obj.api_kwargs)}"] if obj.api_kwargs else []
    for name, value in obj._get_attrs(recursive=False).items():
        found += _unknown_fields(value, f"{where}.{name}")
    return found


async def test_python_telegram_bot_parses_every_object_without_leftover_fields(
    traced: list[tuple[str, Any]], spec: SpecChecker
) -> None:
    parsed = 0
    for what, result in traced:
        returns = ["Update"] if what == "webhook" else spec.methods[what]["returns"]
        type_name = returns[0].removeprefix("Array of ")
        if not hasattr(telegram, type_name) or isinstance(result, bool):
            continue
        cls = getattr(telegram, type_name)
        items = result if isinstance(result, list) else [result]
        for item in items:
            obj = cls.de_json(item, None)
            assert _unknown_fields(obj) == [], (what, item)
            parsed += 1
    assert parsed >= 20
