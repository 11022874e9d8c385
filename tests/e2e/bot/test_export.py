"""/export end to end: a district head receives the report workbook as a document that openpyxl
opens, other periods by button, English headers for an English reader, and a forged button
for another unit refused."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import openpyxl

from kpi.catalogue import Catalogue
from kpi.periods import Period
from kpi.revisions import Author, Source
from services.figures import submit_figures
from tests.e2e.bot.conftest import BotDriver

MINH = 4501  # head of dak-glei
JOHN = 4502  # head of dak-glei, reads English
STRANGER = 4503
NOW = datetime(2022, 6, 10, 3, 0, tzinfo=UTC)  # reporting month 2022-06: quarter 2


def fix_clock(bot: BotDriver) -> Catalogue:
    assert bot.application is not None
    services = bot.application.services
    services.clock = lambda: NOW
    return services.catalogues.newest


async def seed(bot: BotDriver, catalogue: Catalogue) -> None:
    await submit_figures(
        bot.database.unit_of_work,
        catalogue,
        "xop",
        Period.parse("2022-05"),
        {"dossiers_received": 400, "dossiers_received_online": 150},
        Author("tg:4501", "Minh"),
        Source.CHAT,
        now=NOW,
    )


async def workbook_of(bot: BotDriver, message: dict[str, Any]) -> openpyxl.Workbook:
    document = message["document"]
    assert document is not None, message
    content = await bot.control.download(document["url"])
    return openpyxl.load_workbook(io.BytesIO(content))


async def test_a_district_head_receives_the_workbook_of_the_current_quarter(
    bot: BotDriver,
) -> None:
    catalogue = fix_clock(bot)
    await bot.make_member(MINH, "dak-glei", name="Minh")
    await seed(bot, catalogue)

    answer = await bot.ask(MINH, "/export", expect="Báo cáo của", language_code="vi")
    assert "Huyện Đăk Glei, Quý 2/2022 (15/03/2022 – 14/06/2022)" in answer["caption"]
    assert answer["document"]["file_name"] == "bao-cao-dak-glei-2022-Q2.xlsx"
    book = await workbook_of(bot, answer)
    assert book.sheetnames == ["Mục III", "Mục IV", "Mục V", "Hồ sơ TTHC (biểu mẫu)", "Số liệu"]
    figures = [r[:4] for r in book["Số liệu"].iter_rows(min_row=2, values_only=True)]
    assert ("xop", "dossiers_received", "2022-05", 400) in figures  # to edit and send back
    form = book["Hồ sơ TTHC (biểu mẫu)"]
    assert form["B7"].value == "Huyện Đăk Glei"
    assert [form.cell(7, c).value for c in (6, 7, 8)] == [400, 150, 250]
    labels = [b["text"] for row in answer["buttons"] for b in row]
    assert labels == ["Quý 1/2022", "• Quý 2/2022", "6 tháng đầu năm 2022", "Năm 2022"]

    since = bot.cursor
    await bot.control.press_button(MINH, answer, "6 tháng đầu năm 2022")
    half = await bot.answer(answer["chat_id"], since, expect="6 tháng đầu năm 2022 (")
    assert half["document"]["file_name"] == "bao-cao-dak-glei-2022-H1.xlsx"
    assert (await workbook_of(bot, half))["Hồ sơ TTHC (biểu mẫu)"]["F7"].value == 400


async def test_a_forged_button_for_another_unit_is_refused(bot: BotDriver) -> None:
    fix_clock(bot)
    await bot.make_member(MINH, "dak-glei", name="Minh")
    answer = await bot.ask(MINH, "/export Xã Xốp 2022-Q1", expect="Báo cáo của")
    assert answer["document"]["file_name"] == "bao-cao-xop-2022-Q1.xlsx"

    since = bot.cursor
    sent = await bot.control.press(
        MINH, answer["chat_id"], answer["message_id"], "ex:kon-tum:2022-Q2"
    )
    await bot.ask(MINH, "/cancel")  # updates are handled in order: the press is answered
    refused = await bot.control.callback_answer(sent["callback_query_id"])
    assert refused is not None
    assert refused["text"].startswith("Đơn vị này không thuộc phạm vi của anh/chị")
    assert refused["show_alert"]
    garbled = await bot.control.press(
        MINH, answer["chat_id"], answer["message_id"], "ex:x:2022-Q9"
    )
    await bot.ask(MINH, "/cancel")
    stale = await bot.control.callback_answer(garbled["callback_query_id"])
    assert stale is not None
    assert stale["text"].startswith("Nút này không còn")
    documents = [
        m
        for m in (await bot.control.messages(answer["chat_id"], since))["messages"]
        if m["document"] is not None
    ]
    assert documents == []

    asked = await bot.ask(MINH, "/export kon-tum")
    assert "không" in asked["text"]  # not theirs: told so, no document
    assert asked["document"] is None


async def test_an_english_reader_gets_english_headers(bot: BotDriver) -> None:
    fix_clock(bot)
    await bot.make_member(JOHN, "dak-glei", name="John")
    answer = await bot.ask(JOHN, "/export", expect="Report of", language_code="en")
    assert answer["document"]["file_name"] == "report-dak-glei-2022-Q2.xlsx"
    book = await workbook_of(bot, answer)
    assert book.sheetnames[0] == "Section III"
    sheet = book["Section III"]
    assert sheet["B5"].value == "Unit"
    assert sheet["B7"].value == "Dak Glei District"


async def test_a_stranger_gets_no_workbook(bot: BotDriver) -> None:
    fix_clock(bot)
    answer = await bot.ask(STRANGER, "/export", language_code="vi")
    assert answer["document"] is None
