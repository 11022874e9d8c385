"""Groups and broadcasts through the emulator: the bot added to a group, /subscribe by a head
and refused to a member, /unsubscribe, a group upgraded to a supergroup keeping what it
follows; /broadcast to the commune level reaching everyone once, with a report that counts the
people who blocked the bot."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from bot.handlers.broadcast import report_renderer
from kpi.access import Role
from scheduler.broadcast_report import refresh_reports
from scheduler.delivery import DeliveryWorker
from services import subscriptions as subs
from tests.e2e.bot.conftest import ADMIN, WAIT, BotDriver

HEAD = 5101  # head of Huyện Đăk Glei
MEMBER = 5102  # an official of Huyện Đăk Glei
COMMUNES = {  # commune heads (and one member): who receives a broadcast to the commune level
    5201: "dak-blo",
    5202: "dak-choong",
    5203: "dak-kroong",
    5204: "dak-man",  # blocked the bot long ago: the store knows it
    5205: "dak-mon",  # blocked the bot since: only the delivery finds out
}
SUPERGROUP = -1001234500001


async def eventually(check: Callable[[], Awaitable[object]], expected: object) -> None:
    """Wait (by polling the store, at most WAIT seconds) until `check()` gives `expected`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT
    while (found := await check()) != expected:
        if loop.time() > deadline:
            raise AssertionError(f"{found!r} != {expected!r} after {WAIT} s")
        await asyncio.sleep(0.05)


async def test_a_head_makes_a_group_follow_the_unit_and_it_survives_the_upgrade(
    bot: BotDriver,
) -> None:
    await bot.make_member(HEAD, "dak-glei", Role.HEAD, name="Thủ trưởng")
    await bot.make_member(MEMBER, "dak-glei", Role.MEMBER, name="Cán bộ")
    database = bot.database

    async def chat_active() -> bool | None:
        async with database.unit_of_work() as uow:
            chat = await uow.chats.get(group)
        return None if chat is None else chat.active

    group = await bot.control.create_group("Tổ công tác Đăk Glei", [HEAD, MEMBER])
    await eventually(chat_active, True)  # the bot was told it was added

    refused = await bot.ask(MEMBER, "/subscribe dak-glei", chat_id=group, language_code="en")
    assert "Only the administrators and the head of Dak Glei District" in refused["text"]
    assert await subs.subscriptions(database.unit_of_work, group) == []

    done = await bot.ask(HEAD, "/subscribe", chat_id=group, language_code="en")
    assert "This group now follows Dak Glei District" in done["text"]
    listed = await bot.ask(MEMBER, "/subscriptions", chat_id=group, language_code="en")
    assert "Dak Glei District" in listed["text"]

    private = await bot.ask(HEAD, "/subscribe", language_code="en")
    assert "work in a group" in private["text"]

    await bot.control.faults(migrate={"chat_id": group, "new_chat_id": SUPERGROUP})

    async def followed() -> list[str]:
        return await subs.subscriptions(database.unit_of_work, SUPERGROUP)

    await eventually(followed, ["dak-glei"])
    listed = await bot.ask(MEMBER, "/subscriptions", chat_id=SUPERGROUP, language_code="en")
    assert "Dak Glei District" in listed["text"]

    refused = await bot.ask(MEMBER, "/unsubscribe", chat_id=SUPERGROUP, language_code="en")
    assert "Only the administrators" in refused["text"]
    stopped = await bot.ask(HEAD, "/unsubscribe", chat_id=SUPERGROUP, language_code="en")
    assert "This group no longer follows Dak Glei District" in stopped["text"]
    assert await followed() == []

    await bot.control.faults(kicked_from=[SUPERGROUP])
    group = SUPERGROUP
    await eventually(chat_active, False)  # removed: nothing is sent there any more


async def test_a_broadcast_to_the_communes_reaches_each_once_and_reports_the_blocked(
    bot: BotDriver,
) -> None:
    for user_id, commune in COMMUNES.items():
        await bot.control.create_user(user_id, f"Xã {user_id}")
        await bot.make_member(user_id, commune, Role.HEAD, name=f"Xã {user_id}")
    await bot.control.create_user(5206, "Cán bộ Đăk Blô")
    await bot.make_member(5206, "dak-blo", Role.MEMBER, name="Cán bộ Đăk Blô")
    await bot.make_member(HEAD, "dak-glei", Role.HEAD)  # a district: not in the audience
    async with bot.database.unit_of_work() as uow:
        await uow.people.set_active(5204, False)
        await uow.commit()
    await bot.control.faults(blocked_users=[5204, 5205])

    asked = await bot.ask(ADMIN, "/broadcast", language_code="en")
    assert "Write the message" in asked["text"]
    text = "Đề nghị các xã nộp báo cáo quý II trước ngày 16/6."
    audiences = await bot.ask(ADMIN, text, expect="Who should receive it?", language_code="en")
    preview = await bot.press(ADMIN, audiences, "Commune-level units", expect="will go to")
    assert text in preview["text"]
    assert "6 recipients" in preview["text"]
    assert "1 of them blocked the bot earlier" in preview["text"]
    # the communes of the district without anyone registered are counted, named behind a button
    assert "units have nobody registered" in preview["text"]
    assert "📢 Văn phòng UBND tỉnh Kon Tum" in preview["text"]  # the sender's line
    unreached = await bot.press(ADMIN, preview, "Which units? ▸", expect="with nobody registered")
    assert "• " in unreached["text"]

    since = bot.cursor
    report = await bot.press(ADMIN, preview, "Send to 6", expect="Broadcast #")
    assert "Recipients: 6" in report["text"]
    assert "Blocked the bot: 1" in report["text"]
    assert "Still to send: 5" in report["text"]

    application = bot.application
    assert application is not None
    services = application.services
    database_uow = bot.database.unit_of_work
    worker = DeliveryWorker(database_uow, application.bot, clock=services.clock)
    await worker.drain(timeout=WAIT)

    edited = await refresh_reports(
        database_uow, application.bot, report_renderer(services), clock=services.clock
    )
    assert edited == 1
    final = await bot.control.wait_for_text(ADMIN, "Finished.", since, timeout=WAIT)
    assert final["message_id"] == report["message_id"]  # the same message, edited
    lines = final["text"].splitlines()
    assert "Recipients: 6" in lines
    assert "Delivered: 4" in lines
    assert "Blocked the bot: 2" in lines
    assert "Failed: 0" in lines
    assert (
        await refresh_reports(
            database_uow, application.bot, report_renderer(services), clock=services.clock
        )
        == 0
    )  # finished: not looked at again

    for user_id in (5201, 5202, 5203, 5206):
        assert await bot.said(user_id, 0) == [f"📢 Văn phòng UBND tỉnh Kon Tum\n\n{text}"], user_id
    for user_id in (5204, 5205, HEAD):
        assert text not in await bot.said(user_id, 0)
    async with bot.database.unit_of_work() as uow:
        blocked_since = await uow.people.get(5205)
    assert blocked_since is not None
    assert not blocked_since.active  # the delivery found out


async def test_a_member_cannot_broadcast_and_a_list_names_its_ambiguous_units(
    bot: BotDriver,
) -> None:
    await bot.make_member(MEMBER, "dak-glei", Role.HEAD)
    refused = await bot.ask(MEMBER, "/broadcast", language_code="en")
    assert "for the administrators" in refused["text"]

    audiences = await bot.ask(
        ADMIN, "/broadcast Họp giao ban", expect="Who should receive it?", language_code="en"
    )
    listed = await bot.press(ADMIN, audiences, "A list of units…", expect="separated by commas")
    assert listed
    await bot.restart()  # the draft and the step survive a restart
    problems = await bot.ask(
        ADMIN, "Đăk Long, Nowhere", expect="exactly one unit", language_code="en"
    )
    assert "“Nowhere”: no unit has this name" in problems["text"]
    assert "dak-glei-dak-long" in problems["text"]
    preview = await bot.ask(ADMIN, "dak-glei", expect="will go to", language_code="en")
    assert "1 recipient." in preview["text"]
    cancelled = await bot.press(ADMIN, preview, "Cancel", expect="Nothing was sent")
    assert cancelled
    async with bot.database.unit_of_work() as uow:
        assert await uow.broadcasts.get(1) is None


async def test_the_running_bot_delivers_a_broadcast_and_finishes_its_report_by_itself(
    scheduled_bot: BotDriver,
) -> None:
    bot = scheduled_bot
    for user_id, commune in list(COMMUNES.items())[:3]:
        await bot.control.create_user(user_id, f"Xã {user_id}")
        await bot.make_member(user_id, commune, Role.HEAD, name=f"Xã {user_id}")
    text = "Họp giao ban chuyển đổi số lúc 8 giờ sáng thứ Hai."
    audiences = await bot.ask(
        ADMIN, f"/broadcast {text}", expect="Who should receive it?", language_code="en"
    )
    preview = await bot.press(ADMIN, audiences, "Commune-level units", expect="will go to")
    since = bot.cursor
    report = await bot.press(ADMIN, preview, "Send to 3", expect="Broadcast #")

    final = await bot.control.wait_for_text(ADMIN, "Finished.", since, timeout=WAIT)

    assert final["message_id"] == report["message_id"]
    assert "Delivered: 3" in final["text"].splitlines()
    for user_id in list(COMMUNES)[:3]:
        assert await bot.said(user_id, 0) == [f"📢 Văn phòng UBND tỉnh Kon Tum\n\n{text}"], user_id


async def test_a_forged_subscribe_button_in_a_private_chat_subscribes_nothing(
    bot: BotDriver,
) -> None:
    await bot.make_member(HEAD, "dak-glei", Role.HEAD, name="Trưởng")
    shown = await bot.ask(HEAD, "/help")
    sent = await bot.control.press(HEAD, HEAD, shown["message_id"], "gs:sub:dak-glei")
    await bot.ask(HEAD, "/cancel", expect="Hiện không có thao tác")  # the press was handled
    answer = await bot.control.callback_answer(sent["callback_query_id"])
    assert answer is not None
    assert answer["show_alert"]
    assert await subs.subscriptions(bot.database.unit_of_work, HEAD) == []
    async with bot.database.unit_of_work() as uow:
        assert await uow.chats.get(HEAD) is None
