"""/status and /units end to end: rates, targets and what is needed in Vietnamese and English,
buttons that edit the message (drill-down, an indicator in full, periods), and buttons refused
when forged, stale or pressed by a stranger."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from kpi.access import Role
from kpi.catalogue import Catalogue
from kpi.periods import Period
from kpi.revisions import Author, Source
from services.figures import submit_figures
from tests.e2e.bot.conftest import ADMIN, BotDriver

LAN = 4301  # head of so-y-te in most tests
MINH = 4302  # head of dak-glei
STRANGER = 4303
NOW = datetime(2022, 6, 10, 3, 0, tzinfo=UTC)  # reporting month 2022-06: the H1 report is due


def fix_clock(bot: BotDriver) -> Catalogue:
    """The bot's clock at NOW; the catalogue it serves."""
    assert bot.application is not None
    services = bot.application.services
    services.clock = lambda: NOW
    return services.catalogues.newest


async def seed_health_department(bot: BotDriver, catalogue: Catalogue) -> None:
    """Kon Tum's published 2022 totals, as one month of Sở Y tế: 12.27 % online against 25 %."""
    await submit_figures(
        bot.database.unit_of_work,
        catalogue,
        "so-y-te",
        Period.parse("2022-03"),
        {
            "dossiers_received": 277_307,
            "dossiers_received_online": 34_020,
            "dossiers_resolved": 1_000,
            "dossiers_resolved_early": 900,
            "dossiers_resolved_on_time": 60,
            "dossiers_resolved_late": 40,
        },
        Author("tg:4301", "Lan"),
        Source.CHAT,
        now=NOW,
    )


async def pressed_answer(bot: BotDriver, user_id: int, message: dict[str, Any], data: str) -> Any:
    """Press a button with this data on the message; what the bot answered to the press."""
    sent = await bot.control.press(user_id, message["chat_id"], message["message_id"], data)
    # updates are handled in order: once /cancel is answered, so is the press
    await bot.ask(user_id, "/cancel")
    return await bot.control.callback_answer(sent["callback_query_id"])


async def page_until(bot: BotDriver, user_id: int, message: dict[str, Any], text: str) -> Any:
    """Press "Trang sau ▶" until the message shows `text`."""
    while text not in message["text"]:
        message = await bot.press(user_id, message, "Trang sau ▶", expect="(trang ")
    return message


async def test_a_department_head_sees_rate_target_and_what_is_needed_in_vietnamese(
    bot: BotDriver,
) -> None:
    catalogue = fix_clock(bot)
    await bot.make_member(LAN, "so-y-te", name="Lan")
    await seed_health_department(bot, catalogue)

    answer = await bot.ask(LAN, "/status", language_code="vi")
    text = answer["text"]
    assert text.startswith("📊 Sở Y tế")
    assert "6 tháng đầu năm 2022 (15/12/2021 – 14/06/2022)" in text
    assert (
        "⚠️ III.2 Hồ sơ trực tuyến trên tổng số hồ sơ: 12,27 % (chỉ tiêu 25 %)"
        " · cần thêm 47.076 hồ sơ" in text
    )
    assert "V.1 Hồ sơ giải quyết trước hạn, đúng hạn (sở, ban ngành): 96,00 %" in text
    assert "mức sàn 95 %" in text
    assert "⚪ II.4" in text
    assert " II.1 " not in text  # the Department of Labour's row, not Health's (issue 13)
    assert "➖ II.3" in text
    assert len(text) <= 4096
    labels = [b["text"] for row in answer["buttons"] for b in row]
    assert "⚠️ III.2" in labels
    assert "🔄 Làm mới" in labels


async def test_an_english_speaker_reads_the_status_in_english(bot: BotDriver) -> None:
    catalogue = fix_clock(bot)
    await bot.make_member(LAN, "so-y-te", name="Lan")
    await seed_health_department(bot, catalogue)

    text = (await bot.ask(LAN, "/status", language_code="en"))["text"]
    assert text.startswith("📊 Department of Health")
    assert "First half of 2022" in text
    assert "12.27% (target 25%) · 47,076 more dossiers needed" in text


async def test_an_indicator_in_full_shows_its_counts_legal_basis_and_baseline(
    bot: BotDriver,
) -> None:
    catalogue = fix_clock(bot)
    await bot.make_member(LAN, "so-y-te", name="Lan")
    await seed_health_department(bot, catalogue)
    status = await bot.ask(LAN, "/status")

    detail = await bot.press(LAN, status, "⚠️ III.2", expect="Căn cứ giao chỉ tiêu")
    text = detail["text"]
    assert detail["message_id"] == status["message_id"]  # edited, not a new message
    assert text.startswith("III.2. Tỷ lệ hồ sơ thủ tục hành chính được giải quyết trực tuyến")
    assert "Tử số (Hồ sơ tiếp nhận trực tuyến): 34.020" in text
    assert "Mẫu số (Hồ sơ tiếp nhận): 277.307" in text
    assert "Kế hoạch số 4492/KH-UBND" in text
    assert "Đơn vị phối hợp: Văn phòng UBND tỉnh" in text
    assert "Kết quả năm 2021: Năm 2021 tỉ lệ hồ sơ trực tuyến đạt 13.84%." in text

    back = await bot.press(LAN, detail, "◀ Quay lại kết quả", expect="📊 Sở Y tế")
    assert "cần thêm 47.076 hồ sơ" in back["text"]


async def test_switching_the_period_edits_the_status_in_place(bot: BotDriver) -> None:
    catalogue = fix_clock(bot)
    await bot.make_member(LAN, "so-y-te", name="Lan")
    await seed_health_department(bot, catalogue)
    status = await bot.ask(LAN, "/status")
    labels = [b["text"] for row in status["buttons"] for b in row]
    assert {"Tháng 6/2022", "Quý 2/2022", "Năm 2022 (lũy kế)", "◀ Quý 1/2022"} <= set(labels)

    first = await bot.press(LAN, status, "◀ Quý 1/2022", expect="Quý 1/2022 (15/12/2021")
    assert first["message_id"] == status["message_id"]
    assert "12,27 %" in first["text"]
    month = await bot.press(LAN, first, "Tháng 6/2022", expect="Tháng 6/2022 (15/05/2022")
    assert "III.2 Hồ sơ trực tuyến trên tổng số hồ sơ: chưa có số liệu" in month["text"]


async def test_a_district_head_drills_down_into_its_communes_and_back(bot: BotDriver) -> None:
    catalogue = fix_clock(bot)
    await bot.make_member(MINH, "dak-glei", name="Minh")
    communes = catalogue.units.children("dak-glei")
    assert len(communes) > 8

    status = await bot.ask(MINH, "/status")
    assert status["text"].startswith("📊 Huyện Đăk Glei")
    assert "(cấp xã)" in status["text"]
    first = await bot.press(
        MINH, status, f"Đơn vị trực thuộc ({len(communes)}) ▸", expect="trang 1/2"
    )
    assert first["message_id"] == status["message_id"]
    assert communes[0].name.vi in first["text"]
    assert communes[8].name.vi not in first["text"]
    second = await bot.press(MINH, first, "Trang sau ▶", expect="trang 2/2")
    assert communes[8].name.vi in second["text"]

    commune = communes[8]
    shown = await bot.press(MINH, second, f"⚪ {commune.name.vi}", expect=f"📊 {commune.name.vi}")
    back = await bot.press(MINH, shown, "◀ Huyện Đăk Glei", expect="📊 Huyện Đăk Glei")
    assert back["message_id"] == status["message_id"]


async def test_a_forged_button_for_another_unit_is_refused_and_changes_nothing(
    bot: BotDriver,
) -> None:
    fix_clock(bot)
    await bot.make_member(MINH, "dak-glei", name="Minh")
    status = await bot.ask(MINH, "/status")

    answer = await pressed_answer(bot, MINH, status, "st:dak-ha:2022-H1")
    assert answer is not None
    assert answer["show_alert"] is True
    assert "không thuộc phạm vi của anh/chị" in answer["text"]
    for forged in ("st:no-such-unit:2022", "sd:kon-tum:2022:III.2"):
        again = await pressed_answer(bot, MINH, status, forged)
        assert again == answer  # the same words whether the unit exists or not

    listed = (await bot.control.messages(status["chat_id"]))["messages"]
    [now] = [m for m in listed if m["message_id"] == status["message_id"]]
    assert now["text"] == status["text"]
    assert now["edited"] is False


async def test_a_malformed_or_unknown_button_is_answered_as_no_longer_valid(
    bot: BotDriver,
) -> None:
    fix_clock(bot)
    await bot.make_member(MINH, "dak-glei", name="Minh")
    status = await bot.ask(MINH, "/status", language_code="en")
    for data in (
        "st:dak-glei:2022-13",
        "st:dak-glei",
        "sc:dak-glei:2022:x",
        "zz:1",
        "st:Dak:2022",
    ):
        answer = await pressed_answer(bot, MINH, status, data)
        assert answer is not None
        assert "no longer valid" in answer["text"], data


async def test_a_stranger_learns_nothing_about_any_unit(bot: BotDriver) -> None:
    fix_clock(bot)
    answer = await bot.ask(STRANGER, "/status dak-glei", language_code="vi")
    assert "chưa được cấp quyền" in answer["text"]
    assert "Đăk Glei" not in answer["text"]
    assert "📊" not in answer["text"]


async def test_a_member_cannot_open_a_unit_outside_their_own(bot: BotDriver) -> None:
    catalogue = fix_clock(bot)
    await bot.make_member(MINH, "dak-glei", name="Minh")
    refused = await bot.ask(MINH, "/status dak-ha")
    assert "không thuộc phạm vi của anh/chị" in refused["text"]
    commune = catalogue.units.children("dak-glei")[0]
    shown = await bot.ask(MINH, f"/status {commune.code}")
    assert shown["text"].startswith(f"📊 {commune.name.vi}")


async def test_an_administrator_sees_the_province_and_any_unit_named(bot: BotDriver) -> None:
    fix_clock(bot)
    province = await bot.ask(ADMIN, "/status")
    assert province["text"].startswith("📊 Tỉnh Kon Tum")
    assert "I.1 DVCTT mức 3, 4 lên Cổng DVC quốc gia" in province["text"]
    assert len(province["text"]) <= 4096
    ambiguous = await bot.ask(ADMIN, "/status Đắk Glei")
    assert "Có nhiều đơn vị tên “Đắk Glei”" in ambiguous["text"]
    assert "Thị trấn Đăk Glei (Huyện Đăk Glei): dak-glei-dak-glei" in ambiguous["text"]
    district = await bot.ask(ADMIN, "/status huyện Đắk Glei 2022-Q1")
    assert district["text"].startswith("📊 Huyện Đăk Glei")
    assert "Quý 1/2022" in district["text"]


async def test_units_shows_the_tree_with_people_and_status_buttons_to_administrators(
    bot: BotDriver,
) -> None:
    catalogue = fix_clock(bot)
    await bot.make_member(LAN, "so-y-te", name="Lan")
    await bot.make_member(MINH, "dak-glei", name="Minh", role=Role.MEMBER)

    tree = await bot.ask(ADMIN, "/units")
    assert tree["text"].startswith("Số người được gắn với Tỉnh Kon Tum: 0.")
    assert "(trang 1/4)" in tree["text"]
    tree = await page_until(bot, ADMIN, tree, "Sở Y tế")
    assert "• Sở Y tế: 👤 1" in tree["text"]
    tree = await page_until(bot, ADMIN, tree, "Huyện Đăk Glei")
    assert "• Huyện Đăk Glei: 👤 1 · 12 đơn vị trực thuộc" in tree["text"]

    district = await bot.press(
        ADMIN, tree, "Huyện Đăk Glei", expect="Số người được gắn với Huyện Đăk Glei: 1."
    )
    assert district["message_id"] == tree["message_id"]
    first_commune = catalogue.units.children("dak-glei")[0].name.vi
    assert f"• {first_commune}: 👤 0" in district["text"]
    status = await bot.press(
        ADMIN, district, "📊 Kết quả của Huyện Đăk Glei", expect="📊 Huyện Đăk Glei"
    )
    assert "Năm 2022" in status["text"] or "6 tháng đầu năm 2022" in status["text"]


async def test_units_is_refused_to_a_member(bot: BotDriver) -> None:
    fix_clock(bot)
    await bot.make_member(LAN, "so-y-te", name="Lan")
    refused = await bot.ask(LAN, "/units")
    assert "dành cho quản trị viên" in refused["text"]


async def test_refresh_shows_new_figures_and_is_quiet_when_nothing_changed(
    bot: BotDriver,
) -> None:
    catalogue = fix_clock(bot)
    await bot.make_member(LAN, "so-y-te", name="Lan")
    status = await bot.ask(LAN, "/status")
    assert "III.2 Hồ sơ trực tuyến trên tổng số hồ sơ: chưa có số liệu" in status["text"]

    since = bot.cursor
    answer = await pressed_answer(bot, LAN, status, "st:so-y-te:2022-H1")
    assert answer is not None
    assert answer["text"] is None  # answered without a word: nothing changed
    assert not any("Xin lỗi" in text for text in await bot.said(LAN, since))

    await seed_health_department(bot, catalogue)
    refreshed = await bot.press(LAN, status, "🔄 Làm mới", expect="12,27 %")
    assert refreshed["message_id"] == status["message_id"]
