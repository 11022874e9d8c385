"""Fixtures for the browser tests: Debian's Chromium driven by Playwright, and the emulator.

Chromium comes from the system (`apt-get install chromium`), never from `playwright install`:
the machines have no internet. Without it the tests skip, unless CHITIEU_REQUIRE_ALL=1 (CI),
where a missing browser is a failure.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.async_api import Browser

    from sandbox.server import RunningEmulator

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def _missing_reason() -> str | None:
    if importlib.util.find_spec("playwright") is None:
        return "Playwright not installed: pip install playwright"
    if not CHROMIUM.exists():
        return "Chromium not installed: apt-get install chromium"
    return None


def require_browser() -> None:
    """Skip when the browser is missing; fail instead when CI requires every test to run."""
    reason = _missing_reason()
    if reason is None:
        return
    if os.environ.get("CHITIEU_REQUIRE_ALL") == "1":
        pytest.fail(f"{reason} (CHITIEU_REQUIRE_ALL=1)")
    pytest.skip(reason)


@pytest.fixture
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    require_browser()
    # imported here, once it is known to be installed
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture
async def emulator() -> AsyncIterator[RunningEmulator]:
    from sandbox.server import running_emulator

    async with running_emulator() as emu:
        yield emu
