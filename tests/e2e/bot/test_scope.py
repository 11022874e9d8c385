"""Who is judged on what, end to end (issue 13): a department answers exactly the questions
/submit asks of it, and /report no longer counts it missing; its status lists no sector row of
another department."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from kpi.access import Role
from kpi.elements import ElementKind
from kpi.periods import Period
from services.report import reporting_summary
from tests.e2e.bot.conftest import ADMIN, BotDriver
from tests.e2e.bot.test_status import fix_clock

HUNG = 4601  # head of Sở Ngoại vụ
UNIT = "so-ngoai-vu"
SUMMARY = "Tổng hợp số liệu anh/chị đã nhập"
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
# values that keep every rule: each part within its whole, early + on time + late = resolved
ANSWERS = {
    "tthc_online": 50,
    "tthc_online_eligible": 60,
    "tthc_online_with_dossiers": 20,
    "dossiers_received": 100,
    "dossiers_received_online": 30,
    "dossiers_resolved": 90,
    "dossiers_resolved_early": 10,
    "dossiers_resolved_on_time": 75,
    "dossiers_resolved_late": 5,
    "payment_transactions": 40,
    "payments_online": 10,
    "payments_online_national": 5,
    "tthc_with_fees": 12,
    "tthc_fees_online": 6,
    "tthc_fees_paid_national": 3,
}
SECTOR_ELEMENTS = ("dvc_social_total", "dvc_edu_total", "dvc_health_total", "land_fin_dossiers")


async def test_after_answering_what_submit_asks_a_department_is_not_missing_in_the_report(
    bot: BotDriver,
) -> None:
    catalogue = fix_clock(bot)  # 10/06/2022: the first quarter is the report being collected
    unit = catalogue.units.get(UNIT)
    asked = catalogue.elements_for(unit)
    await bot.make_member(HUNG, UNIT, Role.HEAD, name="Hùng")
    before = await bot.ask(ADMIN, "/report 2022-Q1", expect="Chưa báo cáo")
    assert "Chưa báo cáo (133;" in before["text"]

    prompt = await bot.ask(HUNG, "/submit", expect="Anh/chị chọn kỳ báo cáo")
    await bot.press(HUNG, prompt, "Kỳ khác…", expect="Anh/chị nhập kỳ báo cáo")
    prompt = await bot.ask(HUNG, "2022-Q1", expect=f"Câu 1/{len(asked)}:")
    for number, element in enumerate(asked, start=1):
        text = prompt["text"]
        assert f"Câu {number}/{len(asked)}: {element.name.vi}" in text
        assert not any(catalogue.element(code).name.vi in text for code in SECTOR_ELEMENTS)
        last = number == len(asked)
        expect = SUMMARY if last else f"Câu {number + 1}/{len(asked)}:"
        if element.kind is ElementKind.FLAG:
            prompt = await bot.press(HUNG, prompt, "Có", expect=expect)
        else:
            prompt = await bot.ask(HUNG, str(ANSWERS[element.code]), expect=expect)
    assert "vi phạm" not in prompt["text"]
    await bot.press(HUNG, prompt, "Xác nhận", expect="Đã lưu")

    async with bot.database.unit_of_work() as uow:
        summary = await reporting_summary(
            uow, catalogue, "kon-tum", Period.parse("2022-Q1"), date(2022, 6, 10), ZONE
        )
    mine = next(u for u in summary.units if u.unit == UNIT)
    assert mine.missing == ()
    report = await bot.ask(ADMIN, "/report 2022-Q1", expect="Chưa báo cáo")
    assert "Chưa báo cáo (132;" in report["text"]
    assert "đã báo cáo 1/20" in report["text"]  # the provincial departments

    status = await bot.ask(HUNG, "/status 2022-Q1", expect="Sở Ngoại vụ")
    for code in ("II.1", "II.2", "II.3", "IV.4"):
        assert f" {code} " not in status["text"]
    assert " IV.5 " in status["text"]
