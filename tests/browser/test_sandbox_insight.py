"""Insight in the sandbox, in a real headless Chromium: the head of Đăk Glei opens /chart,
presses an indicator and gets its trend as a picture; /export sends the quarterly workbook as
a document. A screenshot is kept in tests/artifacts/sandbox-insight.png."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from cli import demo
from cli.sandbox_runner import SandboxOptions, running_sandbox
from tests.browser.test_sandbox_browser import TIMEOUT_MS, bot_message, choose_user, send

if TYPE_CHECKING:
    from playwright.async_api import Browser

pytestmark = pytest.mark.browser


async def test_a_district_head_gets_a_chart_and_the_workbook_in_the_web_chat(
    browser: Browser, tmp_path: Path, artifacts_dir: Path
) -> None:
    options = SandboxOptions(port=0, database=tmp_path / "sandbox.db")
    async with running_sandbox(options) as sandbox:
        page = await browser.new_page(viewport={"width": 1100, "height": 1000}, locale="vi-VN")
        page.set_default_timeout(TIMEOUT_MS)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        await page.goto(f"{sandbox.base_url}/")
        await page.wait_for_selector("#app[data-ready='1']")
        await choose_user(page, demo.MIDDLE_HEAD)

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
        assert "Đăk Glei" in (await picture.get_attribute("alt") or "")

        await send(page, "/export")
        workbook = page.locator(".msg.from-bot a.doc", has_text=".xlsx").last
        await workbook.wait_for()
        assert "dak-glei" in await workbook.inner_text()
        assert await bot_message(page, "Quý").count() > 0
        assert errors == []

        await page.wait_for_function("() => document.getAnimations().length === 0")
        shot = artifacts_dir / "sandbox-insight.png"
        await page.screenshot(path=str(shot))
        print(f"sandbox insight screenshot: {shot}")
        await page.close()
