"""The emulator's web chat in a real headless Chromium, talking to a real python-telegram-bot bot.

A person opens the page, creates a user, sends /start, sees the bot's greeting with two inline
buttons, presses one, sees the message edited (with its "đã sửa" mark and the callback answer as
a toast), asks for a photo and sees it. A screenshot of the conversation is kept in
tests/artifacts/webchat.png.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

if TYPE_CHECKING:
    from pathlib import Path

    from playwright.async_api import Browser, FilePayload

    from sandbox.server import RunningEmulator

pytestmark = pytest.mark.browser

TIMEOUT_MS = 10_000
GREETING = "Xin chào"
EDITED = "Chỉ tiêu tháng này"
ANSWER = "Đã mở chỉ tiêu"
CAPTION = "Biểu đồ tiến độ"
REPORT = "bao_cao_thang_5.csv"
RESULT = "ket_qua_tong_hop.csv"


def chart_png(width: int = 240, height: int = 150) -> bytes:
    """A small RGB PNG of a bar chart, made by hand (zlib + struct, no image library)."""
    bars = [(20, 0.45), (65, 0.7), (110, 0.55), (155, 0.9), (200, 0.8)]
    rows = []
    for y in range(height):
        row = bytearray(b"\x00")  # filter type 0 for this scanline
        for x in range(width):
            pixel = (246, 249, 252)
            if y == height - 12:
                pixel = (160, 170, 180)
            for left, share in bars:
                top = int((height - 12) * (1 - share))
                if left <= x < left + 28 and top <= y < height - 12:
                    pixel = (51, 144, 236) if share < 0.85 else (79, 174, 78)
            row.extend(pixel)
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + chunk(b"IEND", b"")
    )


def keyboard(*buttons: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(t, callback_data=d) for t, d in buttons]])


class TinyBot:
    """A real python-telegram-bot application, with just enough handlers for the scenario."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.presses: list[str] = []
        self.documents: list[tuple[str, bytes]] = []
        self.photo = chart_png()

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_user is not None
        assert update.effective_message is not None
        self.names.append(update.effective_user.first_name)
        await update.effective_message.reply_text(
            f"{GREETING} <b>{update.effective_user.first_name}</b>!\n"
            "Tôi là bot <i>Chỉ tiêu</i>. Bạn muốn làm gì?",
            parse_mode=ParseMode.HTML,
            reply_markup=keyboard(("Xem chỉ tiêu", "kpi"), ("Gửi báo cáo", "report")),
        )

    async def pressed(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        self.presses.append(str(query.data))
        await query.answer(text=ANSWER)
        await query.edit_message_text(
            f"{EDITED}: <b>12/15</b> thủ tục giải quyết đúng hạn.\nTỉ lệ: <code>80%</code>",
            parse_mode=ParseMode.HTML,
            reply_markup=keyboard(("Làm mới", "kpi"), ("Quay lại", "back")),
        )

    async def send_photo(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_photo(self.photo, caption=CAPTION)

    async def got_document(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None
        assert message.document is not None
        received = await (await message.document.get_file()).download_as_bytearray()
        self.documents.append((str(message.document.file_name), bytes(received)))
        await message.reply_document(
            b"don_vi,dat\nUBND xa Phung Chi Kien,12\n", filename=RESULT, caption="Kết quả tổng hợp"
        )

    def build(self, base_url: str) -> Application:  # type: ignore[type-arg]
        app = (
            ApplicationBuilder()
            .token("123456:TEST")
            .base_url(f"{base_url}/bot")
            .base_file_url(f"{base_url}/file/bot")
            .build()
        )
        app.add_handler(CommandHandler("start", self.start))
        app.add_handler(CallbackQueryHandler(self.pressed))
        app.add_handler(MessageHandler(filters.Regex("(?i)ảnh"), self.send_photo))
        app.add_handler(MessageHandler(filters.Document.ALL, self.got_document))
        return app


@asynccontextmanager
async def running_bot(bot: TinyBot, base_url: str) -> AsyncIterator[None]:
    app = bot.build(base_url)
    async with app:
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        await app.start()
        try:
            yield
        finally:
            await app.updater.stop()
            await app.stop()


async def test_web_chat_talks_to_a_real_bot(
    emulator: RunningEmulator, browser: Browser, artifacts_dir: Path
) -> None:
    bot = TinyBot()
    async with running_bot(bot, emulator.base_url):
        page = await browser.new_page(viewport={"width": 1100, "height": 900}, locale="vi-VN")
        page.set_default_timeout(TIMEOUT_MS)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        await page.goto(f"{emulator.base_url}/")
        await page.wait_for_selector("#app[data-ready='1']")

        # create a user, and land in the private chat with the bot
        if not await page.locator("#new-user-form").is_visible():  # open unless users exist
            await page.click("#new-user summary")
        await page.fill("#new-user-form input[name=first_name]", "Lan")
        await page.fill("#new-user-form input[name=last_name]", "Nguyễn")
        await page.fill("#new-user-form input[name=label]", "Trưởng phòng Nội vụ")
        await page.click("#new-user-form button[type=submit]")
        await page.wait_for_selector("#app[data-view='chat']")
        assert await page.inner_text("#me-name") == "Lan Nguyễn"
        await page.wait_for_selector("#chat-list .chat-item.active[data-type='private']")

        # /start: the user's bubble on the right, the bot's greeting with two buttons on the left
        await page.fill("#composer-input", "/start")
        await page.press("#composer-input", "Enter")
        await page.wait_for_selector(".msg.mine .msg-text:has-text('/start')")
        greeting = page.locator(".msg.from-bot", has_text=GREETING)
        await greeting.wait_for()
        assert await greeting.locator("b").inner_text() == "Lan"
        assert await greeting.locator("i").inner_text() == "Chỉ tiêu"
        buttons = greeting.locator(".kb .kb-btn")
        assert await buttons.all_inner_texts() == ["Xem chỉ tiêu", "Gửi báo cáo"]
        assert bot.names == ["Lan"]

        # press a button: the bot answers the callback (a toast) and edits its message
        await buttons.first.click()
        edited = page.locator(".msg.from-bot.edited", has_text=EDITED)
        await edited.wait_for()
        assert await edited.locator(".edited-mark").inner_text() == "đã sửa"
        assert await edited.locator("code").inner_text() == "80%"
        assert await edited.locator(".kb .kb-btn").all_inner_texts() == ["Làm mới", "Quay lại"]
        await page.wait_for_selector(f"#toast:has-text('{ANSWER}')")
        await page.click("#toast")  # dismissed, so that it stays out of the screenshot
        assert bot.presses == ["kpi"]
        assert await page.locator(".msg.from-bot", has_text=GREETING).count() == 0

        # ask for a photo: it is shown inline, loaded, with its caption
        await page.fill("#composer-input", "Gửi ảnh tiến độ")
        await page.click("#send-btn")
        photo = page.locator(".msg.from-bot.has-photo", has_text=CAPTION)
        await photo.wait_for()
        await page.wait_for_function(
            "() => { const i = document.querySelector('.msg.from-bot img.photo');"
            " return i && i.complete && i.naturalWidth === 240; }"
        )

        # send a file: it travels to the bot, which answers with a document of its own
        upload: FilePayload = {
            "name": REPORT,
            "mimeType": "text/csv",
            "buffer": b"don_vi,dat\nA,1\n",
        }
        await page.set_input_files("#file-input", files=[upload])
        await page.wait_for_selector(f".msg.mine .doc .doc-name:has-text('{REPORT}')")
        answer = page.locator(".msg.from-bot.has-doc", has_text=RESULT)
        await answer.wait_for()
        assert await answer.locator(".doc").get_attribute("download") == RESULT
        assert bot.documents == [(REPORT, b"don_vi,dat\nA,1\n")]
        assert errors == []

        await page.wait_for_function("() => document.getAnimations().length === 0")
        shot = artifacts_dir / "webchat.png"
        await page.screenshot(path=str(shot))
        print(f"web chat screenshot: {shot}")

        # at a phone's width: one pane at a time, with a way back to the list of chats
        await page.set_viewport_size({"width": 390, "height": 760})
        assert await page.locator("#sidebar").is_hidden()
        assert await page.locator(".msg.from-bot.has-doc").is_visible()
        await page.screenshot(path=str(artifacts_dir / "webchat-phone.png"))
        await page.click("#back-btn")
        await page.wait_for_selector("#chat-list .chat-item[data-type='private']")
        assert await page.locator("#conversation").is_hidden()
        await page.close()


HTML_CASES = [
    ("<b>đậm</b> <i>nghiêng</i>", "<b>đậm</b> <i>nghiêng</i>"),
    ("<strong>a</strong><em>b</em><ins>c</ins><del>d</del>", "<b>a</b><i>b</i><u>c</u><s>d</s>"),
    ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ('<img src=x onerror="alert(1)">', '&lt;img src=x onerror="alert(1)"&gt;'),
    ('<a href="javascript:alert(1)">x</a>', "<a>x</a>"),
    (
        '<a href="https://dichvucong.gov.vn">DVC</a>',
        '<a href="https://dichvucong.gov.vn" target="_blank" rel="noopener noreferrer">DVC</a>',
    ),
    ('<b onclick="alert(1)">x</b>', "<b>x</b>"),
    ("1 &lt; 2 &amp;&amp; 3 &gt; 2", "1 &lt; 2 &amp;&amp; 3 &gt; 2"),
    ("<pre><code>x = 1\ny = 2</code></pre>", "<pre><code>x = 1\ny = 2</code></pre>"),
    ("<b>không đóng", "<b>không đóng</b>"),
]


async def test_bot_html_is_rendered_safely(emulator: RunningEmulator, browser: Browser) -> None:
    page = await browser.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    await page.goto(f"{emulator.base_url}/")
    await page.wait_for_selector("#app[data-ready='1']")
    for source, expected in HTML_CASES:
        rendered = await page.evaluate("(s) => window.chitieuWebChat.html(s)", source)
        assert rendered == expected, source
    # Telegram entities, with UTF-16 offsets: the emoji counts for two
    text = "👍 Đạt 80% chỉ tiêu, xem https://example.org"
    entities = [
        {"type": "bold", "offset": 3, "length": 16},
        {"type": "italic", "offset": 7, "length": 3},
        {"type": "url", "offset": 25, "length": 19},
    ]
    rendered = await page.evaluate(
        "([t, e]) => window.chitieuWebChat.entities(t, e)", [text, entities]
    )
    assert rendered == (
        "👍 <b>Đạt <i>80%</i> chỉ tiêu</b>, xem "
        '<a href="https://example.org" target="_blank" rel="noopener noreferrer">'
        "https://example.org</a>"
    )
    # an invite deep link opens the chat with /start CODE, as Telegram does
    link = "https://t.me/ChiTieuBot?start=Ab3_x-9"
    rendered = await page.evaluate(
        "([t, e]) => window.chitieuWebChat.entities(t, e)",
        [link, [{"type": "url", "offset": 0, "length": len(link)}]],
    )
    assert rendered == f'<a href="#" class="cmd" data-command="/start Ab3_x-9">{link}</a>'
    await page.close()
