"""Entering figures as fast as people think, end to end: periods typed as people say them, the
choices that could only be refused never offered, and a conflict naming the periods filed."""

from __future__ import annotations

from typing import Any

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
    assert "Tháng 11/2022" in refused["text"]
    assert "Quý 4/2022" in refused["text"]
    typo = await bot.ask(HEAD, "quý năm", expect="không phải là kỳ báo cáo")
    assert "“quý năm”" in typo["text"]
    first = await bot.ask(HEAD, "T10", expect="Câu 1/")
    assert "Tháng 10/2022" in first["text"]


async def test_in_english_a_typed_period_is_read_and_a_clash_names_the_months(
    bot: BotDriver,
) -> None:
    await bot.make_member(HEAD, COMMUNE, Role.HEAD, name="Hùng")
    await file_november(bot)
    prompt = await bot.ask(HEAD, "/submit", expect="Which period?", language_code="en")
    assert not any(label.startswith("Quarter 4/2022") for label in labels(prompt))
    refused = await bot.ask(HEAD, "Q4/2022", expect="already has figures", language_code="en")
    assert "Month 11/2022" in refused["text"]
    await bot.ask(HEAD, "quý I/2022", expect="Question 1 of", language_code="en")


async def test_status_and_export_take_a_period_written_as_people_say_it(bot: BotDriver) -> None:
    await bot.make_member(HEAD, COMMUNE, Role.HEAD, name="Hùng")
    await file_november(bot)
    status = await bot.ask(HEAD, "/status dak-blo tháng 11", expect="Tháng 11/2022")
    assert "Xã Đăk Blô" in status["text"]
    quarter = await bot.ask(HEAD, "/status quý I/2022", expect="Quý 1/2022")
    assert "Xã Đăk Blô" in quarter["text"]
