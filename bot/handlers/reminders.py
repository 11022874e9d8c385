"""/mute and /unmute: stop or resume the reminders before and after report deadlines.

Muting concerns reminders (and the escalations and summaries that follow a deadline), not
alerts about a unit's rates. Also here: a reminder's "Report" button pressed while another
form is open (the /submit conversation only starts from it when no form is running).
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.access import Caller, require_person
from bot.context import Context
from bot.notices import REPORT_PATTERN


async def set_muted(context: Context, caller: Caller, muted: bool) -> None:
    async with context.services.database.unit_of_work() as uow:
        if caller.person is None:  # an administrator known from the settings only
            await uow.people.upsert(caller.telegram_id, caller.name)
        await uow.people.set_muted(caller.telegram_id, muted)
        await uow.commit()


async def reply(update: Update, text: str) -> None:
    if update.effective_message is not None:
        await update.effective_message.reply_text(text)


@require_person
async def mute(update: Update, context: Context, caller: Caller) -> None:
    """/mute: no more reminders for this person."""
    await set_muted(context, caller, muted=True)
    await reply(
        update,
        caller.t._(
            "Reminders are off: you will not be reminded of report deadlines. Alerts about"
            " your unit's rates still reach you. Send /unmute to turn reminders back on."
        ),
    )


@require_person
async def unmute(update: Update, context: Context, caller: Caller) -> None:
    """/unmute: reminders again."""
    await set_muted(context, caller, muted=False)
    await reply(
        update,
        caller.t._("Reminders are on: you will be reminded before and after report deadlines."),
    )


@require_person
async def report_while_filling(update: Update, context: Context, caller: Caller) -> None:
    """A reminder's "Report" button while a form is open: finish or cancel it first."""
    del context
    query = update.callback_query
    assert query is not None
    await query.answer(
        caller.t._("You are filling in a form: finish it or send /cancel, then press again."),
        show_alert=True,
    )


def handlers() -> list[BaseHandler[Any, Context, Any]]:
    """The commands of this module, in the order they are tried."""
    return [
        CommandHandler("mute", mute),
        CommandHandler("unmute", unmute),
        CallbackQueryHandler(report_while_filling, pattern=REPORT_PATTERN),
    ]
