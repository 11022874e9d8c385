"""Alerts end to end: a submission that drops a commune below target reaches its head and the
group that follows its district once, through the bot's own scheduler and delivery worker; a
correction that recovers sends one recovery; sweeping again sends nothing more."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import func, select

from kpi.access import Role
from kpi.catalogue import Catalogue
from kpi.periods import Period
from kpi.revisions import Author, Source
from services.alerts import sweep_alerts
from services.figures import submit_figures
from storage.tables import outbox_table
from tests.e2e.bot.conftest import WAIT, BotDriver

HEAD = 4701  # head of Phường Duy Tân (Thành phố Kon Tum)
NOW = datetime(2022, 2, 10, 3, 0, tzinfo=UTC)  # 10:00 in the province, in Q1 2022
LAN = Author("tg:4701", "Lan")
GROUP_WAIT = 3 * WAIT  # a group gets 20 messages a minute: four alerts take ten seconds


def dossiers(online: int) -> dict[str, int]:
    return {
        "dossiers_received": 100,
        "dossiers_received_online": online,
        "dossiers_resolved": 0,
        "dossiers_resolved_early": 0,
        "dossiers_resolved_on_time": 0,
        "dossiers_resolved_late": 0,
    }


async def submit(bot: BotDriver, catalogue: Catalogue, online: int) -> None:
    """As /submit saves: the figures and the alert check in one transaction, then a nudge."""
    assert bot.application is not None
    services = bot.application.services
    await submit_figures(
        bot.database.unit_of_work,
        catalogue,
        "duy-tan",
        Period.parse("2022-02"),
        dossiers(online),
        LAN,
        Source.CHAT,
        now=services.clock(),
        alerts=services.alerts,
    )
    services.outbox_ready()


async def queued(bot: BotDriver) -> int:
    async with bot.database.unit_of_work() as uow:
        connection = await uow.session.connection()
        result = await connection.execute(select(func.count()).select_from(outbox_table))
        return int(result.scalar_one())


async def delivered(bot: BotDriver) -> None:
    """Wait until the outbox holds nothing pending or sending (at most WAIT seconds)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + GROUP_WAIT
    while True:
        async with bot.database.unit_of_work() as uow:
            connection = await uow.session.connection()
            result = await connection.execute(
                select(func.count())
                .select_from(outbox_table)
                .where(outbox_table.c.state.in_(["pending", "sending"]))
            )
            if result.scalar_one() == 0:
                return
        if loop.time() > deadline:
            raise AssertionError(f"the outbox was not delivered within {WAIT} s")
        await asyncio.sleep(0.05)


def about(texts: list[str], unit: str) -> list[str]:
    """The first glyph of each alert about `unit` (named first in its headline)."""
    return [t.split()[0] for t in texts if t.startswith((f"⚠️ {unit} ", f"✅ {unit} "))]


async def test_an_alert_and_its_recovery_reach_the_head_and_the_group_once(
    scheduled_bot: BotDriver,
) -> None:
    bot = scheduled_bot
    assert bot.application is not None
    services = bot.application.services
    services.clock = lambda: NOW
    catalogue = services.catalogues.newest
    await bot.make_member(HEAD, "duy-tan", Role.HEAD, name="Lan")
    await bot.ask(HEAD, "/start")
    group = await bot.control.create_group("Tổ công tác Thành phố Kon Tum", [HEAD])
    async with bot.database.unit_of_work() as uow:
        await uow.chats.joined(group, "Tổ công tác Thành phố Kon Tum", "group", NOW)
        assert await uow.chats.subscribe(group, "kon-tum-city", HEAD, NOW)
        await uow.commit()
    since = bot.cursor

    await submit(bot, catalogue, online=5)  # 5 % online against 25 %
    alert = await bot.control.wait_for_text(HEAD, "chỉ tiêu chưa đạt", since, timeout=WAIT)
    assert "Phường Duy Tân" in alert["text"]
    assert "5,00\u00a0% (chỉ tiêu 25\u00a0%) · cần thêm 27 hồ sơ" in alert["text"]
    assert "cần thêm" in alert["text"]
    assert "dự kiến cuối năm " in alert["text"]  # the pace of the year so far
    await bot.control.wait_for_text(group, "Phường Duy Tân", since, timeout=GROUP_WAIT)

    await submit(bot, catalogue, online=100)  # a correction: 100 %
    await bot.control.wait_for_text(HEAD, "chỉ tiêu đã đạt lại", since, timeout=WAIT)
    await bot.control.wait_for_text(group, "chỉ tiêu đã đạt lại", since, timeout=GROUP_WAIT)

    before = await queued(bot)
    writer_zone = services.settings.tzinfo
    runner = bot.application.runner
    assert runner is not None
    await sweep_alerts(bot.database.unit_of_work, catalogue, NOW, runner.jobs.writer, writer_zone)
    assert await queued(bot) == before  # nothing new to say
    await delivered(bot)

    commune = "Phường Duy Tân (Thành phố Kon Tum)"
    assert about(await bot.said(HEAD, since), commune) == ["⚠️", "✅"]
    assert about(await bot.said(group, since), commune) == ["⚠️", "✅"]
    assert about(await bot.said(group, since), "Thành phố Kon Tum") == ["⚠️", "✅"]
    assert about(await bot.said(HEAD, since), "Thành phố Kon Tum") == []


async def test_the_alert_button_opens_the_status_of_the_unit(scheduled_bot: BotDriver) -> None:
    bot = scheduled_bot
    assert bot.application is not None
    services = bot.application.services
    services.clock = lambda: NOW
    catalogue = services.catalogues.newest
    await bot.make_member(HEAD, "duy-tan", Role.HEAD, name="Lan")
    await bot.ask(HEAD, "/start")
    since = bot.cursor
    await submit(bot, catalogue, online=5)
    alert = await bot.control.wait_for_text(HEAD, "Phường Duy Tân", since, timeout=WAIT)
    status = await bot.press(HEAD, alert, "Xem kết quả", expect="III.2")
    assert "Duy Tân" in status["text"]
