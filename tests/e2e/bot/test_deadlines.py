"""/deadlines end to end: a unit's reports of the year, the days left or overdue, and whether each
is made; administrators name a unit; strangers learn nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from kpi.catalogue import Catalogue
from kpi.periods import Period
from kpi.revisions import Author, Source
from services.figures import submit_figures
from tests.e2e.bot.conftest import ADMIN, BotDriver

LAN = 4501  # head of so-y-te
STRANGER = 4503
NOW = datetime(2022, 6, 10, 3, 0, tzinfo=UTC)  # 10/06/2022, 8 days before H1 is due (18/06)
LAN_AUTHOR = Author("tg:4501", "Nguyễn Thị Lan")


def fix_clock(bot: BotDriver) -> Catalogue:
    assert bot.application is not None
    services = bot.application.services
    services.clock = lambda: NOW
    return services.catalogues.newest


def a_month_of(catalogue: Catalogue, unit: str) -> dict[str, int]:
    """Every element the unit is asked for, with values that pass the rules."""
    asked = [e.code for e in catalogue.elements_for(catalogue.units.get(unit))]
    values = dict.fromkeys(asked, 0)
    typical = {
        "dossiers_received": 30,
        "dossiers_received_online": 12,
        "dossiers_resolved": 20,
        "dossiers_resolved_early": 5,
        "dossiers_resolved_on_time": 14,
        "dossiers_resolved_late": 1,
        "results_synced_national": 20,
        "fee_account_e_receipts": 1,
    }
    values.update({code: v for code, v in typical.items() if code in values})
    return values


async def submit(bot: BotDriver, catalogue: Catalogue, unit: str, month: str) -> None:
    await submit_figures(
        bot.database.unit_of_work,
        catalogue,
        unit,
        Period.parse(month),
        a_month_of(catalogue, unit),
        LAN_AUTHOR,
        Source.CHAT,
        now=NOW,
    )


async def test_a_department_head_sees_the_days_left_then_the_report_made(bot: BotDriver) -> None:
    catalogue = fix_clock(bot)
    await bot.make_member(LAN, "so-y-te", name="Lan")
    await submit(bot, catalogue, "so-y-te", "2022-04")
    await submit(bot, catalogue, "so-y-te", "2022-05")

    answer = await bot.ask(LAN, "/deadlines", language_code="vi")
    lines = answer["text"].splitlines()
    assert lines[0] == "Hạn báo cáo của Sở Y tế:"
    flows = sum(
        e.kind.value == "flow" for e in catalogue.elements_for(catalogue.units.get("so-y-te"))
    )
    assert lines[1] == (
        f"• 6 tháng (đến 14/06/2022): hạn 18/06/2022 — còn 8 ngày — chưa báo cáo"
        f" (thiếu {flows} chỉ tiêu số liệu)"  # June is missing; the stocks were given in May
    )
    assert lines[2].startswith("• 9 tháng (đến 14/09/2022): hạn 18/09/2022 — còn 100 ngày")
    assert lines[3].startswith("• Cả năm (đến 14/12/2022): hạn 18/12/2022")
    assert lines[4].startswith("• Quý I (đến 14/03/2022): hạn 18/03/2022 — quá hạn 84 ngày")
    assert "/submit" in answer["text"]

    await submit(bot, catalogue, "so-y-te", "2022-06")
    made = await bot.ask(LAN, "/deadlines")
    assert "• 6 tháng (đến 14/06/2022): hạn 18/06/2022 — đã báo cáo ✅" in made["text"]

    english = await bot.ask(LAN, "/deadlines", language_code="en")
    assert english["text"].splitlines()[:2] == [
        "Report deadlines of Department of Health:",
        "• Six months (to Jun 14, 2022): due Jun 18, 2022 — reported ✅",
    ]
    assert "84 days overdue — not reported" in english["text"]


async def test_an_administrator_names_a_district_due_on_the_19th(bot: BotDriver) -> None:
    fix_clock(bot)
    answer = await bot.ask(ADMIN, "/deadlines dak-glei")
    assert answer["text"].startswith("Hạn báo cáo của Huyện Đăk Glei:")
    assert (
        "hạn 19/06/2022 — còn 9 ngày — chưa báo cáo (thiếu 20 chỉ tiêu số liệu)"
        in (answer["text"])
    )


async def test_a_member_cannot_see_another_units_deadlines(bot: BotDriver) -> None:
    fix_clock(bot)
    await bot.make_member(LAN, "so-y-te", name="Lan")
    refused = await bot.ask(LAN, "/deadlines dak-glei")
    assert "không thuộc phạm vi của anh/chị" in refused["text"]


async def test_a_stranger_gets_no_deadlines(bot: BotDriver) -> None:
    fix_clock(bot)
    answer = await bot.ask(STRANGER, "/deadlines so-y-te")
    assert "chưa được cấp quyền" in answer["text"]
    assert "Sở Y tế" not in answer["text"]
