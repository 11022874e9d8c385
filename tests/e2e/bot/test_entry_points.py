"""`python -m bot` as a process against the emulator, by polling and by webhook: it answers,
logs one line per update without what people typed, never the token; and the settings refuse
to start unsafely."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

import aiohttp
import pytest
from pydantic import ValidationError
from telegram import Bot
from telegram.ext._utils import webhookhandler

from bot.settings import Settings
from bot.webhook import tolerate_malformed_updates
from cli.main import main
from sandbox import EmulatorClient, RunningEmulator
from sandbox.testing import TEST_TOKEN, free_port
from storage import Database

LAN = 4201
CODE = "AAAAAAAAAAAAAAAA"  # an invite code shape: never to be logged
STARTUP = 60.0  # the process imports, migrates a new database and loads the catalogue


def _environment(server: RunningEmulator, tmp_path: Path) -> dict[str, str]:
    keep = {"PATH", "HOME", "LANG", "SYSTEMROOT", "TMPDIR"}
    environment = {key: value for key, value in os.environ.items() if key in keep}
    environment.update(
        TELEGRAM_BOT_TOKEN=TEST_TOKEN,
        BOT_API_BASE_URL=server.base_url,
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        ADMIN_TELEGRAM_IDS="9001, 9002",
        PTB_TIMEDELTA="1",
    )
    return environment


async def _run_bot(server: RunningEmulator, tmp_path: Path, **extra: str) -> str:
    """Start the bot as a process, talk to it, stop it with SIGINT; what it logged."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=tmp_path,  # no .env there
        env={**_environment(server, tmp_path), **extra},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        async with EmulatorClient(server.base_url) as control:
            await control.set_bot(TEST_TOKEN)
            await control.send(LAN, f"/start {CODE}", language_code="en")
            answer = await control.wait_for_text(LAN, "not valid", timeout=STARTUP)
            assert "Provincial People's Committee Office" in answer["text"]
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
        output, _ = await asyncio.wait_for(process.communicate(), timeout=30)
    return output.decode()


async def test_the_bot_runs_by_long_polling_and_logs_without_token_or_text(
    server: RunningEmulator, tmp_path: Path
) -> None:
    log = await _run_bot(server, tmp_path)
    assert "receiving updates by long polling" in log
    assert f"message /start user={LAN} chat={LAN}" in log
    assert TEST_TOKEN not in log
    assert TEST_TOKEN.split(":")[1] not in log
    assert CODE not in log


async def test_the_bot_runs_by_webhook_with_its_secret(
    server: RunningEmulator, tmp_path: Path
) -> None:
    port = free_port()
    secret = "webhook_Secret-42"
    log = await _run_bot(
        server,
        tmp_path,
        WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram",
        WEBHOOK_SECRET=secret,
        WEBHOOK_PORT=str(port),
    )
    assert "receiving updates by webhook" in log
    assert f"message /start user={LAN}" in log
    assert TEST_TOKEN not in log
    assert secret not in log
    assert server.emulator.bots[int(TEST_TOKEN.split(":")[0])].secret_token == secret


def test_a_webhook_without_a_secret_is_refused() -> None:
    with pytest.raises(ValidationError, match="WEBHOOK_SECRET"):
        Settings(_env_file=None, webhook_url="https://bot.example.org/hook")


def test_settings_read_administrators_as_a_comma_separated_list(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ADMIN_TELEGRAM_IDS", "101, 202,303")
    monkeypatch.setenv("TIMEZONE", "Asia/Ho_Chi_Minh")
    assert Settings(_env_file=None).admin_telegram_ids == [101, 202, 303]
    monkeypatch.setenv("TIMEZONE", "Asia/Hanoi_City")
    with pytest.raises(ValidationError, match="unknown time zone"):
        Settings(_env_file=None)


def test_the_token_is_never_shown_by_the_settings() -> None:
    settings = Settings(_env_file=None, telegram_bot_token=TEST_TOKEN)
    assert TEST_TOKEN not in repr(settings)
    assert TEST_TOKEN not in str(settings.model_dump())


def test_run_without_a_token_says_what_to_do(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    assert main(["run"]) == 1
    assert "TELEGRAM_BOT_TOKEN is not set" in capsys.readouterr().err


def test_admin_add_makes_an_administrator_in_the_configured_database(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text(f"DATABASE_URL={url}\n", encoding="utf-8")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert main(["admin", "add", "777", "--name", "Chị Hoa"]) == 0
    assert "777 (Chị Hoa) là quản trị viên" in capsys.readouterr().out

    async def stored_admins() -> list[tuple[int, str]]:
        database = Database.connect(url)
        try:
            async with database.unit_of_work() as uow:
                return [(p.telegram_id, p.name) for p in await uow.people.admins()]
        finally:
            await database.dispose()

    assert asyncio.run(stored_admins()) == [(777, "Chị Hoa")]


async def test_the_webhook_answers_a_malformed_body_with_200_so_telegram_does_not_retry_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    tolerate_malformed_updates()
    queue: asyncio.Queue[object] = asyncio.Queue()
    secret = "webhook_Secret-42"
    app = webhookhandler.WebhookAppClass("/hook", Bot(TEST_TOKEN), queue, secret)
    port = free_port()
    server = webhookhandler.WebhookServer("127.0.0.1", port, app, None)
    ready = asyncio.Event()
    serving = asyncio.create_task(server.serve_forever(ready))
    await ready.wait()
    url = f"http://127.0.0.1:{port}/hook"
    headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret}
    update = {
        "update_id": 7,
        "message": {"message_id": 1, "date": 1, "chat": {"id": 1, "type": "private"}},
    }
    try:
        async with aiohttp.ClientSession() as http:

            async def post(body: bytes, sent: dict[str, str] = headers) -> int:
                async with http.post(url, data=body, headers=sent) as answer:
                    return answer.status

            statuses = [
                await post(b'{"update_id": 1, "message": {'),
                await post(b"\xff\xfe not utf-8"),
                await post(b"[1, 2, 3]"),
                await post(b'{"update_id": "x", "message": 5}'),
                await post(json.dumps(update).encode()),
                await post(b"{}", {**headers, "X-Telegram-Bot-Api-Secret-Token": "wrong"}),
            ]
    finally:
        await server.shutdown()
        await serving
    assert statuses == [200, 200, 200, 200, 200, 403]
    assert queue.qsize() == 1
    assert "answered 200 and dropped" in caplog.text
    assert "message: {" not in caplog.text
