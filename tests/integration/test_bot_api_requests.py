"""AiohttpRequest: python-telegram-bot's HTTP layer over aiohttp, against a real HTTP server."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import NetworkError, RetryAfter, TimedOut

from bot.request import AiohttpRequest

TOKEN = "123:test-token"
ME = {"id": 123, "is_bot": True, "first_name": "Chỉ tiêu", "username": "chitieu_bot"}
MESSAGE = {"message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"}, "text": "ok"}


@dataclass
class Seen:
    """What the server received, and how it answers."""

    requests: list[tuple[str, str, Any]] = field(default_factory=list)
    delay: float = 0.0
    status: int = 200
    answer: dict[str, Any] = field(default_factory=lambda: {"ok": True, "result": MESSAGE})


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, Seen]]:
    seen = Seen()

    async def handle(request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.content_type == "application/json":
            body: Any = json.loads(await request.text())
        else:
            form = await request.post()
            body = {
                key: (value.filename, value.file.read())
                if isinstance(value, web.FileField)
                else value
                for key, value in form.items()
            }
        seen.requests.append((method, request.content_type, body))
        await asyncio.sleep(seen.delay)
        if method == "getMe":
            return web.json_response({"ok": True, "result": ME})
        return web.json_response(seen.answer, status=seen.status)

    app = web.Application()
    app.router.add_post("/bot{token}/{method}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/bot", seen
    finally:
        await runner.cleanup()


def bot_at(base_url: str, request: AiohttpRequest | None = None) -> Bot:
    return Bot(TOKEN, base_url=base_url, request=request or AiohttpRequest(2))


async def test_parameters_go_as_one_json_document_with_nested_objects_as_objects(
    server: tuple[str, Seen],
) -> None:
    base_url, seen = server
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Xác nhận", callback_data="sb:ok")]])
    async with bot_at(base_url) as bot:
        sent = await bot.send_message(5, "Số hồ sơ: 1.020", reply_markup=markup)

    assert sent.text == "ok"
    method, content_type, body = seen.requests[-1]
    assert (method, content_type) == ("sendMessage", "application/json")
    assert body == {
        "chat_id": 5,
        "text": "Số hồ sơ: 1.020",
        "reply_markup": {"inline_keyboard": [[{"text": "Xác nhận", "callback_data": "sb:ok"}]]},
    }


async def test_a_file_goes_as_multipart_with_the_other_parameters_as_fields(
    server: tuple[str, Seen],
) -> None:
    base_url, seen = server
    async with bot_at(base_url) as bot:
        await bot.send_document(5, b"PK\x03\x04 workbook", filename="bao-cao.xlsx", caption="Q1")

    method, content_type, body = seen.requests[-1]
    assert (method, content_type) == ("sendDocument", "multipart/form-data")
    assert body["chat_id"] == "5"
    assert body["caption"] == "Q1"
    assert body["document"] == ("bao-cao.xlsx", b"PK\x03\x04 workbook")


async def test_the_servers_answer_is_handed_to_ptb_which_raises_its_errors(
    server: tuple[str, Seen], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")  # retry_after as a timedelta, as the bot runs
    base_url, seen = server
    seen.status = 429
    seen.answer = {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 7",
        "parameters": {"retry_after": 7},
    }
    async with bot_at(base_url) as bot:
        with pytest.raises(RetryAfter) as raised:
            await bot.send_message(5, "x")
    assert raised.value.retry_after == timedelta(seconds=7)


async def test_an_answer_slower_than_the_read_timeout_is_a_timeout(
    server: tuple[str, Seen],
) -> None:
    base_url, seen = server
    async with bot_at(base_url) as bot:
        seen.delay = 1.0
        with pytest.raises(TimedOut):
            await bot.send_message(5, "x", read_timeout=0.2)


async def test_a_bot_api_nobody_answers_at_is_a_network_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # free once closed: nothing listens there
    request = AiohttpRequest(1)
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as raised:
            await request.post(f"http://127.0.0.1:{port}/bot{TOKEN}/getMe")
        assert not isinstance(raised.value, TimedOut)
    finally:
        await request.shutdown()


async def test_a_text_longer_than_the_bot_api_takes_is_cut_never_refused(
    server: tuple[str, Seen],
) -> None:
    base_url, seen = server
    name = "Đăk " * 1022 + "🔴🔴"  # 4.088 characters and 2 emoji: 4.096 UTF-16 units past 4.094
    async with bot_at(base_url) as bot:
        await bot.send_message(5, "Không có đơn vị “" + name + "”.")
        await bot.send_message(5, "ngắn")
        await bot.answer_callback_query("q", "x" * 300)

    texts = [body["text"] for _, _, body in seen.requests if "text" in body]
    assert [len(text.encode("utf-16-le")) // 2 for text in texts] == [4096, 4, 200]
    assert texts[0].endswith("…")
    assert texts[1] == "ngắn"
