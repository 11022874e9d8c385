"""/roadmap end to end: a head sets a custom quarterly roadmap (typed the Vietnamese way, checked,
confirmed) and /status for the year so far shows each line on pace or behind with its year-end
projection; a member sees the roadmap but cannot change it; an English speaker reads English."""

from __future__ import annotations

from kpi.access import Role
from tests.e2e.bot.conftest import BotDriver
from tests.e2e.bot.test_status import LAN, MINH, fix_clock, pressed_answer, seed_health_department


async def set_custom_roadmap(bot: BotDriver) -> None:
    """Lan sets III.2 of Sở Y tế to 10 / 12,5 / 20 / 25\u00a0% by quarter, through the buttons."""
    overview = await bot.ask(LAN, "/roadmap", language_code="vi")
    assert overview["text"].startswith("🗺 Lộ trình năm 2022 của Sở Y tế")
    assert "III.2 Hồ sơ trực tuyến trên tổng số hồ sơ (chỉ tiêu 25\u00a0%)" in overview["text"]
    assert "đều theo tháng: quý 1/2022: 25\u00a0%" in overview["text"]

    line = await bot.press(LAN, overview, "III.2", expect="Lộ trình hiện tại")
    prompt = await bot.press(LAN, line, "Tự đặt theo quý…", expect="mốc đến hết quý 1/2022")
    assert "ví dụ 62,5" in prompt["text"]

    assert "phẩy" in (await bot.ask(LAN, "10.5"))["text"]  # a dot is not a decimal mark here
    assert "quý 2/2022" in (await bot.ask(LAN, "10"))["text"]
    assert "quý 3/2022" in (await bot.ask(LAN, "12,5\u00a0%"))["text"]
    refused = await bot.ask(LAN, "11")
    assert "không được thấp hơn mốc trước (12,5\u00a0%)" in refused["text"]
    assert "quý 4/2022" in (await bot.ask(LAN, "20"))["text"]
    assert "ít nhất chỉ tiêu năm (25\u00a0%)" in (await bot.ask(LAN, "24"))["text"]
    review = await bot.ask(LAN, "25")
    assert (
        "quý 1/2022: 10\u00a0% · quý 2/2022: 12,5\u00a0% · quý 3/2022: 20\u00a0% · quý 4/2022: 25\u00a0%"
        in (review["text"])
    )

    saved = await bot.press(LAN, review, "✅ Lưu", expect="Đã lưu")
    assert "tự đặt theo quý: quý 1/2022: 10\u00a0%" in saved["text"]


async def test_a_head_sets_a_quarterly_roadmap_and_the_year_so_far_shows_the_pace(
    bot: BotDriver,
) -> None:
    catalogue = fix_clock(bot)
    await bot.make_member(LAN, "so-y-te", name="Lan")
    await seed_health_department(bot, catalogue)

    before = (await bot.ask(LAN, "/status 2022", language_code="vi"))["text"]
    # five months ended, 12.27 % online: behind the even (flat) 25 %
    assert "↳ chậm tiến độ (mốc tháng 5/2022: 25\u00a0%) · dự kiến cuối năm: 12,3\u00a0%" in before

    await set_custom_roadmap(bot)

    after = (await bot.ask(LAN, "/status 2022", language_code="vi"))["text"]
    assert "↳ đúng tiến độ (mốc quý 1/2022: 10\u00a0%) · dự kiến cuối năm: 12,3\u00a0%" in after
    # V.1 of a department: 96 % against 99 %, every month
    assert "↳ chậm tiến độ (mốc tháng 5/2022: 99\u00a0%) · dự kiến cuối năm: 96,0\u00a0%" in after
    # the report due (6 months) keeps its usual lines, without pace
    assert "↳" not in (await bot.ask(LAN, "/status"))["text"]


async def test_even_quarterly_is_one_press_and_a_member_cannot_change_the_roadmap(
    bot: BotDriver,
) -> None:
    fix_clock(bot)
    await bot.make_member(LAN, "so-y-te", name="Lan")
    await bot.make_member(MINH, "so-y-te", Role.MEMBER, name="Minh")

    overview = await bot.ask(LAN, "/roadmap", language_code="vi")
    line = await bot.press(LAN, overview, "V.1 · sở, ban ngành", expect="Lộ trình hiện tại")
    saved = await bot.press(LAN, line, "Đều theo quý", expect="Đã lưu")
    assert "đều theo quý: quý 1/2022: 99\u00a0%" in saved["text"]

    seen = await bot.ask(MINH, "/roadmap", language_code="vi")
    assert "Chỉ thủ trưởng đơn vị (hoặc quản trị viên) mới được thay đổi lộ trình." in seen["text"]
    assert "đều theo quý: quý 1/2022: 99\u00a0%" in seen["text"]
    assert not seen.get("buttons")

    answer = await pressed_answer(bot, MINH, seen, "rm:m:so-y-te:V.1@department")
    assert "Chỉ thủ trưởng" in answer["text"]
    again = await bot.ask(MINH, "/roadmap")
    assert "đều theo quý: quý 1/2022: 99\u00a0%" in again["text"]  # unchanged


async def test_an_english_speaker_reads_roadmap_and_pace_in_english(bot: BotDriver) -> None:
    catalogue = fix_clock(bot)
    await bot.make_member(LAN, "so-y-te", name="Lan")
    await seed_health_department(bot, catalogue)

    overview = await bot.ask(LAN, "/roadmap", language_code="en")
    assert overview["text"].startswith("🗺 Roadmap 2022 of Department of Health")
    assert "even, monthly: Q1 2022: 25%" in overview["text"]
    line = await bot.press(LAN, overview, "III.2", expect="Roadmap now")
    prompt = await bot.press(LAN, line, "Custom, by quarter…", expect="Q1 2022")
    assert "for example 62.5" in prompt["text"]
    assert "comma" not in (await bot.ask(LAN, "10.5", language_code="en"))["text"]
    await bot.ask(LAN, "/cancel", language_code="en")

    text = (await bot.ask(LAN, "/status 2022", language_code="en"))["text"]
    assert "↳ behind pace (milestone May 2022: 25%) · year-end at this pace: 12.3%" in text
