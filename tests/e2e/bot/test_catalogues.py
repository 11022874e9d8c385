"""The main journeys on both shipped catalogues (issue 14): the four-level Kon Tum 2022 one and
the two-tier example of 2026 (province, departments, communes, wards and a special zone). Each
test runs on each catalogue and each backend: onboarding, /status, /submit, /report, /export,
reminders with the escalation to the parent unit, and an alert to a group.

Level names come from each catalogue: the two-tier province never shows a district level."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from kpi.access import Role
from kpi.periods import Period
from kpi.revisions import Author, Source
from services.figures import submit_figures
from tests.conftest import CATALOGS
from tests.e2e.bot.conftest import ADMIN, WAIT, BotDriver

JSON = dict[str, Any]
HEAD = 4801  # head of the commune of the journey
PARENT_HEAD = 4802  # head of the commune's parent unit
GROUP_WAIT = 3 * WAIT


@dataclass(frozen=True, slots=True)
class Journey:
    """What a journey needs to know of a catalogue: its year and the units it goes through."""

    path: Path
    year: int
    commune: str  # a unit of the lowest level
    commune_name: str
    parent: str  # the unit above it (the district in Kon Tum, the province when two-tier)
    parent_name: str
    absent: str  # a level name the catalogue must never show ("" when none)


KONTUM = Journey(
    CATALOGS / "kontum-2022.yaml",
    2022,
    "duy-tan",
    "Phường Duy Tân",
    "kon-tum-city",
    "Thành phố Kon Tum",
    "",
)
TWO_TIER = Journey(
    CATALOGS / "example-two-tier-2026.yaml",
    2026,
    "xa-an-binh",
    "Xã An Bình",
    "vi-du",
    "Tỉnh Ví Dụ",
    "cấp huyện",
)


@pytest.fixture(params=[KONTUM, TWO_TIER], ids=["kontum-2022", "two-tier-2026"])
def journey(request: pytest.FixtureRequest) -> Journey:
    value: Journey = request.param
    return value


@pytest.fixture
def catalog_path(journey: Journey) -> Path:
    return journey.path


def at(journey: Journey, month: int, day: int, hour_utc: int) -> datetime:
    return datetime(journey.year, month, day, hour_utc, 0, tzinfo=UTC)


def labels(message: JSON) -> list[str]:
    return [b["text"] for row in message["buttons"] for b in row]


def dossiers(online: int) -> dict[str, int]:
    return {"dossiers_received": 100, "dossiers_received_online": online}


async def submit(bot: BotDriver, journey: Journey, online: int, month: int = 2) -> None:
    assert bot.application is not None
    services = bot.application.services
    await submit_figures(
        bot.database.unit_of_work,
        services.catalogues.for_year(journey.year),
        journey.commune,
        Period.month(journey.year, month),
        dossiers(online),
        Author(f"tg:{HEAD}", "Lan"),
        Source.CHAT,
        now=services.clock(),
        alerts=services.alerts,
    )
    services.outbox_ready()


async def test_a_commune_head_joins_sees_status_and_opens_the_form_and_the_office_reports(
    bot: BotDriver, journey: Journey
) -> None:
    assert bot.application is not None
    bot.application.services.clock = lambda: at(journey, 5, 10, 3)  # Q2 of the catalogue's year
    assert bot.application.services.catalogues.newest.year == journey.year
    invite = await bot.ask(ADMIN, f"/invite {journey.commune_name} head 14", expect="t.me/")
    code = invite["text"].splitlines()[-1].rsplit("=", 1)[-1]
    joined = await bot.ask(HEAD, f"/start {code}", first_name="Lan")
    assert f"Anh/chị đã tham gia {journey.commune_name}" in joined["text"]

    await submit(bot, journey, online=40, month=4)
    status = await bot.ask(HEAD, "/status", expect=journey.commune_name)
    assert "III.2" in status["text"]

    prompt = await bot.ask(HEAD, "/submit", expect="Anh/chị chọn kỳ báo cáo")
    current = next(label for label in labels(prompt) if "(kỳ hiện tại)" in label)
    first = await bot.press(HEAD, prompt, current, expect="Câu 1/")
    assert journey.commune_name in first["text"] or "Câu 1/" in first["text"]

    report = await bot.ask(ADMIN, "/report", expect="Cấp xã")
    assert "Cấp xã" in report["text"]
    if journey.absent:
        assert journey.absent not in report["text"].lower()
    assert any("cấp xã" in label for label in labels(report))  # the ranking of the level

    exported = await bot.ask(ADMIN, "/export", expect="Báo cáo của")
    content = await bot.control.download(exported["document"]["url"])
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    cells = {
        str(cell.value)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    }
    assert "Cấp xã" in cells
    assert journey.commune_name in cells
    if journey.absent:
        assert "Cấp huyện" not in cells


async def test_reminders_escalate_to_the_parent_and_an_alert_reaches_its_group(
    scheduled_bot: BotDriver, journey: Journey
) -> None:
    bot = scheduled_bot
    assert bot.application is not None
    services = bot.application.services
    services.clock = lambda: at(journey, 2, 10, 3)  # 10:00 on 10/02, in Q1
    await bot.make_member(HEAD, journey.commune, Role.HEAD, name="Lan")
    await bot.make_member(PARENT_HEAD, journey.parent, Role.HEAD, name="Minh")
    await bot.ask(HEAD, "/start")
    await bot.ask(PARENT_HEAD, "/start")
    group = await bot.control.create_group("Tổ công tác", [HEAD, PARENT_HEAD])
    async with bot.database.unit_of_work() as uow:
        await uow.chats.joined(group, "Tổ công tác", "group", services.clock())
        assert await uow.chats.subscribe(group, journey.parent, HEAD, services.clock())
        await uow.commit()
    since = bot.cursor

    await submit(bot, journey, online=5)  # 5 % online against 25 %: an alert
    alert = await bot.control.wait_for_text(HEAD, "chỉ tiêu chưa đạt", since, timeout=WAIT)
    assert journey.commune_name in alert["text"]
    # a group following the parent hears of it: of the commune under a district; of the
    # province itself when the province is the parent (a root's group hears only its own lines)
    await bot.control.wait_for_text(group, journey.parent_name, since, timeout=GROUP_WAIT)

    since = bot.cursor
    services.clock = lambda: at(journey, 3, 17, 1)  # 08:00 on 17/03: Q1 was due on 16/03
    runner = bot.application.runner
    assert runner is not None
    await runner.jobs.catch_up()
    runner.notify()
    reminder = await bot.control.wait_for_text(HEAD, "Nhắc việc", since, timeout=WAIT)
    assert journey.commune_name in reminder["text"]
    escalation = await bot.control.wait_for_text(
        PARENT_HEAD, "đơn vị cấp xã thuộc", since, timeout=WAIT
    )
    assert journey.parent_name in escalation["text"]
    assert journey.commune_name in escalation["text"]
