"""Entering figures as fast as people think, end to end: periods typed as people say them, the
choices that could only be refused never offered, and a conflict naming the periods filed."""

from __future__ import annotations

import io
import re
from typing import Any

import openpyxl

from kpi.access import Role
from kpi.periods import Period
from kpi.revisions import Author, Source
from services.figures import submit_figures
from tests.e2e.bot.conftest import BotDriver

JSON = dict[str, Any]

HEAD = 4501  # head of Xã Đăk Blô (a commune)
COMMUNE = "dak-blo"
NOVEMBER = Period.month(2022, 11)  # the clock is past 2022: December 2022 is the current month


def labels(message: JSON) -> list[str]:
    return [b["text"] for row in message["buttons"] for b in row]


async def file_november(bot: BotDriver) -> None:
    assert bot.application is not None
    catalogue = bot.application.services.catalogues.newest
    await submit_figures(
        bot.database.unit_of_work,
        catalogue,
        COMMUNE,
        NOVEMBER,
        {"dossiers_received": 1180, "dossiers_received_online": 200},
        Author("cli:test", "Kiểm thử"),
        Source.CLI,
    )


async def test_a_quarter_that_clashes_with_filed_months_is_never_offered_and_typed_is_refused(
    bot: BotDriver,
) -> None:
    await bot.make_member(HEAD, COMMUNE, Role.HEAD, name="Hùng")
    await file_november(bot)
    prompt = await bot.ask(HEAD, "/submit", expect="Anh/chị chọn kỳ báo cáo")
    offered = labels(prompt)
    assert "Tháng 12/2022 (kỳ hiện tại)" in offered
    assert "Tháng 11/2022 (kỳ trước)" in offered
    assert not any(label.startswith("Quý 4/2022") for label in offered)

    hint = await bot.press(HEAD, prompt, "Kỳ khác…", expect="tháng 3")
    assert "quý 1" in hint["text"]
    refused = await bot.ask(HEAD, "quý 4", expect="đã có số liệu")
    assert "tháng 11/2022" in refused["text"]
    assert "quý 4/2022" in refused["text"]
    typo = await bot.ask(HEAD, "quý năm", expect="không phải là kỳ báo cáo")
    assert "“quý năm”" in typo["text"]
    first = await bot.ask(HEAD, "T10", expect="Câu 1/")
    assert "tháng 10/2022" in first["text"]


async def test_in_english_a_typed_period_is_read_and_a_clash_names_the_months(
    bot: BotDriver,
) -> None:
    await bot.make_member(HEAD, COMMUNE, Role.HEAD, name="Hùng")
    await file_november(bot)
    prompt = await bot.ask(HEAD, "/submit", expect="Which period?", language_code="en")
    assert not any(label.startswith("Quarter 4/2022") for label in labels(prompt))
    refused = await bot.ask(HEAD, "Q4/2022", expect="already has figures", language_code="en")
    assert "November 2022" in refused["text"]
    await bot.ask(HEAD, "quý I/2022", expect="Question 1 of", language_code="en")


async def test_status_and_export_take_a_period_written_as_people_say_it(bot: BotDriver) -> None:
    await bot.make_member(HEAD, COMMUNE, Role.HEAD, name="Hùng")
    await file_november(bot)
    status = await bot.ask(HEAD, "/status dak-blo tháng 11", expect="Tháng 11/2022")
    assert "Xã Đăk Blô" in status["text"]
    quarter = await bot.ask(HEAD, "/status quý I/2022", expect="Quý 1/2022")
    assert "Xã Đăk Blô" in quarter["text"]


# --- figures written in one message -----------------------------------------------------------

SIX = (
    "Tháng 11: tiếp nhận 1.200, trực tuyến 300, giải quyết 1.150 "
    "(trước hạn 600, đúng hạn 500, trễ 50)"
)
SIX_SAVED = {
    "dossiers_received": 1200,
    "dossiers_received_online": 300,
    "dossiers_resolved": 1150,
    "dossiers_resolved_early": 600,
    "dossiers_resolved_on_time": 500,
    "dossiers_resolved_late": 50,
}


async def stored(bot: BotDriver, period: Period = NOVEMBER) -> dict[str, int]:
    async with bot.database.unit_of_work() as uow:
        return await uow.figures.current_of(COMMUNE, period)


async def test_six_figures_in_one_message_are_saved_after_one_confirm(bot: BotDriver) -> None:
    await bot.make_member(HEAD, COMMUNE, Role.HEAD, name="Hùng")
    summary = await bot.ask(HEAD, SIX, expect="Tôi hiểu tin nhắn của anh/chị như sau")
    assert "Xã Đăk Blô (Huyện Đăk Glei), tháng 11/2022" in summary["text"]
    assert "• Hồ sơ tiếp nhận: 1.200" in summary["text"]
    assert "• Giải quyết quá hạn: 50" in summary["text"]
    assert "Kỳ này còn thiếu:" in summary["text"]
    assert await stored(bot) == {}  # nothing saved before Confirm
    saved = await bot.press(HEAD, summary, "Xác nhận", expect="Đã lưu")
    assert "số liệu thay đổi: 6" in saved["text"]
    assert await stored(bot) == SIX_SAVED
    async with bot.database.unit_of_work() as uow:
        history = await uow.figures.history([COMMUNE], element="dossiers_resolved_late")
    assert [(r.author.id, r.source) for r in history] == [(f"tg:{HEAD}", Source.CHAT)]


async def test_in_english_an_unknown_word_is_answered_with_what_was_understood(
    bot: BotDriver,
) -> None:
    await bot.make_member(HEAD, COMMUNE, Role.HEAD, name="Hùng")
    summary = await bot.ask(
        HEAD,
        "November: received 1.200, resolved 1.150, bananas 12",
        expect="This is what I understood",
        language_code="en",
    )
    assert "• Dossiers received: 1,200" in summary["text"]
    assert "• Dossiers resolved: 1,150" in summary["text"]
    assert "“bananas 12”" in summary["text"]
    assert await stored(bot) == {}
    await bot.press(HEAD, summary, "Cancel", expect="Nothing was changed")
    assert await stored(bot) == {}


async def test_an_ambiguous_label_is_asked_about_and_never_guessed(bot: BotDriver) -> None:
    await bot.make_member(HEAD, COMMUNE, Role.HEAD, name="Hùng")
    question = await bot.ask(HEAD, "tháng 11: trực tuyến 300", expect="là chỉ tiêu nào")
    assert "“trực tuyến 300”" in question["text"]
    assert "Hồ sơ tiếp nhận trực tuyến" in labels(question)
    summary = await bot.press(
        HEAD, question, "Hồ sơ tiếp nhận trực tuyến", expect="Tôi hiểu tin nhắn"
    )
    assert "• Hồ sơ tiếp nhận trực tuyến: 300" in summary["text"]


# --- one figure corrected ---------------------------------------------------------------------


async def correct_received(bot: BotDriver, status: JSON, language: str = "vi") -> JSON:
    """From a view with "Correct a figure": four presses and one typed value, up to the
    summary's Confirm (not pressed)."""
    vi = language == "vi"
    options = {"language_code": language}
    fix = "Sửa số liệu" if vi else "Correct a figure"
    which = await bot.press(HEAD, status, fix, expect="sửa số liệu nào" if vi else "correct?")
    received = "Hồ sơ tiếp nhận: 1.180" if vi else "Dossiers received: 1,180"
    value = await bot.press(HEAD, which, received, expect="Giá trị mới" if vi else "New value")
    why = await bot.ask(HEAD, "1.280", expect="1.280" if vi else "1,280", **options)
    typo = "Nhập nhầm số liệu" if vi else "A typing error"
    del value
    return await bot.press(HEAD, why, typo, expect="Xác nhận" if vi else "Confirm")


async def test_one_figure_is_corrected_from_status_in_four_presses_and_one_value(
    bot: BotDriver,
) -> None:
    await bot.make_member(HEAD, COMMUNE, Role.HEAD, name="Hùng")
    await file_november(bot)
    status = await bot.ask(HEAD, "/status tháng 11", expect="Tháng 11/2022")
    summary = await correct_received(bot, status)  # presses 1 to 3
    assert "• Hồ sơ tiếp nhận: 1.180 → 1.280" in summary["text"]
    assert "Lý do: Nhập nhầm số liệu" in summary["text"]
    saved = await bot.press(HEAD, summary, "Xác nhận", expect="Đã lưu")  # press 4
    assert "số liệu thay đổi: 1" in saved["text"]
    assert (await stored(bot))["dossiers_received"] == 1280
    async with bot.database.unit_of_work() as uow:
        history = await uow.figures.history([COMMUNE], element="dossiers_received")
    newest = history[0]
    assert (newest.value, newest.reason, newest.source) == (1280, "Nhập nhầm số liệu", Source.CHAT)


async def test_in_english_a_second_editor_sees_the_figures_moved_instead_of_overwriting(
    bot: BotDriver,
) -> None:
    await bot.make_member(HEAD, COMMUNE, Role.HEAD, name="Hùng")
    await file_november(bot)
    history = await bot.ask(HEAD, "/history", expect="Dak Blo", language_code="en")
    summary = await correct_received(bot, history, "en")
    assert "• Dossiers received: 1,180 → 1,280" in summary["text"]
    assert bot.application is not None
    await submit_figures(  # another person saves meanwhile
        bot.database.unit_of_work,
        bot.application.services.catalogues.newest,
        COMMUNE,
        NOVEMBER,
        {"dossiers_received": 1250},
        Author("tg:4502", "Minh"),
        Source.CHAT,
        "a late dossier",
    )
    again = await bot.press(HEAD, summary, "Confirm", expect="Someone saved these figures")
    assert "• Dossiers received: 1,250 → 1,280" in again["text"]
    assert (await stored(bot))["dossiers_received"] == 1250  # not overwritten
    await bot.press(HEAD, again, "Confirm", expect="Saved")
    assert (await stored(bot))["dossiers_received"] == 1280


# --- figures sent as a file -------------------------------------------------------------------


async def test_the_exported_workbook_edited_in_one_cell_and_sent_back_changes_that_figure(
    bot: BotDriver,
) -> None:
    await bot.make_member(HEAD, COMMUNE, Role.HEAD, name="Hùng")
    await file_november(bot)
    answer = await bot.ask(HEAD, "/export", expect="Báo cáo của")
    document = answer["document"]
    book = openpyxl.load_workbook(io.BytesIO(await bot.control.download(document["url"])))
    sheet = book["Số liệu"]
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["unit", "element", "period", "value"]
    rows = {(r[0].value, r[1].value, r[2].value): r for r in sheet.iter_rows(min_row=2)}
    assert rows[(COMMUNE, "dossiers_received", "2022-11")][3].value == 1180
    rows[(COMMUNE, "dossiers_received", "2022-11")][3].value = 1280  # the one cell edited
    edited = io.BytesIO()
    book.save(edited)

    since = bot.cursor
    sent = await bot.control.upload(HEAD, document["file_name"], edited.getvalue())
    summary = await bot.answer(sent["chat_id"], since, expect="những số liệu sẽ thay đổi")
    assert "• Hồ sơ tiếp nhận: 1.180 → 1.280" in summary["text"]
    assert summary["text"].count("→") == 1  # that one change, nothing else
    assert (await stored(bot))["dossiers_received"] == 1180
    saved = await bot.press(HEAD, summary, "Xác nhận", expect="Đã lưu từ")
    assert "số liệu thay đổi: 1" in saved["text"]
    assert (await stored(bot))["dossiers_received"] == 1280
    async with bot.database.unit_of_work() as uow:
        history = await uow.figures.history([COMMUNE], element="dossiers_received")
    assert (history[0].source, history[0].reason) == (Source.IMPORT, document["file_name"])


async def test_in_english_a_file_for_another_unit_or_of_another_kind_changes_nothing(
    bot: BotDriver,
) -> None:
    await bot.make_member(HEAD, COMMUNE, Role.HEAD, name="Hùng")
    bot.server.emulator.upsert_user(HEAD, "Hùng", language_code="en")
    csv_text = "unit,element,period,value\ndak-choong,dossiers_received,2022-11,50\n"
    since = bot.cursor
    sent = await bot.control.upload(HEAD, "dak-choong.csv", csv_text.encode())
    refused = await bot.answer(sent["chat_id"], since, expect="changes the figures of")
    assert "Dak Choong" in refused["text"] or "Đăk Choong" in refused["text"]
    assert "nothing was changed" in refused["text"]
    since = bot.cursor
    sent = await bot.control.upload(HEAD, "figures.pdf", b"%PDF-1.4")
    await bot.answer(sent["chat_id"], since, expect="not a file I can read")
    async with bot.database.unit_of_work() as uow:
        assert await uow.figures.current_of("dak-choong", NOVEMBER) == {}


# --- the previous period's value and the typo guard -------------------------------------------


async def test_a_question_shows_last_months_value_and_asks_once_about_ten_times_it(
    bot: BotDriver,
) -> None:
    await bot.make_member(HEAD, COMMUNE, Role.HEAD, name="Hùng")
    await file_november(bot)
    prompt = await bot.ask(HEAD, "/submit", expect="Anh/chị chọn kỳ báo cáo")
    question = await bot.press(HEAD, prompt, "Tháng 12/2022 (kỳ hiện tại)", expect="Câu 1/")
    while "hồ sơ tiếp nhận (trực tuyến" not in question["text"].lower():
        number = int(re.search(r"Câu (\d+)/", question["text"]).group(1))  # type: ignore[union-attr]
        question = await bot.press(HEAD, question, "Bỏ qua", expect=f"Câu {number + 1}/")
    assert "(tháng trước: 1.180)" in question["text"]
    asked = await bot.ask(HEAD, "11800", expect="chênh lệch nhiều")
    assert "“11.800” chênh lệch nhiều so với tháng trước: 1.180" in asked["text"]
    following = await bot.ask(HEAD, "11800", expect="Câu ")  # the same again: taken
    assert "chênh lệch" not in following["text"]
    assert "Hồ sơ tiếp nhận: 11.800" not in following["text"]


async def test_in_english_a_value_near_last_months_passes_without_a_question(
    bot: BotDriver,
) -> None:
    await bot.make_member(HEAD, COMMUNE, Role.HEAD, name="Hùng")
    await file_november(bot)
    prompt = await bot.ask(HEAD, "/submit", expect="Which period?", language_code="en")
    question = await bot.press(HEAD, prompt, "December 2022 (current)", expect="Question 1 of")
    while "dossiers received (online" not in question["text"].lower():
        number = int(re.search(r"Question (\d+) of", question["text"]).group(1))  # type: ignore[union-attr]
        question = await bot.press(HEAD, question, "Skip", expect=f"Question {number + 1} of")
    assert "(last month: 1,180)" in question["text"]
    following = await bot.ask(HEAD, "1.250", expect="Question ", language_code="en")
    assert "far from" not in following["text"]
