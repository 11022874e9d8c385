"""What people read, as a reviewer sees it: the web chat at a phone's width (390 px) and a
desktop's (1280 px), in a real headless Chromium, with a unit's status, an alert, the summary
of a submission and a chart. The screenshots are kept in tests/artifacts/webchat-*.png."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from cli import demo
from cli.sandbox_runner import SandboxOptions, running_sandbox
from services.alerts import sweep_alerts
from tests.browser.test_sandbox_browser import QUESTION, TIMEOUT_MS, bot_message, send

if TYPE_CHECKING:
    from playwright.async_api import Browser, Locator, Page

pytestmark = pytest.mark.browser

WIDTHS = {390: 844, 1280: 900}  # viewport width → height: a phone, a desktop
SHOTS = ("status", "alert", "summary", "chart")


async def choose_user(page: Page, user: demo.DemoUser) -> None:
    """On a fresh page: as the other browser tests choose a user, except that on a phone the
    list of chats is hidden while a chat is open."""
    await page.click(f".user-card[data-user-id='{user.telegram_id}']")
    active = "#chat-list .chat-item.active[data-type='private']"
    await page.wait_for_selector(active, state="attached")
    assert await page.inner_text("#me-name") == user.name


async def shoot(page: Page, message: Locator, path: Path) -> None:
    """The chat scrolled to `message`, once nothing moves, as a PNG."""
    await message.scroll_into_view_if_needed()
    await page.wait_for_function("() => document.getAnimations().length === 0")
    await page.screenshot(path=str(path))


async def summary_of_a_submission(page: Page) -> Locator:
    """The head of Sở Y tế reports two figures for June and skips the rest: the summary."""
    await send(page, "/submit")
    periods = bot_message(page, "chọn kỳ báo cáo")
    await periods.wait_for()
    await periods.locator(".kb-btn", has_text="Tháng 6/2022").click()
    await bot_message(page, "Câu 1/").wait_for()
    await send(page, "143")
    await bot_message(page, "Câu 2/").wait_for()
    await send(page, "132")
    question = bot_message(page, "Câu 3/")
    await question.wait_for()
    found = QUESTION.search(await question.inner_text())
    assert found is not None
    for number in range(3, int(found[2]) + 1):
        await bot_message(page, f"Câu {number}/").locator(".kb-btn", has_text="Bỏ qua").click()
        following = f"Câu {number + 1}/" if number < int(found[2]) else "Bấm Xác nhận"
        await bot_message(page, following).wait_for()
    summary = bot_message(page, "Bấm Xác nhận")
    assert "143" in await summary.inner_text()
    return summary


async def test_the_web_chat_is_captured_at_a_phones_and_a_desktops_width(
    browser: Browser, tmp_path: Path, artifacts_dir: Path
) -> None:
    options = SandboxOptions(port=0, database=tmp_path / "sandbox.db")
    async with running_sandbox(options) as sandbox:
        services = sandbox.application.services
        runner = sandbox.application.runner
        assert runner is not None
        await (
            sweep_alerts(  # the alerts of the demo figures (the start's sweep may have sent them)
                sandbox.database.unit_of_work,
                services.catalogues.for_year(demo.YEAR),
                services.clock(),
                runner.jobs.writer,
                services.settings.tzinfo,
            )
        )
        services.outbox_ready()
        for width, height in WIDTHS.items():
            errors: list[str] = []

            async def open_chat(
                user: demo.DemoUser,
                width: int = width,
                height: int = height,
                errors: list[str] = errors,
            ) -> Page:
                """A fresh page at this width, as `user` (a phone shows one chat at a time)."""
                page = await browser.new_page(
                    viewport={"width": width, "height": height}, locale="vi-VN"
                )
                page.set_default_timeout(TIMEOUT_MS)
                page.on("pageerror", lambda exc: errors.append(str(exc)))
                await page.goto(f"{sandbox.base_url}/")
                await page.wait_for_selector("#app[data-ready='1']")
                await choose_user(page, user)
                return page

            page = await open_chat(demo.MIDDLE_HEAD)
            alert = bot_message(page, "Huyện Đăk Glei · năm 2022")
            await alert.wait_for()
            await shoot(page, alert, artifacts_dir / f"webchat-alert-{width}.png")

            await send(page, "/status")
            status = bot_message(page, "V.1")
            await status.wait_for()
            await shoot(page, status, artifacts_dir / f"webchat-status-{width}.png")

            await send(page, "/chart")
            menu = page.locator(".msg.from-bot", has=page.locator(".kb-btn", has_text="📈")).last
            await menu.wait_for()
            await menu.locator(".kb-btn", has_text="V.1 (cấp huyện)").click()
            picture = page.locator(".msg.from-bot img.photo").last
            await picture.wait_for()
            await page.wait_for_function(
                "() => { const i = [...document.querySelectorAll('img.photo')].pop();"
                " return i && i.complete && i.naturalWidth >= 800; }"
            )
            await shoot(page, picture, artifacts_dir / f"webchat-chart-{width}.png")
            await page.close()

            page = await open_chat(demo.DEPARTMENT_HEAD)
            summary = await summary_of_a_submission(page)
            await shoot(page, summary, artifacts_dir / f"webchat-summary-{width}.png")
            await summary.locator(".kb-btn", has_text="Hủy").click()
            await bot_message(page, "Đã hủy").wait_for()
            await page.close()
            assert errors == []
    for width in WIDTHS:
        for name in SHOTS:
            shot = artifacts_dir / f"webchat-{name}-{width}.png"
            assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", shot
            print(f"screenshot: {shot}")
