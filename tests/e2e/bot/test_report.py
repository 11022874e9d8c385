"""/report end to end: completeness and timeliness by level, the units not reported, the ranking
with its score preview (paged), other report periods, in Vietnamese and English; a district head
limited to their district, a commune head and a stranger refused, forged buttons refused."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from cli.demo import LOCALS as COMMUNES
from cli.demo import MIDDLE as DISTRICT
from cli.demo import month_values
from kpi.catalogue import Catalogue
from kpi.periods import Period
from kpi.revisions import Author, Source
from services.figures import submit_figures
from tests.e2e.bot.conftest import ADMIN, BotDriver
from tests.e2e.bot.test_status import fix_clock, page_until, pressed_answer

MINH = 4402  # head of dak-glei
HOA = 4403  # head of dak-blo, a commune
STRANGER = 4404
KATE = 4405  # an English-speaking administrator
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


def labels(message: dict[str, Any]) -> list[str]:
    return [b["text"] for row in message["buttons"] for b in row]


async def seed_q1(bot: BotDriver, catalogue: Catalogue) -> None:
    """Huyện Đăk Glei reports the first quarter on 19/03 (its deadline); Xã Đăk Blô on 17/03,
    a day after its deadline, and under the 95\u00a0% floor on V.1."""
    profiles = {p.unit: p for p in (*COMMUNES, DISTRICT)}

    def sent(day: int) -> Callable[[int], datetime]:
        return lambda month: datetime(2022, month, day if month == 3 else 5, 9, tzinfo=ZONE)

    for unit, when in (("dak-glei", sent(19)), ("dak-blo", sent(17))):
        asked = {e.code for e in catalogue.elements_for(catalogue.units.get(unit))}
        for month in (1, 2, 3):
            values = {
                code: value
                for code, value in month_values(profiles[unit], month).items()
                if code in asked
            }
            await submit_figures(
                bot.database.unit_of_work,
                catalogue,
                unit,
                Period.month(2022, month),
                values,
                Author("test", "Test"),
                Source.CHAT,
                now=when(month).astimezone(UTC),
            )


async def test_an_administrator_sees_who_reported_and_by_the_deadline_by_level(
    bot: BotDriver,
) -> None:
    catalogue = fix_clock(
        bot
    )  # 10/06/2022: the first quarter is the last report whose period ended
    await seed_q1(bot, catalogue)

    answer = await bot.ask(ADMIN, "/report")

    text = answer["text"]
    assert text.startswith("📋 Tình hình báo cáo của Tỉnh Kon Tum: quý 1/2022\n")
    assert "Quý 1/2022 (15/12/2021 – 14/03/2022)" in text
    assert "Tính đến ngày 10/06/2022." in text
    assert (
        "• Cấp huyện (hạn 19/03/2022): đã báo cáo 1/10 (10,00\u00a0%) · đúng hạn 1/10 (10,00\u00a0%)"
        in text
    )
    assert (
        "• Cấp xã (hạn 16/03/2022): đã báo cáo 1/102 (0,98\u00a0%) · đúng hạn 0/102 (0,00\u00a0%)"
        in text
    )
    assert (
        "Chưa báo cáo (131; ⏰ đã quá hạn):\n• Tỉnh Kon Tum ⏰\n• Văn phòng UBND tỉnh ⏰" in text
    )
    assert "… và 101 đơn vị khác" in text
    assert (
        "Báo cáo quá hạn (1):\n• Xã Đăk Blô (Huyện Đăk Glei), đủ số liệu ngày 17/03/2022" in text
    )
    assert len(text) <= 4096
    # every unit not reported, page by page, then back to the report
    first = await bot.press(
        ADMIN, answer, "Tất cả đơn vị chưa báo cáo (131) ▸", expect="(trang 1/5;"
    )
    assert first["text"].startswith("Chưa báo cáo, Tỉnh Kon Tum, quý 1/2022 (trang 1/5;")
    last = await page_until(bot, ADMIN, first, "(trang 5/5;")
    assert last["text"].count("\n• ") == 131 - 4 * 30
    back = await bot.press(
        ADMIN, last, "◀ Quay lại tình hình báo cáo", expect="📋 Tình hình báo cáo"
    )
    assert back["text"] == text


async def test_the_ranking_opens_from_the_report_pages_and_goes_back(bot: BotDriver) -> None:
    catalogue = fix_clock(bot)
    await seed_q1(bot, catalogue)
    report = await bot.ask(ADMIN, "/report 2022-Q1")

    ranking = await bot.press(ADMIN, report, "🏆 Xếp hạng cấp xã", expect="🏆 Xếp hạng cấp xã")

    text = ranking["text"]
    assert ranking["message_id"] == report["message_id"]  # edited in place
    assert text.startswith("🏆 Xếp hạng cấp xã: Tỉnh Kon Tum, quý 1/2022 (trang 1/11)")
    assert "1. Xã Đăk Blô (Huyện Đăk Glei): đạt " in text
    assert "🔴 0 điểm ở chỉ tiêu V.1 (cấp xã)" in text
    assert "\n–. Phường Duy Tân (Thành phố Kon Tum): chưa có số liệu\n" in text  # unranked
    assert "dưới mức sàn thì 0 điểm" in text
    last = await page_until(bot, ADMIN, ranking, "(trang 11/11)")
    assert "Trang sau ▶" not in labels(last)
    back = await bot.press(
        ADMIN, last, "◀ Quay lại tình hình báo cáo", expect="📋 Tình hình báo cáo"
    )
    assert back["text"] == report["text"]


async def test_another_report_period_is_a_button_away(bot: BotDriver) -> None:
    catalogue = fix_clock(bot)
    await seed_q1(bot, catalogue)
    report = await bot.ask(ADMIN, "/report")

    half = await bot.press(ADMIN, report, "6 tháng đầu năm 2022", expect="6 tháng đầu năm 2022")

    assert half["text"].startswith("📋 Tình hình báo cáo của Tỉnh Kon Tum: 6 tháng")
    assert "· chưa đến hạn" in half["text"]  # due from 16/06
    assert "Chưa báo cáo (133; ⏰ đã quá hạn):\n• Tỉnh Kon Tum\n" in half["text"]


async def test_an_english_speaking_administrator_reads_it_in_english(bot: BotDriver) -> None:
    catalogue = fix_clock(bot)
    await seed_q1(bot, catalogue)
    await bot.make_admin(KATE, "Kate")

    report = await bot.ask(KATE, "/report 2022-Q1", language_code="en")

    assert report["text"].startswith("📋 Reporting of Kon Tum Province: Q1 2022")
    assert (
        "• Commune level (due Mar 16, 2022): reported 1/102 (0.98%)"
        " · by the deadline 0/102 (0.00%)" in report["text"]
    )
    ranking = await bot.press(
        KATE, report, "🏆 Ranking of the provincial departments", expect="🏆 Ranking"
    )
    assert "(page 1/2)" in ranking["text"]
    assert "no data yet" in ranking["text"]


async def test_a_district_head_sees_the_report_of_their_district_only(bot: BotDriver) -> None:
    catalogue = fix_clock(bot)
    await seed_q1(bot, catalogue)
    await bot.make_member(MINH, "dak-glei", name="Minh")

    report = await bot.ask(MINH, "/report")

    assert report["text"].startswith("📋 Tình hình báo cáo của Huyện Đăk Glei: quý 1/2022")
    assert "Cấp tỉnh" not in report["text"]
    assert "Chưa báo cáo (11; ⏰ đã quá hạn)" in report["text"]
    assert labels(report) == [
        "• Quý 1/2022",
        "6 tháng đầu năm 2022",
        "9 tháng năm 2022",
        "Năm 2022",
        "🏆 Xếp hạng cấp xã",
    ]
    refused = await bot.ask(MINH, "/report Tỉnh Kon Tum")
    assert "không thuộc phạm vi của anh/chị" in refused["text"]
    assert "📋" not in refused["text"]


async def test_a_commune_head_and_a_stranger_are_refused(bot: BotDriver) -> None:
    fix_clock(bot)
    await bot.make_member(HOA, "dak-blo", name="Hoa")

    commune = await bot.ask(HOA, "/report")
    assert "dành cho Văn phòng UBND tỉnh và lãnh đạo UBND cấp huyện" in commune["text"]
    assert "/deadlines" in commune["text"]

    stranger = await bot.ask(STRANGER, "/report kon-tum", language_code="vi")
    assert "chưa được cấp quyền" in stranger["text"]
    assert "Kon Tum" not in stranger["text"].split("\n")[0]
    assert "📋" not in stranger["text"]


async def test_forged_report_buttons_are_refused_and_change_nothing(bot: BotDriver) -> None:
    catalogue = fix_clock(bot)
    await seed_q1(bot, catalogue)
    await bot.make_member(MINH, "dak-glei", name="Minh")
    report = await bot.ask(MINH, "/report")

    answer = await pressed_answer(bot, MINH, report, "rp:kon-tum:2022-Q1")
    assert answer["show_alert"] is True
    assert "dành cho Văn phòng UBND tỉnh" in answer["text"]
    for forged in ("rk:kon-tum:2022-Q1:d:0", "rp:no-such-unit:2022", "rk:dak-ha:2022:x:0"):
        again = await pressed_answer(bot, MINH, report, forged)
        assert again == answer  # the same words whether the unit exists or not
    for malformed in ("rp:dak-glei:2022-03", "rk:dak-glei:2022-Q1:z:0", "rp:dak-glei:2022 Q1"):
        stale = await pressed_answer(bot, MINH, report, malformed)
        assert "không còn hiệu lực" in stale["text"], malformed

    listed = (await bot.control.messages(report["chat_id"]))["messages"]
    [now] = [m for m in listed if m["message_id"] == report["message_id"]]
    assert now["text"] == report["text"]
    assert now["edited"] is False


async def test_a_period_without_a_report_is_explained(bot: BotDriver) -> None:
    fix_clock(bot)
    answer = await bot.ask(ADMIN, "/report 2022-03")
    assert answer["text"] == (
        "Không có kỳ báo cáo 2022-03. Các kỳ báo cáo là: 2022-Q1, 2022-H1, 2022-9M, 2022."
    )


async def test_report_is_in_the_administrators_menu_only(bot: BotDriver) -> None:
    admins = await bot.bot_api("getMyCommands", scope={"type": "chat", "chat_id": ADMIN})
    members = await bot.bot_api("getMyCommands")
    assert {
        "command": "report",
        "description": "Tình hình báo cáo, đúng hạn và xếp hạng đơn vị",
    } in admins
    assert "report" not in {c["command"] for c in members}
