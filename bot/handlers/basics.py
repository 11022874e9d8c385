"""/start (with or without an invite code), /help, /lang, /cancel, and the answer to anything
else; the only handlers a stranger reaches."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
)
from telegram.ext import filters as f

from bot.access import (
    Caller,
    identify_caller,
    reply,
    role_name,
    stranger_text,
    unit_name,
)
from bot.commands import Audience, command_lines, publish_admin_menu
from bot.context import Context
from i18n.translations import Translator, translator
from kpi.access import Person
from services import access as people
from services.access import Outcome

LANGUAGE_BUTTONS = (("Tiếng Việt", "vi"), ("English", "en"))
LANGUAGE_PREFIX = "lang:"


def audience_of(caller: Caller) -> Audience:
    if caller.is_admin:
        return Audience.ADMINS
    return Audience.MEMBERS if caller.is_member else Audience.EVERYONE


def commands_text(caller: Caller) -> str:
    t = caller.t
    return t._("Commands:") + "\n" + command_lines(audience_of(caller), t)


def memberships_text(person: Person | None, context: Context, t: Translator) -> str:
    if person is None:
        return ""
    return "\n".join(
        t._(
            "• {unit}: {role}",
            unit=unit_name(m.unit, context, t.language),
            role=role_name(m.role, t),
        )
        for m in person.memberships
    )


def welcome_text(caller: Caller, context: Context) -> str:
    t = caller.t
    parts = [t._("Hello, {name}.", name=caller.name)]
    if caller.is_admin:
        parts.append(
            t._(
                "You are an administrator: you see every unit, invite unit heads and"
                " officials, and follow who has not reported."
            )
        )
    if caller.is_member:
        parts.append(
            t._("You follow these units:") + "\n" + memberships_text(caller.person, context, t)
        )
    parts.append(commands_text(caller))
    return "\n\n".join(parts)


async def start(update: Update, context: Context) -> None:
    """/start: welcome a known person, explain access to a stranger; /start CODE: join."""
    caller = await identify_caller(update, context)
    if caller is None:
        return
    if context.args:
        await redeem(update, context, caller, context.args[0])
        return
    if caller.is_stranger:
        await reply(update, stranger_text(caller.t) + "\n\n" + commands_text(caller))
        return
    await reply(update, welcome_text(caller, context))
    if caller.is_admin:  # their menu could not be set before they opened this chat
        await publish_admin_menu(
            context.bot, caller.telegram_id, context.services.settings.default_language
        )


async def redeem(update: Update, context: Context, caller: Caller, code: str) -> None:
    """Bind the caller to the invite's unit, or say clearly why not."""
    services = context.services
    result = await people.redeem_invite(
        services.database.unit_of_work,
        code,
        caller.telegram_id,
        caller.name,
        now=services.clock(),
    )
    t = caller.t
    outcome = result.outcome
    if result.unit is not None and result.role is not None:
        unit = unit_name(result.unit, context, t.language)
        role = role_name(result.role, t)
        context.caller = None  # they are someone else now
        joined = await identify_caller(update, context)
        assert joined is not None
        if outcome is Outcome.JOINED:
            text = t._("Welcome! You have joined {unit} as {role}.", unit=unit, role=role)
        else:
            text = t._(
                "You are already a member of {unit} as {role}: the invite was not needed.",
                unit=unit,
                role=role,
            )
        await reply(update, text + "\n\n" + commands_text(joined))
        return
    texts = {
        Outcome.UNKNOWN: t._(
            "This invite code is not valid. Check the link, or ask the Provincial People's"
            " Committee Office for a new one."
        ),
        Outcome.USED: t._(
            "This invite has already been used: each invite works once. Ask the Provincial"
            " People's Committee Office for a new link."
        ),
        Outcome.EXPIRED: t._(
            "This invite has expired. Ask the Provincial People's Committee Office for a new link."
        ),
    }
    await reply(update, texts.get(outcome, texts[Outcome.UNKNOWN]))


async def help_command(update: Update, context: Context) -> None:
    """/help: what the bot does and the caller's commands."""
    caller = await identify_caller(update, context)
    if caller is None:
        return
    t = caller.t
    if caller.is_stranger:
        await reply(update, stranger_text(t) + "\n\n" + commands_text(caller))
        return
    about = t._(
        "I help your unit follow its administrative-reform targets: the rates reached, what"
        " is still needed, and the figures to report each month and quarter."
    )
    await reply(update, about + "\n\n" + commands_text(caller))


async def choose_language(update: Update, context: Context) -> None:
    """/lang: two buttons, Tiếng Việt and English."""
    caller = await identify_caller(update, context)
    if caller is None or update.effective_message is None:
        return
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(label, callback_data=f"{LANGUAGE_PREFIX}{code}")
                for label, code in LANGUAGE_BUTTONS
            ]
        ]
    )
    await update.effective_message.reply_text(
        caller.t._("Choose your language:"), reply_markup=keyboard
    )


async def language_chosen(update: Update, context: Context) -> None:
    """A language button: remember the choice and confirm it in that language."""
    query = update.callback_query
    caller = await identify_caller(update, context)
    if query is None or query.data is None or caller is None:
        return
    language = query.data.removeprefix(LANGUAGE_PREFIX)
    if language not in {code for _, code in LANGUAGE_BUTTONS}:
        await query.answer()
        return
    services = context.services
    await people.set_language(
        services.database.unit_of_work, caller.telegram_id, caller.name, language
    )
    context.caller = None
    t = translator(language)
    names = {"vi": t._("Vietnamese"), "en": t._("English")}
    text = t._("From now on I will answer you in {language}.", language=names[language])
    await query.answer(text)
    await query.edit_message_text(text)


async def cancel(update: Update, context: Context) -> None:
    """/cancel outside any conversation: nothing to cancel."""
    caller = await identify_caller(update, context)
    if caller is None:
        return
    await reply(update, caller.t._("There is nothing to cancel."))


async def cancelled(update: Update, context: Context) -> int:
    """/cancel inside a conversation: end it."""
    caller = await identify_caller(update, context)
    if caller is not None:
        await reply(update, caller.t._("Cancelled. Nothing was changed."))
    return ConversationHandler.END


def cancel_fallback() -> CommandHandler[Context, object]:
    """Put this in every ConversationHandler's fallbacks: /cancel ends the conversation."""
    return CommandHandler[Context, object]("cancel", cancelled)


async def anything_else(update: Update, context: Context) -> None:
    """A private message no handler took: point to /help (or explain access to a stranger)."""
    caller = await identify_caller(update, context)
    if caller is None:
        return
    if caller.is_stranger:
        await reply(update, stranger_text(caller.t))
        return
    await reply(update, caller.t._("I did not understand that. Type /help to see the commands."))


async def not_text(update: Update, context: Context) -> None:
    """A private message that is not text (a file, a photo, a sticker, a voice message...) no
    handler took: say what the bot reads."""
    caller = await identify_caller(update, context)
    message = update.effective_message
    if caller is None or message is None:
        return
    t = caller.t
    if caller.is_stranger:
        await reply(update, stranger_text(t))
        return
    if message.document is not None:
        text = t._(
            "I do not read files sent here. Report figures with /submit, one question at a"
            " time; the provincial office imports CSV and Excel files with the command line."
        )
    else:
        text = t._(
            "I read only text and buttons: type a command, for example /status or /submit."
            " Type /help to see the commands."
        )
    await reply(update, text)


def handlers() -> list[BaseHandler[Any, Context, Any]]:
    """The commands of this module, in the order they are tried."""
    return [
        CommandHandler("start", start),
        CommandHandler("help", help_command),
        CommandHandler("lang", choose_language),
        CallbackQueryHandler(language_chosen, pattern=f"^{LANGUAGE_PREFIX}"),
        CommandHandler("cancel", cancel),
    ]


def fallbacks() -> list[BaseHandler[Any, Context, Any]]:
    """Tried after every other module's handlers."""
    return [
        MessageHandler(f.ChatType.PRIVATE & f.TEXT, anything_else),
        MessageHandler(
            f.ChatType.PRIVATE & f.UpdateType.MESSAGE & ~f.TEXT & ~f.StatusUpdate.ALL, not_text
        ),
    ]
