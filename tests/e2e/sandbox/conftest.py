"""Fixtures for the emulator's tests: a running emulator, its control client, raw Bot API calls,
a python-telegram-bot echo bot, and a checker of objects against the Bot API specification."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from sandbox import EmulatorClient, RunningEmulator, running_emulator
from sandbox.testing import TEST_TOKEN, BotApi, SpecChecker, png

# The shared, full spec when the checkout sits beside shared/ (as on developers' machines and in
# CI); otherwise the slim copy kept here.
_SHARED_SPEC = (
    Path(__file__).resolve().parents[3].parent / "shared/telegram-bot-api-spec/api.min.json"
)
SPEC_PATH = (
    _SHARED_SPEC if _SHARED_SPEC.is_file() else Path(__file__).with_name("botapi_spec.json")
)


@pytest.fixture(autouse=True)
def _timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    """python-telegram-bot warns when RetryAfter.retry_after is read as a number."""
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


@pytest.fixture
async def server() -> AsyncIterator[RunningEmulator]:
    async with running_emulator() as running:
        running.emulator.trace = []
        yield running


@pytest.fixture
async def control(server: RunningEmulator) -> AsyncIterator[EmulatorClient]:
    async with EmulatorClient(server.base_url) as client:
        yield client


@pytest.fixture
async def api(server: RunningEmulator) -> AsyncIterator[BotApi]:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
        bot_api = BotApi(http)
        await bot_api.ok("getMe")
        yield bot_api


# --- the echo bot -----------------------------------------------------------------------------


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None
    text = message.text or ""
    if text == "/start":
        keyboard = InlineKeyboardMarkup(
            [
                [InlineKeyboardButton("Bấm", callback_data="tap:1")],
                [InlineKeyboardButton("Site", url="https://example.org")],
            ]
        )
        await message.reply_text("Chào <b>bạn</b>!", parse_mode="HTML", reply_markup=keyboard)
    elif text == "photo":
        await message.reply_photo(png(3, 2), caption="a photo")
    elif text == "doc":
        await message.reply_document(b"bao cao", filename="báo cáo.txt", caption="a document")
    elif text == "edit":
        sent = await message.reply_text("before")
        await sent.edit_text("after")
    else:
        await context.bot.send_message(message.chat_id, f"echo: {text}")


async def _pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    del context
    query = update.callback_query
    assert query is not None
    await query.answer(f"pressed {query.data}")
    await query.edit_message_text(f"pressed {query.data}")


async def _document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    del context
    message = update.effective_message
    assert message is not None
    assert message.document is not None
    file = await message.document.get_file()
    data = await file.download_as_bytearray()
    digest = hashlib.sha256(bytes(data)).hexdigest()[:12]
    await message.reply_text(f"got {message.document.file_name} {len(data)} bytes {digest}")


def build_echo_bot(
    base_url: str, token: str = TEST_TOKEN
) -> Application[Any, Any, Any, Any, Any, Any]:
    application = (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{base_url}/bot")
        .base_file_url(f"{base_url}/file/bot")
        .build()
    )
    application.add_handler(MessageHandler(filters.Document.ALL, _document))
    application.add_handler(MessageHandler(filters.TEXT, _echo))
    application.add_handler(CallbackQueryHandler(_pressed))
    return application


@pytest.fixture
def echo_bot(server: RunningEmulator) -> Application[Any, Any, Any, Any, Any, Any]:
    return build_echo_bot(server.base_url)


# --- the specification ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def spec() -> SpecChecker:
    return SpecChecker.load(SPEC_PATH)
