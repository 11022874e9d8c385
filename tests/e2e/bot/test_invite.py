"""/invite in chat and `chitieu invite` on the command line: the links they make work once for
the person who opens them; members, strangers and bad arguments are answered clearly."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from cli.main import main
from sandbox.testing import TEST_BOT_ID, TEST_TOKEN
from tests.e2e.bot.conftest import ADMIN, BotDriver

LAN = 4301
MINH = 4302
LINK = re.compile(r"https://t\.me/(?P<bot>\w+)\?start=(?P<code>[A-Za-z0-9_-]{16})")
BOT_USERNAME = f"bot{TEST_BOT_ID}_bot"  # the emulator's name for the test bot
EXPIRY = re.compile(r"hiệu lực đến \d{2}:\d{2} \d{2}/\d{2}/\d{4}")


def code_in(text: str) -> str:
    found = LINK.search(text)
    assert found is not None, text
    assert found["bot"] == BOT_USERNAME
    return found["code"]


async def test_an_administrator_invites_with_arguments_and_the_link_works_for_another_person(
    bot: BotDriver,
) -> None:
    answer = await bot.ask(ADMIN, "/invite Huyện Đăk Glei head 14", expect="t.me/")
    text = answer["text"]
    assert "Huyện Đăk Glei" in text
    assert "thủ trưởng đơn vị" in text
    assert EXPIRY.search(text), text
    assert text.splitlines()[-1].startswith("https://t.me/")

    joined = await bot.ask(LAN, f"/start {code_in(text)}", first_name="Lan")
    assert "Anh/chị đã tham gia Huyện Đăk Glei với vai trò thủ trưởng đơn vị" in joined["text"]
    used = await bot.ask(MINH, f"/start {code_in(text)}")
    assert "đã được sử dụng" in used["text"]


async def test_the_conversation_asks_for_the_unit_then_the_role_with_buttons(
    bot: BotDriver,
) -> None:
    question = await bot.ask(ADMIN, "/invite")
    assert "đơn vị nào" in question["text"]

    # two communes are named Đăk Long: a button for each, never a guess
    choice = await bot.ask(ADMIN, "Đăk Long", expect="chọn một đơn vị")
    labels = [row[0]["text"] for row in choice["buttons"]]
    assert len(labels) == 2
    assert "Xã Đăk Long (Huyện Đăk Glei)" in labels

    roles = await bot.press(ADMIN, choice, "Xã Đăk Long (Huyện Đăk Glei)", expect="vai trò")
    assert [row[0]["text"] for row in roles["buttons"]] == [
        "thủ trưởng đơn vị",
        "cán bộ được giao báo cáo",
        "người theo dõi",
    ]
    typed = await bot.ask(ADMIN, "cán bộ")
    assert "chọn vai trò bằng các nút" in typed["text"]

    link = await bot.press(ADMIN, roles, "cán bộ được giao báo cáo", expect="t.me/")
    assert "Xã Đăk Long (Huyện Đăk Glei)" in link["text"]
    joined = await bot.ask(LAN, f"/start {code_in(link['text'])}", first_name="Lan")
    assert "Xã Đăk Long với vai trò cán bộ được giao báo cáo" in joined["text"]


async def test_an_unknown_unit_is_asked_again_and_cancel_ends_the_conversation(
    bot: BotDriver,
) -> None:
    await bot.ask(ADMIN, "/invite")
    unknown = await bot.ask(ADMIN, "Hà Nội")
    assert "Không có đơn vị nào tên “Hà Nội”" in unknown["text"]
    roles = await bot.ask(ADMIN, "so-y-te", expect="vai trò")
    assert "Sở Y tế" in roles["text"]
    cancelled = await bot.ask(ADMIN, "/cancel")
    assert "Đã hủy" in cancelled["text"]


async def test_an_invite_lasts_from_one_to_ninety_days(bot: BotDriver) -> None:
    answer = await bot.ask(ADMIN, "/invite dak-glei head 120")
    assert "từ 1 đến 90 ngày, không thể là 120 ngày" in answer["text"]


async def test_an_invite_with_a_huge_duration_or_a_long_unit_name_gets_a_short_answer(
    bot: BotDriver,
) -> None:
    huge = await bot.ask(ADMIN, "/invite dak-glei head " + "9" * 4000, expect="từ 1 đến 90")
    assert len(huge["text"]) < 300
    await bot.ask(ADMIN, "/invite")
    unknown = await bot.ask(ADMIN, "Hà Nội " * 580, expect="Không có đơn vị nào tên")
    assert len(unknown["text"]) < 300
    await bot.ask(ADMIN, "/cancel", expect="Đã hủy")


async def test_a_member_or_a_stranger_cannot_invite(bot: BotDriver) -> None:
    await bot.make_member(MINH, "so-y-te")
    refused = await bot.ask(MINH, "/invite so-y-te head")
    assert "dành cho quản trị viên" in refused["text"]
    assert "t.me/" not in refused["text"]
    stranger = await bot.ask(LAN, "/invite so-y-te head")
    assert "chưa được cấp quyền" in stranger["text"]


async def test_the_command_line_prints_a_link_on_its_last_line_that_the_bot_accepts(
    bot: BotDriver,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)  # no developer .env
    monkeypatch.setenv("DATABASE_URL", str(bot.settings.database_url))
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TEST_TOKEN)
    monkeypatch.setenv("BOT_API_BASE_URL", bot.server.base_url)
    argv = ["invite", "--unit", "Sở Y tế", "--role", "viewer", "--expires", "30", "--lang", "en"]
    assert await asyncio.to_thread(main, argv) == 0  # getMe names the bot
    printed = capsys.readouterr().out.strip().splitlines()
    assert "Department of Health (so-y-te) as viewer" in printed[0]
    code = code_in(printed[-1])
    joined = await bot.ask(LAN, f"/start {code}", first_name="Lan")
    assert "Sở Y tế với vai trò người theo dõi" in joined["text"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--unit", "Đăk Long", "--role", "head"], "dak-glei-dak-long"),
        (["--unit", "Hà Nội", "--role", "head"], "không có đơn vị nào có tên hoặc mã “Hà Nội”"),
        (["--unit", "so-y-te", "--role", "boss"], "--role là head, member hoặc viewer"),
        (["--unit", "so-y-te", "--role", "head", "--expires", "91"], "từ 1 đến 90"),
        (["--unit", "so-y-te", "--role", "head", "--expires", "a week"], "từ 1 đến 90"),
    ],
)
def test_the_command_line_refuses_what_it_cannot_make_a_link_for(
    arguments: list[str],
    message: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.setenv("BOT_USERNAME", "ChiTieuBot")
    assert main(["invite", *arguments]) == 1
    captured = capsys.readouterr()
    assert message in captured.err
    assert "t.me/" not in captured.out


def test_the_command_line_names_the_bot_from_bot_username_without_a_token(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.setenv("BOT_USERNAME", "@ChiTieuBot")
    assert main(["invite", "--unit", "dak-blo", "--role", "member"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert re.fullmatch(r"https://t\.me/ChiTieuBot\?start=[A-Za-z0-9_-]{16}", last), last

    monkeypatch.delenv("BOT_USERNAME")
    assert main(["invite", "--unit", "dak-blo", "--role", "member"]) == 1
    assert "đặt BOT_USERNAME" in capsys.readouterr().err
