"""A plain python-telegram-bot echo bot against the emulator, by polling and by webhook."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from telegram.ext import Application

from sandbox import EmulatorClient, RunningEmulator
from sandbox.testing import TEST_BOT_ID as BOT_ID
from sandbox.testing import free_port, png

USER = 4201


@asynccontextmanager
async def polling(application: Application[Any, Any, Any, Any, Any, Any]) -> AsyncIterator[None]:
    async with application:
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0)
        await application.start()
        try:
            yield
        finally:
            await application.updater.stop()
            await application.stop()


@asynccontextmanager
async def webhook(
    application: Application[Any, Any, Any, Any, Any, Any], secret: str = "s3cret_token-1"
) -> AsyncIterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    async with application:
        assert application.updater is not None
        await application.updater.start_webhook(
            listen="127.0.0.1", port=port, url_path="hook", webhook_url=url, secret_token=secret
        )
        await application.start()
        try:
            yield url
        finally:
            await application.updater.stop()
            await application.stop()


async def converse(control: EmulatorClient) -> None:
    """Text, buttons, a press, an edit, a photo and documents both ways."""
    sent = await control.send(USER, "hello", first_name="Lan", language_code="vi")
    assert sent["chat_id"] == USER
    await control.wait_for_text(USER, "echo: hello")

    await control.send(USER, "/start")
    greeting = await control.wait_for_text(USER, "Chào bạn!")
    assert greeting["buttons"] == [
        [{"text": "Bấm", "callback_data": "tap:1"}],
        [{"text": "Site", "url": "https://example.org"}],
    ]
    assert greeting["entities"] == [{"type": "bold", "offset": 5, "length": 3}]
    pressed = await control.press_button(USER, greeting, "Bấm")
    edited = await control.wait_for_text(USER, "pressed tap:1", since=greeting["seq"])
    assert edited["message_id"] == greeting["message_id"]
    assert edited["edited"] is True
    assert edited["buttons"] == []
    answer = await control.callback_answer(pressed["callback_query_id"])
    assert answer is not None
    assert answer["text"] == "pressed tap:1"

    await control.send(USER, "edit")
    after = await control.wait_for_text(USER, "after")
    assert after["edited"] is True

    await control.send(USER, "photo")
    photo = await control.wait_for_text(USER, "a photo")
    assert photo["photo"]["width"] == 3
    assert photo["photo"]["height"] == 2
    assert await control.download(photo["photo"]["url"]) == png(3, 2)

    await control.send(USER, "doc")
    document = await control.wait_for_text(USER, "a document")
    assert document["document"]["file_name"] == "báo cáo.txt"
    assert await control.download(document["document"]["url"]) == b"bao cao"

    content = "Số liệu quý 3".encode() * 100
    uploaded = await control.upload(USER, "số liệu.csv", content, content_type="text/csv")
    digest = hashlib.sha256(content).hexdigest()[:12]
    await control.wait_for_text(USER, f"got số liệu.csv {len(content)} bytes {digest}")
    assert uploaded["file_id"]


async def test_an_echo_bot_works_by_polling(
    server: RunningEmulator, control: EmulatorClient, echo_bot: Any
) -> None:
    async with polling(echo_bot):
        await converse(control)
    stats = await control.stats()
    assert stats["requests"]["getUpdates"] >= 1
    assert stats["requests"]["answerCallbackQuery"] == 1
    assert stats["requests"]["getFile"] == 1
    assert server.emulator.bots[BOT_ID].updates == type(server.emulator.bots[BOT_ID].updates)()


async def test_an_echo_bot_works_by_webhook(
    server: RunningEmulator, control: EmulatorClient, echo_bot: Any
) -> None:
    async with webhook(echo_bot) as url:
        bot = server.emulator.bots[BOT_ID]
        assert bot.webhook_url == url
        assert bot.secret_token == "s3cret_token-1"
        await converse(control)
    deliveries = [update for what, update in server.emulator.trace or [] if what == "webhook"]
    assert len(deliveries) == 7
    assert [u["update_id"] for u in deliveries] == sorted(u["update_id"] for u in deliveries)
