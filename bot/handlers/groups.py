"""Group chats: the bot added or removed, a group upgraded, and the units a group follows.

    /subscribe [unit]     in a group: it follows the unit's subtree (alerts, broadcasts)
    /unsubscribe [unit]   it stops following it
    /subscriptions        what it follows

Administrators and the heads of the unit (or of a unit above it) may change what a group
follows; anyone in the group may see it. Without a unit, /subscribe takes the unit the caller
heads (a button each when they head several) and /unsubscribe the one the group follows (a
button each when it follows several). In a private chat these commands explain themselves.
"""

from __future__ import annotations

from typing import Any

from telegram import Chat, ChatMember, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
)
from telegram.ext import filters as f

from bot.access import Caller, actor_of, identify_caller
from bot.callbacks import MAX_BYTES
from bot.context import Context
from i18n.formatting import echo
from i18n.translations import Translator, translator
from kpi.errors import AmbiguousUnitError, UnknownUnitError
from kpi.units import Unit, UnitTree
from services import subscriptions as subs
from services.access import NotAllowedError

PREFIX = "gs:"
SUBSCRIBE = f"{PREFIX}sub:"
UNSUBSCRIBE = f"{PREFIX}uns:"
GROUPS = f.ChatType.GROUPS
PRESENT = {ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.OWNER, ChatMember.RESTRICTED}


def tree_of(context: Context) -> UnitTree:
    return context.services.catalogues.newest.units


def describe(code: str, context: Context, t: Translator) -> str:
    tree = tree_of(context)
    return tree.describe(code, t.language) if code in tree else code


async def reply(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Answer in the group (a new message; a pressed button is answered first)."""
    if update.callback_query is not None:
        await update.callback_query.answer()
    chat = update.effective_chat
    if chat is not None:
        await chat.send_message(text, reply_markup=markup)


def unit_buttons(codes: list[str], prefix: str, context: Context, t: Translator) -> Any:
    rows = [
        [InlineKeyboardButton(describe(code, context, t), callback_data=prefix + code)]
        for code in codes
        if len((prefix + code).encode()) <= MAX_BYTES
    ]
    return InlineKeyboardMarkup(rows)


def refusal_text(t: Translator, unit: str | None = None) -> str:
    if unit is None:
        return t._(
            "Only the administrators and the heads of units can choose what this group follows."
        )
    return t._(
        "Only the administrators and the head of {unit} (or of a unit above it) can change"
        " whether this group follows it.",
        unit=unit,
    )


def find(text: str, context: Context, t: Translator) -> Unit | list[Unit] | str:
    """The unit named, the candidates of an ambiguous name, or what to say."""
    try:
        return tree_of(context).find(text)
    except AmbiguousUnitError as error:
        return list(error.candidates)
    except UnknownUnitError:
        return t._(
            "I do not know a unit named “{name}”. Give its name as written in the decision,"
            " or its code.",
            name=echo(text),
        )


# --- the bot's membership -----------------------------------------------------------------


async def membership_changed(update: Update, context: Context) -> None:
    """The bot was added to a group (it is active there) or removed from it (inactive)."""
    changed = update.my_chat_member
    if changed is None or changed.chat.type == Chat.PRIVATE:
        return
    services = context.services
    chat = changed.chat
    if changed.new_chat_member.status in PRESENT:
        await subs.bot_joined(
            services.database.unit_of_work,
            chat.id,
            chat.title or "",
            chat.type,
            services.clock(),
        )
    else:
        await subs.bot_left(services.database.unit_of_work, chat.id, services.clock())


async def migrated(update: Update, context: Context) -> None:
    """A group became a supergroup: what it follows moves to the new chat (the service
    message comes in both chats; either does it, the second changes nothing)."""
    message = update.effective_message
    if message is None:
        return
    if message.migrate_to_chat_id:
        old, new = message.chat.id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id:
        old, new = message.migrate_from_chat_id, message.chat.id
    else:
        return
    services = context.services
    await subs.group_migrated(services.database.unit_of_work, old, new, services.clock())


# --- /subscribe ---------------------------------------------------------------------------


async def subscribe_to(update: Update, context: Context, caller: Caller, code: str) -> None:
    """Make the group follow the unit, if the caller may."""
    t = caller.t
    tree = tree_of(context)
    name = describe(code, context, t)
    if not subs.may_manage(caller.person, caller.is_admin, code, tree):
        await reply(update, refusal_text(t, name))
        return
    chat = update.effective_chat
    assert chat is not None
    services = context.services
    try:
        added = await subs.subscribe(
            services.database.unit_of_work,
            chat.id,
            chat.title or "",
            chat.type,
            code,
            actor_of(caller, context),
            services.clock(),
            tree,
        )
    except subs.PrivateChatError:
        await in_private(update, context)
        return
    except NotAllowedError:
        await reply(update, refusal_text(t, name))
        return
    if added:
        text = t._(
            "This group now follows {unit} and the units under it: their alerts and the"
            " broadcasts to them will come here. /unsubscribe stops it.",
            unit=name,
        )
    else:
        text = t._("This group already follows {unit}.", unit=name)
    await reply(update, text)


async def subscribe_command(update: Update, context: Context) -> None:
    """/subscribe [unit] in a group."""
    caller = await identify_caller(update, context)
    if caller is None:
        return
    t = caller.t
    tree = tree_of(context)
    text = " ".join(context.args or []).strip()
    if text:
        found = find(text, context, t)
        if isinstance(found, str):
            await reply(update, found)
        elif isinstance(found, list):
            mine = [
                u.code
                for u in found
                if subs.may_manage(caller.person, caller.is_admin, u.code, tree)
            ]
            if not mine:
                await reply(update, refusal_text(t))
                return
            await reply(
                update,
                t._("Several units are named “{name}”: which one?", name=text[:60]),
                unit_buttons(mine, SUBSCRIBE, context, t),
            )
        else:
            await subscribe_to(update, context, caller, found.code)
        return
    headed = subs.headed_units(caller.person, tree)
    if not headed:
        if caller.is_admin:
            await reply(
                update,
                t._(
                    "Which unit should this group follow? Send /subscribe followed by its code"
                    " or name, for example /subscribe dak-glei."
                ),
            )
        else:
            await reply(update, refusal_text(t))
        return
    if len(headed) == 1:
        await subscribe_to(update, context, caller, headed[0])
        return
    await reply(
        update,
        t._("Which unit should this group follow?"),
        unit_buttons(headed, SUBSCRIBE, context, t),
    )


async def subscribe_pressed(update: Update, context: Context) -> None:
    """A unit's button under /subscribe: checked again for whoever pressed it."""
    caller = await identify_caller(update, context)
    query = update.callback_query
    if caller is None or query is None:
        return
    code = (query.data or "").removeprefix(SUBSCRIBE)
    chat = update.effective_chat
    if code not in tree_of(context) or chat is None or chat.type == Chat.PRIVATE:
        # the buttons are only ever shown in groups: one pressed in a private chat is forged
        await query.answer(stale_text(caller.t), show_alert=True)
        return
    await subscribe_to(update, context, caller, code)


# --- /unsubscribe -------------------------------------------------------------------------


async def unsubscribe_from(update: Update, context: Context, caller: Caller, code: str) -> None:
    t = caller.t
    name = describe(code, context, t)
    if not subs.may_manage(caller.person, caller.is_admin, code, tree_of(context)):
        await reply(update, refusal_text(t, name))
        return
    chat = update.effective_chat
    assert chat is not None
    try:
        removed = await subs.unsubscribe(
            context.services.database.unit_of_work,
            chat.id,
            code,
            actor_of(caller, context),
            tree_of(context),
        )
    except NotAllowedError:
        await reply(update, refusal_text(t, name))
        return
    if removed:
        text = t._("This group no longer follows {unit}.", unit=name)
    else:
        text = t._("This group does not follow {unit}.", unit=name)
    await reply(update, text)


async def unsubscribe_command(update: Update, context: Context) -> None:
    """/unsubscribe [unit] in a group."""
    caller = await identify_caller(update, context)
    chat = update.effective_chat
    if caller is None or chat is None:
        return
    t = caller.t
    text = " ".join(context.args or []).strip()
    followed = await subs.subscriptions(context.services.database.unit_of_work, chat.id)
    if text:
        found = find(text, context, t)
        if isinstance(found, str):
            await reply(update, found)
            return
        candidates = [found] if isinstance(found, Unit) else found
        chosen = [u.code for u in candidates if u.code in followed]
        if not chosen:
            name = describe(candidates[0].code, context, t) if len(candidates) == 1 else echo(text)
            await reply(update, t._("This group does not follow {unit}.", unit=name))
            return
        await unsubscribe_from(update, context, caller, chosen[0])
        return
    if not followed:
        await reply(update, t._("This group follows no unit."))
        return
    if len(followed) == 1:
        await unsubscribe_from(update, context, caller, followed[0])
        return
    await reply(
        update,
        t._("Which unit should this group stop following?"),
        unit_buttons(followed, UNSUBSCRIBE, context, t),
    )


async def unsubscribe_pressed(update: Update, context: Context) -> None:
    caller = await identify_caller(update, context)
    query = update.callback_query
    if caller is None or query is None:
        return
    code = (query.data or "").removeprefix(UNSUBSCRIBE)
    if code not in tree_of(context):
        await query.answer(stale_text(caller.t))
        return
    await unsubscribe_from(update, context, caller, code)


# --- /subscriptions and private chats -----------------------------------------------------


async def subscriptions_command(update: Update, context: Context) -> None:
    """/subscriptions in a group: the units it follows."""
    caller = await identify_caller(update, context)
    chat = update.effective_chat
    if caller is None or chat is None:
        return
    t = caller.t
    followed = await subs.subscriptions(context.services.database.unit_of_work, chat.id)
    if not followed:
        await reply(
            update,
            t._(
                "This group follows no unit. An administrator or a unit's head can send"
                " /subscribe here."
            ),
        )
        return
    lines = "\n".join(f"• {describe(code, context, t)}" for code in followed)
    await reply(update, t._("This group follows:") + "\n" + lines)


async def in_private(update: Update, context: Context) -> None:
    """These commands in a private chat: they are for groups."""
    caller = await identify_caller(update, context)
    t = caller.t if caller is not None else default_translator(context)
    await reply(
        update,
        t._(
            "/subscribe, /unsubscribe and /subscriptions work in a group: add me to the group,"
            " then send /subscribe there to make it follow your unit."
        ),
    )


def stale_text(t: Translator) -> str:
    return t._("This button is no longer valid: send the command again.")


def default_translator(context: Context) -> Translator:
    return translator(context.services.settings.default_language)


def handlers() -> list[BaseHandler[Any, Context, Any]]:
    """Membership and migration updates, the group commands and their buttons."""
    commands = ("subscribe", "unsubscribe", "subscriptions")
    return [
        ChatMemberHandler(membership_changed, ChatMemberHandler.MY_CHAT_MEMBER),
        MessageHandler(f.StatusUpdate.MIGRATE, migrated),
        CommandHandler("subscribe", subscribe_command, filters=GROUPS),
        CommandHandler("unsubscribe", unsubscribe_command, filters=GROUPS),
        CommandHandler("subscriptions", subscriptions_command, filters=GROUPS),
        CommandHandler(commands, in_private, filters=f.ChatType.PRIVATE),
        CallbackQueryHandler(subscribe_pressed, pattern=f"^{SUBSCRIBE}"),
        CallbackQueryHandler(unsubscribe_pressed, pattern=f"^{UNSUBSCRIBE}"),
    ]
