"""The sandbox in a real headless Chromium: the demo users listed with their roles; the new
user joins with the invite made for them; the head of Sở Y tế reads the unit's status and
reports two figures with the form's buttons and typed answers, confirms, and sees "Đã lưu".
A screenshot of that conversation is kept in tests/artifacts/sandbox.png."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from cli import demo
from cli.sandbox_runner import SandboxOptions, running_sandbox

if TYPE_CHECKING:
    from playwright.async_api import Browser, Locator, Page

pytestmark = pytest.mark.browser

TIMEOUT_MS = 15_000
QUESTION = re.compile(r"Câu (\d+)/(\d+)")


async def send(page: Page, text: str) -> None:
    await page.fill("#composer-input", text)
    await page.press("#composer-input", "Enter")
    await page.locator(".msg.mine .msg-text", has_text=text).last.wait_for()


def bot_message(page: Page, text: str) -> Locator:
    """The newest bot message containing `text`."""
    return page.locator(".msg.from-bot", has_text=text).last


async def choose_user(page: Page, user: demo.DemoUser) -> None:
    if await page.locator("#app[data-view='picker']").count() == 0:
        await page.click("[data-action='switch-user']")
    await page.click(f".user-card[data-user-id='{user.telegram_id}']")
    await page.wait_for_selector("#chat-list .chat-item.active[data-type='private']")
    assert await page.inner_text("#me-name") == user.name


async def test_the_sandbox_onboards_a_new_user_and_takes_a_heads_figures(
    browser: Browser, tmp_path: Path, artifacts_dir: Path
) -> None:
    options = SandboxOptions(port=0, database=tmp_path / "sandbox.db")
    async with running_sandbox(options) as sandbox:
        page = await browser.new_page(viewport={"width": 1100, "height": 900}, locale="vi-VN")
        page.set_default_timeout(TIMEOUT_MS)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        await page.goto(f"{sandbox.base_url}/")
        await page.wait_for_selector("#app[data-ready='1']")

        # the demo users, each with who they are
        cards = page.locator(".user-card")
        assert await cards.count() == len(demo.USERS)
        roles = await page.locator(".user-card .role").all_inner_texts()
        assert "Trưởng Sở Y tế" in roles
        assert "Chủ tịch UBND xã Đăk Blô" in roles
        assert any(f"/start {sandbox.invite.code}" in role for role in roles)

        # the new user opens the invite (its /start code) and joins Sở Y tế
        await choose_user(page, demo.STRANGER)
        await send(page, f"/start {sandbox.invite.code}")
        joined = bot_message(page, "đã tham gia")
        await joined.wait_for()
        assert "Sở Y tế" in await joined.inner_text()

        # the head of Sở Y tế: the unit's status, then two figures for June
        await choose_user(page, demo.DEPARTMENT_HEAD)
        await send(page, "/status")
        status = bot_message(page, "V.1")
        await status.wait_for()
        assert "Sở Y tế" in await status.inner_text()

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
        for number in range(3, int(found[2]) + 1):  # the other questions are skipped
            await bot_message(page, f"Câu {number}/").locator(".kb-btn", has_text="Bỏ qua").click()
            following = f"Câu {number + 1}/" if number < int(found[2]) else "Bấm Xác nhận"
            await bot_message(page, following).wait_for()
        summary = bot_message(page, "Bấm Xác nhận")
        assert "143" in await summary.inner_text()
        await summary.locator(".kb-btn", has_text="Xác nhận").click()
        saved = bot_message(page, "Đã lưu")
        await saved.wait_for()
        assert "Sở Y tế" in await saved.inner_text()
        assert errors == []

        await page.wait_for_function("() => document.getAnimations().length === 0")
        shot = artifacts_dir / "sandbox.png"
        await page.screenshot(path=str(shot))
        print(f"sandbox screenshot: {shot}")
        await page.close()
