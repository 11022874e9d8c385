"""The sandbox: the emulator, its web chat and the real bot in one process, with the catalogue,
the 2022 demo figures and the demo users; in-process (run_sandbox) and as `chitieu sandbox`."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from fractions import Fraction
from pathlib import Path

import httpx

from cli import demo
from cli.sandbox_runner import BOT_USERNAME, SandboxOptions, run_sandbox
from sandbox import EmulatorClient
from sandbox.testing import free_port
from storage import Database
from tests.conftest import CATALOGS

STARTUP = 90.0  # a fresh database, the catalogue and about a hundred demo submissions
WAIT = 10.0
READY = re.compile(r"Sandbox ready: (?P<url>http://127\.0\.0\.1:\d+)/")


def v1_rate(unit: str) -> Fraction:
    """V.1 over the demo's months: dossiers resolved early or on time / resolved."""
    profile = next(p for p in demo.PROFILES if p.unit == unit)
    months = [demo.month_values(profile, m) for m in demo.MONTHS]
    good = sum(v["dossiers_resolved_early"] + v["dossiers_resolved_on_time"] for v in months)
    return Fraction(good, sum(v["dossiers_resolved"] for v in months))


def test_the_demo_figures_show_units_met_below_target_and_below_the_floor() -> None:
    assert v1_rate("so-y-te") >= Fraction(99, 100)  # a department that meets its 99 %
    assert Fraction(95, 100) <= v1_rate("so-tai-nguyen-va-moi-truong") < Fraction(99, 100)
    assert Fraction(95, 100) <= v1_rate("dak-glei") < Fraction(97, 100)  # the district's 97 %
    assert v1_rate("dak-blo") < Fraction(95, 100)  # under the floor
    assert v1_rate("dak-pek") == 1  # a commune at its 100 %
    assert {p.unit for p in demo.LOCALS} >= {"dak-blo", "dak-man", "xop"}
    assert len(demo.LOCALS) == 12


async def test_the_sandbox_serves_the_web_chat_and_the_bot_to_the_demo_users(
    tmp_path: Path,
) -> None:
    said: list[str] = []
    ready, stop = asyncio.Event(), asyncio.Event()

    def say(line: str) -> None:
        said.append(line)
        if READY.fullmatch(line):
            ready.set()

    database = tmp_path / "sandbox.db"
    options = SandboxOptions(port=0, database=database)
    running = asyncio.create_task(run_sandbox(options, say=say, stop=stop))
    try:
        await asyncio.wait_for(ready.wait(), STARTUP)
        found = READY.fullmatch(said[-1])
        assert found is not None, said
        base_url = found["url"]
        invite_line = next(line for line in said if line.startswith("Invite for"))
        assert f"https://t.me/{BOT_USERNAME}?start=" in invite_line
        code = invite_line.rsplit("start=", 1)[1]

        async with httpx.AsyncClient() as http:
            page = await http.get(f"{base_url}/")
        assert page.status_code == 200
        assert "<html" in page.text.lower()

        async with EmulatorClient(base_url) as control:
            users = {u["user_id"]: u for u in await control.users()}
            assert users[9001]["label"] == "Quản trị viên (Văn phòng UBND tỉnh)"
            assert users[9002]["label"] == "Trưởng Sở Y tế"
            assert users[9003]["label"] == "Chủ tịch UBND huyện Đăk Glei"
            assert users[9004]["label"] == "Chủ tịch UBND xã Đăk Blô"
            assert f"/start {code}" in users[demo.STRANGER.telegram_id]["label"]

            # the department head is welcomed as the head of Sở Y tế
            await control.send(9002, "/start")
            welcome = await control.wait_for_text(9002, "Xin chào", timeout=WAIT)
            assert "Lê Văn Hùng" in welcome["text"]
            assert "Sở Y tế" in welcome["text"]
            assert "thủ trưởng đơn vị" in welcome["text"]

            # the stranger joins with the invite made for them
            await control.send(demo.STRANGER.telegram_id, f"/start {code}")
            joined = await control.wait_for_text(
                demo.STRANGER.telegram_id, "đã tham gia", timeout=WAIT
            )
            assert "Sở Y tế" in joined["text"]

            # the administrator's invites carry the sandbox bot's name
            await control.send(9001, "/invite dak-blo member 3")
            link = await control.wait_for_text(9001, "t.me/", timeout=WAIT)
            assert f"https://t.me/{BOT_USERNAME}?start=" in link["text"]
            assert "Xã Đăk Blô" in link["text"]
            assert "13/06/2022" in link["text"]  # the bot lives on 10/06/2022
    finally:
        stop.set()
        await asyncio.wait_for(running, 30)
    assert said[-1] == "Stopping the sandbox…"

    # the demo figures were saved as sandbox submissions, for five months of 2022
    store = Database.connect(f"sqlite+aiosqlite:///{database}")
    try:
        async with store.unit_of_work() as uow:
            figures = await uow.figures.current_figures(2022)
    finally:
        await store.dispose()
    assert {f.period.key for f in figures} == {f"2022-0{m}" for m in demo.MONTHS}
    assert {f.unit for f in figures} == {p.unit for p in demo.PROFILES}


async def chitieu(cwd: Path, *arguments: str) -> asyncio.subprocess.Process:
    """`chitieu ARGUMENTS` as a process in `cwd` (no .env there), with no token in its
    environment."""
    keep = {"PATH", "HOME", "LANG", "SYSTEMROOT", "TMPDIR"}
    environment = {key: value for key, value in os.environ.items() if key in keep}
    environment["PTB_TIMEDELTA"] = "1"
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "cli",
        *arguments,
        cwd=cwd,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def until_ready(process: asyncio.subprocess.Process) -> list[str]:
    """The lines the process prints, up to its `Sandbox ready` line."""
    assert process.stdout is not None
    printed: list[str] = []
    async with asyncio.timeout(STARTUP):
        while not printed or not printed[-1].startswith("Sandbox ready"):
            line = await process.stdout.readline()
            assert line, f"the sandbox ended early: {printed}"
            printed.append(line.decode().rstrip("\n"))
    return printed


async def interrupted(process: asyncio.subprocess.Process) -> tuple[str, str]:
    """Ctrl-C, then what it printed on stdout and stderr until it ended."""
    if process.returncode is None:
        process.send_signal(signal.SIGINT)
    rest, errors = await asyncio.wait_for(process.communicate(), 30)
    return rest.decode(), errors.decode()


async def test_make_runs_command_without_a_token_starts_the_sandbox(tmp_path: Path) -> None:
    """`make run` runs `chitieu run-or-sandbox`: with no TELEGRAM_BOT_TOKEN (none in the
    environment, no .env) it says so and brings up the sandbox."""
    port = free_port()
    process = await chitieu(tmp_path, "run-or-sandbox", "--port", str(port))
    try:
        printed = await until_ready(process)
        assert printed[-1] == f"Sandbox ready: http://127.0.0.1:{port}/"
        async with httpx.AsyncClient() as client:
            page = await client.get(f"http://127.0.0.1:{port}/")
        assert page.status_code == 200
        assert "Chỉ tiêu" in page.text
    finally:
        _rest, errors = await interrupted(process)
    assert process.returncode == 0, errors[-2000:]
    assert "No TELEGRAM_BOT_TOKEN is configured: starting the sandbox." in errors


async def test_chitieu_sandbox_prints_its_ready_line_and_stops_on_sigint(tmp_path: Path) -> None:
    port = free_port()
    # var/sandbox.db goes to tmp_path
    process = await chitieu(tmp_path, "sandbox", "--port", str(port), "--today", "2022-03-08")
    printed: list[str] = []
    try:
        printed = await until_ready(process)
        assert printed[-1] == f"Sandbox ready: http://127.0.0.1:{port}/"
        assert (tmp_path / "var" / "sandbox.db").is_file()
        async with EmulatorClient(f"http://127.0.0.1:{port}") as control:
            await control.send(9004, "/start")
            welcome = await control.wait_for_text(9004, "Xin chào", timeout=WAIT)
            assert "Xã Đăk Blô" in welcome["text"]
    finally:
        rest, errors = await interrupted(process)
    assert process.returncode == 0, errors[-2000:]
    assert "Stopping the sandbox…" in rest
    # on 08/03/2022 only January's and February's figures are in (each sent on the 16th)
    assert any("Demo figures: 38 submissions" in line for line in printed), printed
    assert "Traceback" not in errors


async def test_chitieu_sandbox_runs_on_the_two_tier_example_catalogue(tmp_path: Path) -> None:
    """`chitieu sandbox --catalog PATH`: the demo moved onto a two-tier province of 2026."""
    catalog = CATALOGS / "example-two-tier-2026.yaml"
    port = free_port()
    process = await chitieu(tmp_path, "sandbox", "--port", str(port), "--catalog", str(catalog))
    printed: list[str] = []
    try:
        printed = await until_ready(process)
        assert printed[-1] == f"Sandbox ready: http://127.0.0.1:{port}/"
        async with EmulatorClient(f"http://127.0.0.1:{port}") as control:
            users = {u["user_id"]: u for u in await control.users()}
            assert 9003 not in users  # no district level: no district head
            await control.send(9004, "/start")
            welcome = await control.wait_for_text(9004, "Xin chào", timeout=WAIT)
            assert "Phường Nam Hà" in welcome["text"]  # the second commune-level unit
            await control.send(9001, "/report")
            report = await control.wait_for_text(9001, "Cấp xã", timeout=WAIT)
            assert "cấp huyện" not in report["text"].lower()
    finally:
        _rest, errors = await interrupted(process)
    assert process.returncode == 0, errors[-2000:]
    assert any("submissions for 2026" in line for line in printed), printed
    assert "Traceback" not in errors
