"""Reminders end to end: the scheduler's catch-up queues a reminder, the bot's worker delivers
it, its button opens /submit for the period; /mute stops them, /unmute brings them back."""

from __future__ import annotations

from datetime import UTC, datetime

from kpi.access import Role
from tests.e2e.bot.conftest import WAIT, BotDriver

LAN = 4901  # head of Sở Y tế: departments report H1 by 18/06/2022
MORNING = datetime(2022, 6, 11, 1, 30, tzinfo=UTC)  # 08:30 on 11/06, 7 days before
EVE = datetime(2022, 6, 10, 9, 0, tzinfo=UTC)  # the day before: no department reminder due


async def test_a_reminder_arrives_and_its_button_opens_the_form_for_the_period(
    scheduled_bot: BotDriver,
) -> None:
    bot = scheduled_bot
    assert bot.application is not None
    services = bot.application.services
    services.clock = lambda: EVE
    await bot.make_member(LAN, "so-y-te", Role.HEAD, name="Lan")
    await bot.ask(LAN, "/start")
    since = bot.cursor
    services.clock = lambda: MORNING
    runner = bot.application.runner
    assert runner is not None
    await runner.jobs.catch_up()  # as the runner does on start, or its job at 08:00
    runner.notify()
    reminder = await bot.control.wait_for_text(LAN, "Nhắc việc", since, timeout=WAIT)
    assert "Sở Y tế chưa báo cáo số liệu 6 tháng đầu năm 2022" in reminder["text"]
    assert "còn 7 ngày" in reminder["text"]
    form = await bot.press(
        LAN, reminder, "Báo cáo 6 tháng đầu năm 2022", expect="6 tháng đầu năm 2022"
    )
    assert form["buttons"]  # the first question, with its buttons

    assert await runner.jobs.catch_up() == 0  # once only


async def test_mute_stops_the_reminders_and_unmute_brings_them_back(
    scheduled_bot: BotDriver,
) -> None:
    bot = scheduled_bot
    assert bot.application is not None
    services = bot.application.services
    services.clock = lambda: EVE
    await bot.make_member(LAN, "so-y-te", Role.HEAD, name="Lan")
    muted = await bot.ask(LAN, "/mute")
    assert "Đã tắt nhắc việc" in muted["text"]
    services.clock = lambda: MORNING
    runner = bot.application.runner
    assert runner is not None
    await runner.jobs.catch_up()
    async with bot.database.unit_of_work() as uow:
        person = await uow.people.get(LAN)
    assert person is not None
    assert person.muted
    assert not [t for t in await bot.said(LAN, 0) if "Nhắc việc" in t]

    unmuted = await bot.ask(LAN, "/unmute")
    assert "Đã bật nhắc việc" in unmuted["text"]
    async with bot.database.unit_of_work() as uow:
        person = await uow.people.get(LAN)
    assert person is not None
    assert not person.muted
