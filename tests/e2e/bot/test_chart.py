"""/chart end to end on the sandbox's demo figures: pictures sent as photos with a caption, the
chart button of a status view, rankings of the units below, forged buttons refused, English."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from cli.demo import load_demo_figures
from tests.e2e.bot.conftest import BotDriver
from tests.e2e.bot.test_status import pressed_answer

MINH = 4402  # head of dak-glei
LAN = 4401  # head of so-y-te
NOW = datetime(2022, 6, 10, 2, 0, tzinfo=UTC)  # the sandbox's day: January to May reported
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


async def demo(bot: BotDriver) -> None:
    """The bot's clock on the sandbox's day, and the sandbox's demo figures."""
    assert bot.application is not None
    services = bot.application.services
    services.clock = lambda: NOW
    catalogue = services.catalogues.newest
    await load_demo_figures(bot.database.unit_of_work, catalogue, date(2022, 6, 10))


async def assert_photo(bot: BotDriver, message: dict[str, Any]) -> None:
    """The message is a photo whose file is a PNG about 1080 pixels wide."""
    photo = message["photo"]
    assert photo is not None, message
    assert photo["width"] == 1080
    assert photo["height"] >= 500
    data = await bot.control.download(photo["url"])
    assert data.startswith(PNG_SIGNATURE)


async def test_a_district_head_gets_the_trend_of_an_indicator_as_a_photo(bot: BotDriver) -> None:
    await demo(bot)
    await bot.make_member(MINH, "dak-glei", name="Minh")

    menu = await bot.ask(MINH, "/chart", expect="Biểu đồ của", language_code="vi")
    assert "Huyện Đăk Glei" in menu["text"]
    photo = await bot.press(MINH, menu, "📈 V.1 (cấp huyện)", expect="Lũy kế đến T5")
    await assert_photo(bot, photo)
    caption = photo["caption"]
    assert "V.1 Hồ sơ giải quyết trước hạn, đúng hạn (cấp huyện)" in caption
    assert "Lũy kế đến T5: 95,89\u00a0%" in caption
    assert "95,89\u00a0% (chỉ tiêu 97\u00a0%, mức sàn 95\u00a0%)" in caption

    # the other level's line and the ranking are buttons under the picture
    ranking = await bot.press(
        MINH, photo, "🏆 Xếp hạng đơn vị trực thuộc", expect="đơn vị đạt chỉ tiêu"
    )
    await assert_photo(bot, ranking)
    assert "9/12 đơn vị đạt chỉ tiêu" in ranking["caption"]
    assert "6 tháng đầu năm 2022" in ranking["caption"]
    communes = await bot.press(
        MINH, photo, "📈 V.1 (cấp xã)", expect="Lũy kế đến T5: 98,97\u00a0%"
    )
    await assert_photo(bot, communes)


async def test_the_chart_choice_switches_to_rankings_of_the_units_below(bot: BotDriver) -> None:
    await demo(bot)
    await bot.make_member(MINH, "dak-glei", name="Minh")

    menu = await bot.ask(MINH, "/chart", expect="Biểu đồ của", language_code="vi")
    ranks = await bot.press(MINH, menu, "🏆 Xếp hạng đơn vị trực thuộc ▸", expect="xếp hạng")
    photo = await bot.press(MINH, ranks, "🏆 III.2", expect="III.2")
    await assert_photo(bot, photo)
    assert "Các đơn vị trực thuộc Huyện Đăk Glei" in photo["caption"]


async def test_the_status_view_of_an_indicator_has_a_chart_button(bot: BotDriver) -> None:
    await demo(bot)
    await bot.make_member(MINH, "dak-glei", name="Minh")

    status = await bot.ask(MINH, "/status", expect="📊", language_code="vi")
    detail = await bot.press(MINH, status, "⚠️ III.2", expect="Tử số")
    photo = await bot.press(MINH, detail, "📈 Biểu đồ", expect="Lũy kế đến T5")
    await assert_photo(bot, photo)
    assert "III.2 Hồ sơ trực tuyến trên tổng số hồ sơ" in photo["caption"]
    assert "18,68\u00a0%" in photo["caption"]


async def test_a_forged_chart_button_for_another_unit_is_refused(bot: BotDriver) -> None:
    await demo(bot)
    await bot.make_member(MINH, "dak-glei", name="Minh")
    menu = await bot.ask(MINH, "/chart", expect="Biểu đồ của", language_code="vi")
    since = bot.cursor

    for data in ("ct:so-y-te:2022:III.2", "cr:kon-tum:2022-H1:V.1", "cm:so-y-te:2022-H1:t"):
        answer = await pressed_answer(bot, MINH, menu, data)
        assert answer is not None
        assert answer["show_alert"] is True
        assert "không thuộc phạm vi" in answer["text"]
    listed = await bot.control.messages(menu["chat_id"], since)
    assert not [m for m in listed["messages"] if m["photo"] is not None]


async def test_an_english_speaker_gets_an_english_caption(bot: BotDriver) -> None:
    await demo(bot)
    await bot.make_member(LAN, "so-y-te", name="Lan")

    menu = await bot.ask(LAN, "/chart", expect="Charts of", language_code="en")
    assert "choose an indicator" in menu["text"]
    photo = await bot.press(LAN, menu, "📈 III.2", expect="Year to date (May)")
    await assert_photo(bot, photo)
    assert "III.2" in photo["caption"]
    assert "Year-end at the current pace: " in photo["caption"]
