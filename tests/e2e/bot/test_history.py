"""/history end to end: the latest revisions, newest first, with who, when, from where and why;
pages of ten, a district head's filter by commune, and nothing for strangers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from kpi.catalogue import Catalogue
from kpi.periods import Period
from kpi.revisions import Author, Source
from services.figures import submit_figures
from tests.e2e.bot.conftest import BotDriver

LAN = 4401  # head of so-y-te
MINH = 4402  # head of dak-glei
STRANGER = 4403
NOW = datetime(2022, 6, 10, 3, 0, tzinfo=UTC)  # 10:00 in Asia/Ho_Chi_Minh
LAN_AUTHOR = Author("tg:4401", "Nguyễn Thị Lan")


def fix_clock(bot: BotDriver) -> Catalogue:
    assert bot.application is not None
    services = bot.application.services
    services.clock = lambda: NOW
    return services.catalogues.newest


async def submit(
    bot: BotDriver,
    catalogue: Catalogue,
    unit: str,
    period: str,
    values: dict[str, int],
    at: datetime,
    *,
    author: Author = LAN_AUTHOR,
    source: Source = Source.CHAT,
    reason: str | None = None,
) -> None:
    await submit_figures(
        bot.database.unit_of_work,
        catalogue,
        unit,
        Period.parse(period),
        values,
        author,
        source,
        reason,
        now=at,
    )


async def test_history_lists_submissions_and_a_correction_with_its_reason_newest_first(
    bot: BotDriver,
) -> None:
    catalogue = fix_clock(bot)
    await bot.make_member(LAN, "so-y-te", name="Lan")
    received = {"dossiers_received": 100, "dossiers_received_online": 10}
    await submit(bot, catalogue, "so-y-te", "2022-03", received, NOW - timedelta(days=2))
    april = {"dossiers_received": 200, "dossiers_received_online": 20}
    await submit(
        bot,
        catalogue,
        "so-y-te",
        "2022-04",
        april,
        NOW - timedelta(days=1),
        author=Author("import:bang.xlsx", "Trần Văn Bảng"),
        source=Source.IMPORT,
    )
    await submit(
        bot,
        catalogue,
        "so-y-te",
        "2022-03",
        {"dossiers_received_online": 15},
        NOW,
        reason="nhập nhầm số hồ sơ trực tuyến",
    )

    answer = await bot.ask(LAN, "/history", language_code="vi")
    text = answer["text"]
    assert text.startswith("Các thay đổi số liệu gần đây của Sở Y tế (trang 1/1), mới nhất trước:")
    entries = text.split("\n• ")[1:]
    assert len(entries) == 5
    assert entries[0].splitlines() == [
        "10:00 10/06/2022",
        "  Hồ sơ tiếp nhận trực tuyến, tháng 3/2022: 10 → 15",
        "  Nguyễn Thị Lan · qua trò chuyện · lý do: nhập nhầm số hồ sơ trực tuyến",
    ]
    assert "tháng 4/2022: — → 200" in text
    assert "Trần Văn Bảng · nhập từ tệp" in text
    assert entries[-1].startswith("10:00 08/06/2022")

    english = await bot.ask(LAN, "/history", language_code="en")
    assert "reason: nhập nhầm số hồ sơ trực tuyến" in english["text"]
    assert "Jun 10, 2022, 10:00 AM" in english["text"]


async def test_history_pages_ten_revisions_at_a_time(bot: BotDriver) -> None:
    catalogue = fix_clock(bot)
    await bot.make_member(LAN, "so-y-te", name="Lan")
    for month in range(1, 7):
        values = {"dossiers_received": 100 * month, "dossiers_received_online": month}
        await submit(
            bot, catalogue, "so-y-te", f"2022-{month:02d}", values, NOW + timedelta(hours=month)
        )

    first = await bot.ask(LAN, "/history")
    assert "(trang 1/2)" in first["text"]
    assert first["text"].count("\n• ") == 10
    assert "tháng 6/2022" in first["text"]
    second = await bot.press(LAN, first, "Trang sau ▶", expect="(trang 2/2)")
    assert second["message_id"] == first["message_id"]
    assert second["text"].count("\n• ") == 2
    assert "tháng 1/2022" in second["text"]
    back = await bot.press(LAN, second, "◀ Trang trước", expect="(trang 1/2)")
    assert back["text"] == first["text"]


async def test_a_district_head_sees_the_communes_figures_and_filters_by_commune(
    bot: BotDriver,
) -> None:
    catalogue = fix_clock(bot)
    await bot.make_member(MINH, "dak-glei", name="Minh")
    communes = catalogue.units.children("dak-glei")
    values = {"dossiers_received": 50, "dossiers_received_online": 5}
    await submit(bot, catalogue, communes[0].code, "2022-03", values, NOW)
    await submit(bot, catalogue, communes[1].code, "2022-03", values, NOW + timedelta(hours=1))

    whole = await bot.ask(MINH, "/history")
    assert whole["text"].count("\n• ") == 4
    assert communes[0].name.vi in whole["text"]
    assert communes[1].name.vi in whole["text"]

    chooser = await bot.press(MINH, whole, "Theo đơn vị trực thuộc ▸", expect="Xem số liệu")
    one = await bot.press(
        MINH, chooser, communes[0].name.vi, expect=f"gần đây của {communes[0].name.vi}"
    )
    assert one["message_id"] == whole["message_id"]
    assert one["text"].count("\n• ") == 2

    typed = await bot.ask(MINH, f"/history {communes[1].code}")
    assert f"gần đây của {communes[1].name.vi}" in typed["text"]
    assert typed["text"].count("\n• ") == 2
    refused = await bot.ask(MINH, "/history so-y-te")
    assert "không thuộc phạm vi của anh/chị" in refused["text"]


async def test_history_says_when_nothing_was_reported_yet(bot: BotDriver) -> None:
    fix_clock(bot)
    await bot.make_member(LAN, "so-y-te", name="Lan")
    answer = await bot.ask(LAN, "/history", language_code="en")
    assert answer["text"] == "No figures have been reported for Department of Health yet."


async def test_a_stranger_gets_no_history(bot: BotDriver) -> None:
    fix_clock(bot)
    answer = await bot.ask(STRANGER, "/history so-y-te")
    assert "chưa được cấp quyền" in answer["text"]
    assert "Sở Y tế" not in answer["text"]
