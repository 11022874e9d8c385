"""/submit end to end: the form asked one question at a time, bad answers explained, broken rules
named, corrections with their reason, cancel, restarts, and who may use it."""

from __future__ import annotations

from typing import Any

from kpi.access import Role
from kpi.periods import Period
from kpi.revisions import Author, Source
from services.figures import submit_figures
from tests.e2e.bot.conftest import ADMIN, BotDriver

JSON = dict[str, Any]

LAN = 4301  # head of Sở Tư pháp (a department: 16 questions) when a test makes her so
MINH = 4302
DEPARTMENT = "so-tu-phap"
DECEMBER = Period.month(2022, 12)  # the clock is past 2022: the newest catalogue's last month
QUESTIONS = 16  # what the indicators judging Sở Tư pháp read (kpi.scope)
PERIOD_PROMPT = "Anh/chị chọn kỳ báo cáo"
SUMMARY = "Tổng hợp số liệu anh/chị đã nhập"


def question(number: int, total: int = QUESTIONS) -> str:
    return f"Câu {number}/{total}:"


async def open_form(bot: BotDriver, user: int, total: int = QUESTIONS) -> JSON:
    """/submit, then the current month: the first question."""
    prompt = await bot.ask(user, "/submit", expect=PERIOD_PROMPT)
    return await bot.press(user, prompt, "Tháng 12/2022 (kỳ hiện tại)", expect=question(1, total))


async def skip_to(bot: BotDriver, user: int, prompt: JSON, number: int, at: int) -> JSON:
    """Press Skip from question `at` until question `number` (or the summary if past the end)."""
    while at < number:
        at += 1
        expect = question(at) if at <= QUESTIONS else SUMMARY
        prompt = await bot.press(user, prompt, "Bỏ qua", expect=expect)
    return prompt


async def current(bot: BotDriver, element: str, unit: str = DEPARTMENT) -> int | None:
    async with bot.database.unit_of_work() as uow:
        return await uow.figures.current(unit, element, DECEMBER)


async def test_a_department_head_reports_with_bad_answers_explained_and_a_broken_rule_fixed(
    bot: BotDriver,
) -> None:
    await bot.make_member(LAN, DEPARTMENT, Role.HEAD, name="Lan")
    prompt = await bot.ask(LAN, "/submit", expect=PERIOD_PROMPT)
    assert "Sở Tư pháp" in prompt["text"]
    labels = [b["text"] for row in prompt["buttons"] for b in row]
    assert labels[:3] == [
        "Tháng 12/2022 (kỳ hiện tại)",
        "Tháng 11/2022 (kỳ trước)",
        "Quý 4/2022 (cả quý)",
    ]
    assert "Kỳ khác…" in labels
    first = await bot.press(LAN, prompt, "Tháng 12/2022 (kỳ hiện tại)", expect=question(1))
    assert "▸ Thủ tục hành chính" in first["text"]
    assert "Đơn vị tính: thủ tục." in first["text"]
    assert [b["text"] for b in first["buttons"][0]] == ["Bỏ qua", "Quay lại"]

    comma = await bot.ask(LAN, "1,020", expect="dấu phẩy")
    assert "1.020 hoặc 1020" in comma["text"]
    assert question(1) in comma["text"]  # the same question again
    await bot.ask(LAN, "-5", expect="không thể là số âm")
    await bot.ask(LAN, "abc", expect="Cần nhập một số nguyên")
    await bot.ask(LAN, "98,88%", expect="không nhập tỉ lệ phần trăm")
    second = await bot.ask(LAN, "1.020", expect=question(2))
    third = await bot.press(LAN, second, "Bỏ qua", expect=question(3))
    assert "Trong tổng số: TTHC trực tuyến mức 3, 4 là 1.020." in third["text"]
    too_many = await bot.ask(LAN, "1.500", expect="không được lớn hơn")
    assert (
        "TTHC trực tuyến có hồ sơ không được lớn hơn TTHC trực tuyến mức 3, 4"
        in (too_many["text"])
    )
    assert question(3) in too_many["text"]
    prompt = await bot.ask(LAN, "800", expect=question(4))
    assert "▸ Hồ sơ" in prompt["text"]
    await bot.ask(LAN, "1.200 hồ sơ", expect=question(5))
    await bot.ask(LAN, "300", expect=question(6))
    await bot.ask(LAN, "1000", expect=question(7))
    await bot.ask(LAN, "100", expect=question(8))
    await bot.ask(LAN, "800", expect=question(9))
    prompt = await bot.ask(LAN, "50", expect=question(10))
    summary = await skip_to(bot, LAN, prompt, QUESTIONS + 1, at=10)

    assert "• TTHC trực tuyến mức 3, 4: 1.020" in summary["text"]
    assert "• Giải quyết quá hạn: 50" in summary["text"]
    assert "vi phạm quy tắc" in summary["text"]
    assert (
        "trước hạn + đúng hạn + quá hạn phải bằng tổng số hồ sơ đã giải quyết" in (summary["text"])
    )
    labels = [b["text"] for row in summary["buttons"] for b in row]
    assert "Xác nhận" not in labels
    assert "Sửa Giải quyết quá hạn (50)" in labels
    assert await current(bot, "tthc_online") is None  # nothing saved before Confirm

    again = await bot.press(LAN, summary, "Sửa Giải quyết quá hạn (50)", expect=question(9))
    assert "Anh/chị đã nhập: 50." in again["text"]
    fixed = await bot.ask(LAN, "100", expect=SUMMARY)
    assert "vi phạm" not in fixed["text"]
    assert "Tỉ lệ sau khi lưu:" in fixed["text"]
    assert "25,00\u00a0%" in fixed["text"]  # III.2: 300 of 1.200 dossiers received online
    saved = await bot.press(LAN, fixed, "Xác nhận", expect="Đã lưu")
    assert "Sở Tư pháp" in saved["text"]
    assert "số liệu thay đổi: 8" in saved["text"]

    expected = {
        "tthc_online": 1020,
        "tthc_online_eligible": None,
        "tthc_online_with_dossiers": 800,
        "dossiers_received": 1200,
        "dossiers_received_online": 300,
        "dossiers_resolved": 1000,
        "dossiers_resolved_early": 100,
        "dossiers_resolved_on_time": 800,
        "dossiers_resolved_late": 100,
    }
    assert {code: await current(bot, code) for code in expected} == expected
    async with bot.database.unit_of_work() as uow:
        history = await uow.figures.history([DEPARTMENT], element="tthc_online")
    assert [(r.author.id, r.source, r.reason) for r in history] == [
        (f"tg:{LAN}", Source.CHAT, None)
    ]


async def test_a_correction_shows_old_and_new_and_keeps_the_reason(bot: BotDriver) -> None:
    await bot.make_member(LAN, DEPARTMENT, Role.HEAD, name="Lan")
    assert bot.application is not None
    catalogue = bot.application.services.catalogues.newest
    await submit_figures(
        bot.database.unit_of_work,
        catalogue,
        DEPARTMENT,
        DECEMBER,
        {"dossiers_received": 1000, "dossiers_received_online": 200},
        Author("cli:test", "Kiểm thử"),
        Source.CLI,
    )
    first = await open_form(bot, LAN)
    prompt = await skip_to(bot, LAN, first, 4, at=1)
    assert "Hiện tại: 1.000." in prompt["text"]
    prompt = await bot.ask(LAN, "1.100", expect=question(5))
    assert "Hiện tại: 200." in prompt["text"]
    summary = await skip_to(bot, LAN, prompt, QUESTIONS + 1, at=5)
    assert "• Hồ sơ tiếp nhận: 1.000 → 1.100" in summary["text"]
    assert "Hồ sơ tiếp nhận trực tuyến" not in summary["text"]  # skipped: left as it is

    why = await bot.press(LAN, summary, "Xác nhận", expect="lý do")
    assert "Anh/chị đang sửa số liệu đã lưu:" in why["text"]
    assert "• Hồ sơ tiếp nhận: 1.000 → 1.100" in why["text"]
    long = await bot.ask(LAN, "x" * 501, expect="tối đa 500 ký tự")
    assert "dài 501 ký tự" in long["text"]
    assert await current(bot, "dossiers_received") == 1000
    saved = await bot.ask(LAN, "Bổ sung 100 hồ sơ tiếp nhận qua bưu chính", expect="Đã lưu")
    assert "số liệu thay đổi: 1" in saved["text"]

    async with bot.database.unit_of_work() as uow:
        history = await uow.figures.history([DEPARTMENT], element="dossiers_received")
    assert [(r.value, r.previous, r.reason) for r in history] == [
        (1100, 1000, "Bổ sung 100 hồ sơ tiếp nhận qua bưu chính"),
        (1000, None, None),
    ]
    assert await current(bot, "dossiers_received_online") == 200


async def test_the_form_resumes_after_a_restart_of_the_bot(bot: BotDriver) -> None:
    await bot.make_member(LAN, DEPARTMENT, Role.HEAD, name="Lan")
    await open_form(bot, LAN)
    await bot.ask(LAN, "100", expect=question(2))
    third = await bot.ask(LAN, "120", expect=question(3))

    await bot.restart()
    fourth = await bot.press(LAN, third, "Bỏ qua", expect=question(4))  # a button from before
    back = await bot.press(LAN, fourth, "Quay lại", expect=question(3))
    await bot.ask(LAN, "90", expect=question(4))

    await bot.restart()
    summary = await bot.ask(LAN, "30", expect=question(5))
    summary = await skip_to(bot, LAN, summary, QUESTIONS + 1, at=5)
    assert "• TTHC trực tuyến mức 3, 4: 100" in summary["text"]
    assert "• TTHC trực tuyến có hồ sơ: 90" in summary["text"]
    await bot.press(LAN, summary, "Xác nhận", expect="Đã lưu")
    assert await current(bot, "tthc_online") == 100
    assert await current(bot, "tthc_online_eligible") == 120
    assert await current(bot, "tthc_online_with_dossiers") == 90
    assert await current(bot, "dossiers_received") == 30
    stale = await bot.control.press_button(LAN, back, "Bỏ qua")
    await bot.ask(LAN, "/help", expect="/submit")  # handled after the press
    answer = await bot.control.callback_answer(stale["callback_query_id"])
    assert answer is not None
    assert "không còn hiệu lực" in answer["text"]


async def test_cancel_at_any_step_saves_nothing(bot: BotDriver) -> None:
    await bot.make_member(LAN, DEPARTMENT, Role.HEAD, name="Lan")

    prompt = await bot.ask(LAN, "/submit", expect=PERIOD_PROMPT)
    await bot.press(LAN, prompt, "Hủy", expect="Đã hủy. Không có thay đổi nào được lưu.")

    await open_form(bot, LAN)
    await bot.ask(LAN, "1.020", expect=question(2))
    await bot.ask(LAN, "/cancel", expect="Đã hủy. Không có thay đổi nào được lưu.")
    after = await bot.ask(LAN, "42")  # no form any more: the general answer
    assert "Tôi chưa hiểu" in after["text"]

    await open_form(bot, LAN)
    second = await bot.ask(LAN, "1.020", expect=question(2))
    summary = await skip_to(bot, LAN, second, QUESTIONS + 1, at=2)
    await bot.press(LAN, summary, "Hủy", expect="Đã hủy")

    async with bot.database.unit_of_work() as uow:
        revisions = await uow.figures.history([DEPARTMENT])
    assert revisions == []

    await submit_figures(
        bot.database.unit_of_work,
        bot.application.services.catalogues.newest,  # type: ignore[union-attr]
        DEPARTMENT,
        DECEMBER,
        {"tthc_online": 500},
        Author("cli:test", "Kiểm thử"),
        Source.CLI,
    )
    await open_form(bot, LAN)
    second = await bot.ask(LAN, "600", expect=question(2))
    summary = await skip_to(bot, LAN, second, QUESTIONS + 1, at=2)
    await bot.press(LAN, summary, "Xác nhận", expect="lý do")
    await bot.ask(LAN, "/cancel", expect="Đã hủy")
    assert await current(bot, "tthc_online") == 500
    press = await bot.control.press_button(LAN, summary, "Xác nhận")  # the old summary
    await bot.ask(LAN, "/help", expect="/submit")
    answer = await bot.control.callback_answer(press["callback_query_id"])
    assert answer is not None
    assert "không còn hiệu lực" in answer["text"]
    assert await current(bot, "tthc_online") == 500


async def test_a_viewer_is_refused_politely(bot: BotDriver) -> None:
    await bot.make_member(MINH, DEPARTMENT, Role.VIEWER, name="Minh")
    answer = await bot.ask(MINH, "/submit")
    assert "Với vai trò người theo dõi" in answer["text"]
    assert "không được báo cáo" in answer["text"]
    named = await bot.ask(MINH, f"/submit {DEPARTMENT}")
    assert "không thể báo cáo số liệu cho Sở Tư pháp" in named["text"]


async def test_a_stranger_learns_nothing(bot: BotDriver) -> None:
    for command in ("/submit", f"/submit {DEPARTMENT}", "/submit Đăk Long"):
        answer = await bot.ask(MINH, command)
        assert "chưa được cấp quyền" in answer["text"]
        assert "Sở Tư pháp" not in answer["text"]
        assert "Đăk" not in answer["text"]
        assert answer["buttons"] == []


async def test_a_forged_or_stale_button_changes_nothing(bot: BotDriver) -> None:
    await bot.make_member(LAN, "dak-ha", Role.HEAD, name="Lan")
    chat = LAN
    shown = await bot.ask(LAN, "/help")
    since = bot.cursor
    await bot.control.press(LAN, chat, shown["message_id"], "sb:u:so-tu-phap")
    refused = await bot.answer(chat, since, expect="không thể báo cáo số liệu")
    assert "Sở Tư pháp" in refused["text"]
    assert refused["buttons"] == []

    first = await open_form(bot, LAN, total=20)
    assert "Huyện Đăk Hà" in first["text"]

    since = bot.cursor
    token = first["buttons"][0][0]["callback_data"].split(":")[1]
    forged = [
        f"sb:{token}:999:ok",  # a step that never was
        "sb:aaaaaa:1:ok",  # another form
        f"sb:{token}:1:e:999",
        "sb:nonsense",
        "sb:u:so-tu-phap",  # another unit, in the middle of this form
    ]
    presses = [await bot.control.press(LAN, chat, first["message_id"], d) for d in forged]
    await bot.ask(LAN, "/help", expect="/submit")
    for press in presses:
        answer = await bot.control.callback_answer(press["callback_query_id"])
        assert answer is not None
        assert "không còn hiệu lực" in answer["text"]
    said = await bot.said(chat, since)
    assert not any("Câu" in text or "Tổng hợp" in text for text in said)

    second = await bot.ask(LAN, "7", expect=question(2, 20))  # the form is where it was
    assert "Huyện Đăk Hà" in second["text"]
    async with bot.database.unit_of_work() as uow:
        assert await uow.figures.history(["dak-ha", "so-tu-phap"]) == []


async def test_a_group_message_does_not_feed_a_private_form(bot: BotDriver) -> None:
    await bot.make_member(LAN, DEPARTMENT, Role.HEAD, name="Lan")
    group = await bot.control.create_group("Văn phòng", [LAN, MINH])
    await open_form(bot, LAN)
    since = bot.cursor
    await bot.send(LAN, "999", chat_id=group)
    await bot.send(MINH, "888", chat_id=group)
    told = await bot.ask(LAN, "/submit", chat_id=group, expect="cuộc trò chuyện riêng")
    assert told["chat_id"] == group
    assert len(await bot.said(group, since)) == 1

    second = await bot.ask(LAN, "5", expect=question(2))
    third = await bot.press(LAN, second, "Bỏ qua", expect=question(3))
    assert "Trong tổng số: TTHC trực tuyến mức 3, 4 là 5." in third["text"]
    again = await bot.ask(LAN, "/submit", expect="đang nhập dở")
    assert again["chat_id"] == LAN


async def test_an_english_speaking_head_gets_english(bot: BotDriver) -> None:
    await bot.make_member(LAN, DEPARTMENT, Role.HEAD, name="Lan")
    prompt = await bot.ask(LAN, "/submit", expect="Which period?", language_code="en")
    assert "Report the figures of Department of Justice" in prompt["text"]
    first = await bot.press(LAN, prompt, "December 2022 (current)", expect="Question 1 of 16")
    assert "Measure: procedures." in first["text"]
    comma = await bot.ask(LAN, "1,020", expect="comma marks decimals")
    assert "write 1.020 or 1020" in comma["text"]
    await bot.ask(LAN, "1.020", expect="Question 2 of 16")
    back = await bot.ask(LAN, "/submit", expect="already filling in a form")
    assert "/cancel" in back["text"]


async def test_an_administrator_names_the_unit_and_an_ambiguous_name_is_asked_back(
    bot: BotDriver,
) -> None:
    hint = await bot.ask(ADMIN, "/submit")
    assert "/submit so-tu-phap" in hint["text"]
    unknown = await bot.ask(ADMIN, "/submit Sở Không Có")
    assert "Không tìm thấy đơn vị" in unknown["text"]

    which = await bot.ask(ADMIN, "/submit Đăk Long", expect="Có nhiều đơn vị")
    labels = [b["text"] for row in which["buttons"] for b in row]
    assert labels == ["Xã Đăk Long (Huyện Đăk Glei)", "Xã Đăk Long (Huyện Đăk Hà)"]
    prompt = await bot.press(ADMIN, which, "Xã Đăk Long (Huyện Đăk Hà)", expect=PERIOD_PROMPT)
    assert "Xã Đăk Long (Huyện Đăk Hà)" in prompt["text"]
    first = await bot.press(ADMIN, prompt, "Quý 4/2022 (cả quý)", expect=question(1, 18))
    assert "quý 4/2022" in first["text"]
    await bot.ask(ADMIN, "/cancel", expect="Đã hủy")


async def test_a_district_head_may_report_for_a_commune_below_but_not_elsewhere(
    bot: BotDriver,
) -> None:
    await bot.make_member(MINH, "dak-ha", Role.HEAD, name="Minh")
    prompt = await bot.ask(MINH, "/submit Đăk Long", expect="Có nhiều đơn vị")
    assert [b["text"] for row in prompt["buttons"] for b in row] == ["Xã Đăk Long (Huyện Đăk Hà)"]
    refused = await bot.ask(MINH, f"/submit {DEPARTMENT}")
    assert "không thể báo cáo số liệu cho Sở Tư pháp" in refused["text"]
    period = await bot.ask(MINH, "/submit dak-ha-dak-long", expect=PERIOD_PROMPT)
    other = await bot.press(MINH, period, "Kỳ khác…", expect="Anh/chị nhập kỳ báo cáo")
    del other
    await bot.ask(MINH, "2022-13", expect="không phải là kỳ báo cáo")
    await bot.ask(MINH, "2031-Q1", expect="Chưa có chỉ tiêu của năm đó")
    first = await bot.ask(MINH, "2022-Q1", expect=question(1, 18))
    assert "quý 1/2022" in first["text"]


async def test_numbers_with_words_are_expanded_or_refused_never_truncated(
    bot: BotDriver,
) -> None:
    await bot.make_member(LAN, DEPARTMENT, Role.HEAD, name="Lan")
    first = await open_form(bot, LAN)
    prompt = await skip_to(bot, LAN, first, 11, at=1)
    stuck = await bot.ask(LAN, "12abc", expect="“12abc”")
    assert question(11) in stuck["text"]
    notation = await bot.ask(LAN, "1e5", expect="“1e5”")
    assert "100.000" in notation["text"]
    assert "mỗi lần chỉ gửi một số" not in notation["text"]
    await bot.ask(LAN, "10^20", expect="lũy thừa")
    await bot.ask(LAN, "5k", expect="viết tắt")
    prompt = await bot.ask(LAN, "5 nghìn", expect=question(12))
    prompt = await bot.ask(LAN, "2 nghìn hồ sơ", expect=question(13))
    summary = await skip_to(bot, LAN, prompt, QUESTIONS + 1, at=13)
    assert ": 5.000" in summary["text"]
    assert ": 2.000" in summary["text"]
    await bot.press(LAN, summary, "Xác nhận", expect="Đã lưu")
    assert await current(bot, "payments_online") == 5000
    assert await current(bot, "payments_online_national") == 2000


async def test_a_member_made_viewer_mid_form_cannot_save_the_correction_by_typing_its_reason(
    bot: BotDriver,
) -> None:
    await bot.make_member(LAN, DEPARTMENT, Role.MEMBER, name="Lan")
    assert bot.application is not None
    catalogue = bot.application.services.catalogues.newest
    await submit_figures(
        bot.database.unit_of_work,
        catalogue,
        DEPARTMENT,
        DECEMBER,
        {"payments_online": 1000},
        Author("cli:test", "Kiểm thử"),
        Source.CLI,
    )
    first = await open_form(bot, LAN)
    prompt = await skip_to(bot, LAN, first, 11, at=1)
    prompt = await bot.ask(LAN, "1.100", expect=question(12))
    summary = await skip_to(bot, LAN, prompt, QUESTIONS + 1, at=12)
    await bot.press(LAN, summary, "Xác nhận", expect="lý do")
    async with bot.database.unit_of_work() as uow:  # an administrator downgrades her now
        await uow.people.add_membership(LAN, DEPARTMENT, Role.VIEWER)
        await uow.commit()

    refused = await bot.ask(LAN, "Bổ sung hồ sơ qua bưu chính", expect="không thể báo cáo")
    assert "Đã lưu" not in refused["text"]
    assert await current(bot, "payments_online") == 1000
    await bot.ask(LAN, "1.200", expect="/help")  # the form is gone
    assert await current(bot, "payments_online") == 1000
