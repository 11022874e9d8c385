"""The bot's skeleton end to end: strangers, /help, /lang, invites, the menus, duplicates,
errors and persistence across a restart."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from enum import StrEnum
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, ConversationHandler, MessageHandler, filters

from bot.access import Caller, require_admin, require_person
from bot.context import Context
from bot.handlers import MODULES
from bot.handlers.basics import cancel_fallback
from kpi.access import Invite, Role
from sandbox.testing import TEST_BOT_ID, TEST_TOKEN
from services import access
from tests.e2e.bot.conftest import ADMIN, WAIT, BotDriver

LAN = 4201  # a stranger until a test says otherwise
MINH = 4202
STRANGER_ID = 4203


async def test_a_stranger_is_told_how_to_get_access(bot: BotDriver) -> None:
    answer = await bot.ask(LAN, "/start", first_name="Lan", language_code="vi")
    assert "chưa được cấp quyền" in answer["text"]
    assert "Văn phòng UBND tỉnh" in answer["text"]
    assert "/help" in answer["text"]
    assert "/submit" not in answer["text"]


async def test_help_speaks_vietnamese_by_default(bot: BotDriver) -> None:
    answer = await bot.ask(LAN, "/help")
    assert "Các lệnh:" in answer["text"]
    assert "/lang: Chọn ngôn ngữ" in answer["text"]


async def test_help_speaks_english_to_a_telegram_set_to_english(bot: BotDriver) -> None:
    answer = await bot.ask(LAN, "/help", language_code="en-US")
    assert "Commands:" in answer["text"]
    assert "You do not have access yet" in answer["text"]


async def test_lang_switches_the_language_of_the_answers(bot: BotDriver) -> None:
    menu = await bot.ask(LAN, "/lang", language_code="vi")
    assert menu["text"] == "Anh/chị chọn ngôn ngữ:"
    assert [b["text"] for b in menu["buttons"][0]] == ["Tiếng Việt", "English"]

    confirmed = await bot.press(LAN, menu, "English", expect="answer you in English")
    assert confirmed["message_id"] == menu["message_id"]
    assert "Commands:" in (await bot.ask(LAN, "/help", language_code="vi"))["text"]

    menu = await bot.ask(LAN, "/lang")
    await bot.press(LAN, menu, "Tiếng Việt", expect="bằng tiếng Việt")
    assert "Các lệnh:" in (await bot.ask(LAN, "/help", language_code="en"))["text"]


async def head_invite(bot: BotDriver, days_ago: int = 0, days: int = 7) -> Invite:
    """An invite to Đăk Hà as its head, given `days_ago` days before the bot's now."""
    assert bot.application is not None
    services = bot.application.services
    given = services.clock() - timedelta(days=days_ago)
    return await access.create_invite(
        bot.database.unit_of_work,
        services.catalogues.newest,
        "dak-ha",
        Role.HEAD,
        "test",
        given,
        days,
    )


async def test_an_invite_link_makes_a_stranger_a_member_of_the_unit(bot: BotDriver) -> None:
    invite = await head_invite(bot)
    joined = await bot.ask(LAN, f"/start {invite.code}", first_name="Lan")
    assert "Anh/chị đã tham gia" in joined["text"]
    assert "thủ trưởng đơn vị" in joined["text"]
    assert "/submit" in joined["text"]

    again = await bot.ask(LAN, f"/start {invite.code}")
    assert "đã là thành viên" in again["text"]
    used = await bot.ask(MINH, f"/start {invite.code}", language_code="en")
    assert "already been used" in used["text"]
    unknown = await bot.ask(MINH, "/start AAAAAAAAAAAAAAAA", language_code="en")
    assert "not valid" in unknown["text"]

    welcome = await bot.ask(LAN, "/start")
    assert "Xin chào anh/chị Lan." in welcome["text"]
    assert "thủ trưởng đơn vị" in welcome["text"]


async def test_an_expired_invite_is_refused_in_vietnamese_and_binds_nobody(
    bot: BotDriver,
) -> None:
    invite = await head_invite(bot, days_ago=8, days=7)
    refused = await bot.ask(LAN, f"/start {invite.code}", first_name="Lan")
    assert "đã hết hạn" in refused["text"]

    status = await bot.ask(LAN, "/status")
    assert "chưa được cấp quyền" in status["text"]


async def test_cancel_outside_a_conversation_says_there_is_nothing_to_cancel(
    bot: BotDriver,
) -> None:
    answer = await bot.ask(LAN, "/cancel", language_code="en")
    assert answer["text"] == "There is nothing to cancel."


async def test_the_command_menu_is_published_in_vietnamese_english_and_for_admins(
    bot: BotDriver,
) -> None:
    vietnamese = await bot.bot_api("getMyCommands")
    english = await bot.bot_api("getMyCommands", language_code="en")
    admins = await bot.bot_api("getMyCommands", scope={"type": "chat", "chat_id": ADMIN})
    assert {c["command"] for c in vietnamese} == {
        "status",
        "submit",
        "history",
        "deadlines",
        "mute",
        "unmute",
        "export",
        "roadmap",
        "sections",
        "chart",
        "subscribe",
        "help",
        "lang",
        "cancel",
    }
    assert {"command": "help", "description": "Giới thiệu và danh sách lệnh"} in vietnamese
    assert {"command": "help", "description": "What this bot does and its commands"} in english
    assert {"invite", "units", "status", "help", "broadcast"} <= {c["command"] for c in admins}


async def test_an_administrator_added_later_gets_the_full_menu_with_the_welcome(
    bot: BotDriver,
) -> None:
    await bot.make_admin(MINH, "Chị Hoa")
    welcome = await bot.ask(MINH, "/start", first_name="Hoa")
    assert "quản trị viên" in welcome["text"]
    assert "/invite" in welcome["text"]
    await bot.ask(MINH, "/help", expect="/units")  # handled after the menu was set
    menu = await bot.bot_api("getMyCommands", scope={"type": "chat", "chat_id": MINH})
    assert {"invite", "units"} <= {c["command"] for c in menu}


async def test_an_update_delivered_twice_is_handled_once(bot: BotDriver) -> None:
    since = bot.cursor
    await bot.deliver_twice(LAN, "/help")
    await bot.ask(LAN, "/cancel", expect="Hiện không có thao tác")  # handled after both copies
    said = await bot.said(LAN, since)
    assert sum("Các lệnh:" in text for text in said) == 1, said


async def test_people_are_answered_after_the_bot_api_restarted_its_update_ids(
    bot: BotDriver,
) -> None:
    emulator_bot = bot.server.emulator.bots[TEST_BOT_ID]
    first_id = emulator_bot.next_update_id
    await bot.ask(LAN, "/help", expect="Các lệnh:")
    await bot.ask(MINH, "/help", expect="Các lệnh:")
    await bot.stop()
    emulator_bot.next_update_id = first_id  # the Bot API starts its ids again
    await bot.restart()
    await bot.ask(MINH, "/start", expect="chưa được cấp quyền")
    await bot.ask(LAN, "/cancel", expect="Hiện không có thao tác")


async def test_the_leading_process_prunes_updates_older_than_the_duplicate_window(
    scheduled_bot: BotDriver,
) -> None:
    bot = scheduled_bot
    assert bot.application is not None
    now = bot.application.services.clock()
    async with bot.database.unit_of_work() as uow:
        await uow.updates.claim(TEST_BOT_ID, 1, now - timedelta(days=2))
        await uow.updates.claim(TEST_BOT_ID, 2, now - timedelta(hours=1))
        await uow.commit()
    await bot.restart()  # the leader prunes when it starts leading, then hourly
    since = now - timedelta(days=3)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT
    while True:
        async with bot.database.unit_of_work() as uow:
            old = await uow.updates.claim(TEST_BOT_ID, 1, now, since=since)
            recent = await uow.updates.claim(TEST_BOT_ID, 2, now, since=since)
        if old or loop.time() > deadline:
            break
        await asyncio.sleep(0.05)  # a deadline for the leader's first round, not a clock
    assert (old, recent) == (True, False)


async def test_a_file_or_a_photo_sent_outside_a_conversation_is_answered_helpfully(
    bot: BotDriver,
) -> None:
    await bot.make_member(LAN, "so-y-te", name="Lan")
    since = bot.cursor
    await bot.control.upload(LAN, "so-lieu.xlsx", b"PK\x03\x04 not really")
    # a file is read as figures (issue 15): one that cannot be read is answered by name
    file_answer = await bot.answer(LAN, since, expect="Không đọc được “so-lieu.xlsx”")
    assert "Đã lưu" not in file_answer["text"]
    since = bot.cursor
    emulator_bot = bot.server.emulator.bots[TEST_BOT_ID]
    update_id = emulator_bot.next_update_id
    emulator_bot.next_update_id += 1
    photo = {"file_id": "p1", "file_unique_id": "u1", "width": 1, "height": 1}
    chat = {"id": LAN, "type": "private", "first_name": "Lan"}
    sender = {"id": LAN, "is_bot": False, "first_name": "Lan", "language_code": "vi"}
    message = {"message_id": 900, "date": 1, "chat": chat, "from": sender, "photo": [photo]}
    emulator_bot.updates.append({"update_id": update_id, "message": message})
    emulator_bot.notifier.notify()
    photo_answer = await bot.answer(LAN, since, expect="chỉ đọc tin nhắn văn bản")
    assert "/help" in photo_answer["text"]
    await bot.control.upload(STRANGER_ID, "a.csv", b"x")
    await bot.answer(STRANGER_ID, since, expect="chưa được cấp quyền")


async def _fail(update: Update, context: Context) -> None:
    del update, context
    raise ZeroDivisionError("a bug in a handler")


def _failing() -> list[BaseHandler[Any, Context, Any]]:
    return [CommandHandler("fail", _fail)]


async def test_an_error_in_a_handler_apologises_and_reports_to_the_administrators(
    bot: BotDriver,
) -> None:
    await bot.restart(modules=(_failing, *MODULES))
    since = bot.cursor
    apology = await bot.ask(LAN, "/fail", language_code="en")
    assert apology["text"].startswith("Sorry, something went wrong")

    report = await bot.answer(ADMIN, since, expect="Đã xảy ra lỗi")
    assert "ZeroDivisionError: a bug in a handler" in report["text"]
    assert "message /fail" in report["text"]
    assert TEST_TOKEN not in report["text"]

    answer = await bot.ask(LAN, "/help", language_code="en")  # and the bot keeps running
    assert "Commands:" in answer["text"]


async def test_the_same_error_caused_again_and_again_reaches_the_administrators_once(
    bot: BotDriver,
) -> None:
    await bot.restart(modules=(_failing, *MODULES))
    since = bot.cursor
    for _ in range(3):
        await bot.ask(LAN, "/fail", expect="Xin lỗi")
    await bot.answer(ADMIN, since, expect="Đã xảy ra lỗi")
    await bot.ask(LAN, "/help", expect="Các lệnh:")  # handled after the three
    reports = [text for text in await bot.said(ADMIN, since) if "Đã xảy ra lỗi" in text]
    assert len(reports) == 1


@require_admin
async def _admins_only(update: Update, context: Context, caller: Caller) -> None:
    del context
    assert update.effective_message is not None
    await update.effective_message.reply_text(f"admin {caller.telegram_id}")


@require_person
async def _members_only(update: Update, context: Context, caller: Caller) -> None:
    del context
    assert update.effective_message is not None
    await update.effective_message.reply_text(f"member {caller.telegram_id}")


def _guarded() -> list[BaseHandler[Any, Context, Any]]:
    return [CommandHandler("secret", _admins_only), CommandHandler("mine", _members_only)]


async def test_guarded_commands_answer_only_the_people_they_are_for(bot: BotDriver) -> None:
    await bot.restart(modules=(_guarded, *MODULES))
    assert "chưa được cấp quyền" in (await bot.ask(LAN, "/mine"))["text"]
    assert "chưa được cấp quyền" in (await bot.ask(LAN, "/secret"))["text"]

    await bot.make_member(LAN, "dak-ha")
    assert (await bot.ask(LAN, "/mine"))["text"] == f"member {LAN}"
    refused = await bot.ask(LAN, "/secret", language_code="en")
    assert "for the administrators" in refused["text"]

    await bot.make_admin(MINH)
    assert (await bot.ask(MINH, "/secret"))["text"] == f"admin {MINH}"
    assert (await bot.ask(ADMIN, "/secret"))["text"] == f"admin {ADMIN}"


class Probe(StrEnum):
    ASKED = "asked"


async def _probe(update: Update, context: Context) -> Probe:
    del context
    assert update.effective_message is not None
    await update.effective_message.reply_text("what is your answer?")
    return Probe.ASKED


async def _answered(update: Update, context: Context) -> int:
    assert update.effective_message is not None
    assert context.user_data is not None
    answers = [*context.user_data.get("answers", []), update.effective_message.text]
    context.user_data["answers"] = answers
    await update.effective_message.reply_text(
        f"noted {update.effective_message.text}; {len(answers)} answer(s)"
    )
    return ConversationHandler.END


def _conversation() -> list[BaseHandler[Any, Context, Any]]:
    return [
        ConversationHandler(
            entry_points=[CommandHandler("probe", _probe)],
            states={Probe.ASKED: [MessageHandler(filters.TEXT & ~filters.COMMAND, _answered)]},
            fallbacks=[cancel_fallback()],
            name="probe",
            persistent=True,
        )
    ]


async def test_a_conversation_and_user_data_survive_a_restart(bot: BotDriver) -> None:
    await bot.restart(modules=(_conversation, *MODULES))
    await bot.ask(LAN, "/probe", expect="what is your answer?")
    await bot.restart(modules=(_conversation, *MODULES))
    assert (await bot.ask(LAN, "42"))["text"] == "noted 42; 1 answer(s)"

    await bot.ask(LAN, "/probe", expect="what is your answer?")
    await bot.restart(modules=(_conversation, *MODULES))
    assert (await bot.ask(LAN, "43"))["text"] == "noted 43; 2 answer(s)"


async def test_cancel_ends_a_conversation(bot: BotDriver) -> None:
    await bot.restart(modules=(_conversation, *MODULES))
    await bot.ask(LAN, "/probe", expect="what is your answer?")
    assert (await bot.ask(LAN, "/cancel"))["text"] == "Đã hủy. Không có thay đổi nào được lưu."
    answer = await bot.ask(LAN, "42")  # no conversation any more: the general answer
    assert "chưa được cấp quyền" in answer["text"]
