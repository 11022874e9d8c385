"""/invite (administrators): a single-use link that binds whoever opens it to a unit and role.

    /invite                      → which unit? → which role? (buttons) → the link
    /invite dak-glei             → which role? (buttons) → the link
    /invite Đăk Glei head 14     → the link at once (valid 14 days; 7 unless given)

A name shared by several units is answered with a button for each; the link is shown with its
expiry, in the province's time, ready to forward.
"""

from __future__ import annotations

import re
import warnings
from enum import StrEnum
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
from telegram.warnings import PTBUserWarning

from bot.access import Caller, require_admin, role_name
from bot.context import Context
from bot.handlers.basics import cancel_fallback
from i18n.formatting import deep_link, echo, moment
from i18n.translations import Translator
from kpi.access import Role
from kpi.errors import AmbiguousUnitError, UnknownUnitError
from kpi.units import Unit
from services import access

PREFIX = "inv:"
UNIT_PREFIX = f"{PREFIX}unit:"
ROLE_PREFIX = f"{PREFIX}role:"
PENDING = "invite"  # user_data key: {"unit": code, "days": n} while the conversation runs


class State(StrEnum):
    UNIT = "unit"  # waiting for the unit's name (or a candidate's button)
    ROLE = "role"  # waiting for a role button


END = ConversationHandler.END


def pending_of(context: Context) -> dict[str, Any]:
    """What the conversation has gathered so far (kept in the persisted user_data)."""
    data = context.user_data
    assert data is not None  # every update of this conversation comes from a person
    pending: dict[str, Any] = data.setdefault(PENDING, {})
    return pending


def split_arguments(args: list[str]) -> tuple[str, Role | None, str | None]:
    """`dak-glei head 7` → ("dak-glei", Role.HEAD, "7"); a unit name may have spaces."""
    words = list(args)
    days = words.pop() if words and re.fullmatch(r"[0-9]+", words[-1]) else None
    role = None
    if words and words[-1].lower() in {r.value for r in Role}:
        role = Role(words.pop().lower())
    return " ".join(words).strip(), role, days


def role_keyboard(t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(role_name(role, t), callback_data=f"{ROLE_PREFIX}{role.value}")]
            for role in Role
        ]
    )


def ask_unit_text(t: Translator) -> str:
    return t._(
        "Which unit is the invite for? Type its name or code, for example: Sở Y tế or dak-glei."
        " You can also give everything at once: /invite dak-glei head 7"
    )


async def ask_role(update: Update, context: Context, caller: Caller, unit: Unit) -> State:
    """Remember the unit; ask for the role with a button each."""
    t = caller.t
    pending_of(context)["unit"] = unit.code
    text = t._(
        "Invite to {unit}: choose the role of the person invited.",
        unit=context.services.catalogues.newest.units.describe(unit.code, t.language),
    )
    query = update.callback_query
    if query is not None:
        await query.answer()
        await query.edit_message_text(text, reply_markup=role_keyboard(t))
    elif update.effective_message is not None:
        await update.effective_message.reply_text(text, reply_markup=role_keyboard(t))
    return State.ROLE


async def resolve_unit(update: Update, context: Context, caller: Caller, text: str) -> State:
    """The unit named `text`: then the role; several: a button each; none: ask again."""
    t = caller.t
    message = update.effective_message
    assert message is not None
    tree = context.services.catalogues.newest.units
    try:
        unit = tree.find(text)
    except AmbiguousUnitError as error:
        buttons = [
            [
                InlineKeyboardButton(
                    tree.describe(u.code, t.language), callback_data=f"{UNIT_PREFIX}{u.code}"
                )
            ]
            for u in error.candidates
        ]
        await message.reply_text(
            t._("“{name}” names several units. Choose one:", name=echo(text)),
            reply_markup=InlineKeyboardMarkup(buttons),
        )
        return State.UNIT
    except UnknownUnitError:
        await message.reply_text(
            t._(
                "No unit is named “{name}”. Type the unit's name or code again, or /cancel.",
                name=echo(text),
            )
        )
        return State.UNIT
    return await ask_role(update, context, caller, unit)


async def make_invite(
    update: Update, context: Context, caller: Caller, unit_code: str, role: Role, days: int
) -> object:
    """Create the invite and show its link, expiry and what it grants; the conversation ends."""
    services = context.services
    t = caller.t
    catalogue = services.catalogues.newest
    invite = await access.create_invite(
        services.database.unit_of_work,
        catalogue,
        unit_code,
        role,
        f"tg:{caller.telegram_id}",
        services.clock(),
        days,
    )
    if context.user_data is not None:
        context.user_data.pop(PENDING, None)
    text = t._(
        "Invite to {unit} as {role}. It works once, until {expires}."
        " Forward this link to the person invited:\n{link}",
        unit=catalogue.units.describe(invite.unit, t.language),
        role=role_name(role, t),
        expires=moment(invite.expires_at, t.language, services.settings.timezone),
        link=deep_link(context.bot.username, invite.code),
    )
    query = update.callback_query
    if query is not None:
        await query.answer()
        await query.edit_message_text(text)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(text)
    return END


@require_admin
async def start(update: Update, context: Context, caller: Caller) -> object:
    """/invite [unit] [role] [days]: what is missing is asked for."""
    t = caller.t
    message = update.effective_message
    assert message is not None
    unit_text, role, days_text = split_arguments(list(context.args or []))
    days = access.DEFAULT_DAYS
    if days_text is not None:  # digits only; a long run of them is out of range, not converted
        days = int(days_text) if len(days_text) <= 6 else access.MAX_DAYS + 1
    if not access.MIN_DAYS <= days <= access.MAX_DAYS:
        await message.reply_text(
            t._(
                "An invite lasts from {low} to {high} days, not {days}."
                " For example: /invite dak-glei head 7",
                low=access.MIN_DAYS,
                high=access.MAX_DAYS,
                days=echo(days_text or ""),
            )
        )
        return END
    pending = pending_of(context)
    pending.clear()
    pending["days"] = days
    if not unit_text:
        await message.reply_text(ask_unit_text(t))
        return State.UNIT
    if role is None:
        return await resolve_unit(update, context, caller, unit_text)
    try:
        unit = context.services.catalogues.newest.units.find(unit_text)
    except (AmbiguousUnitError, UnknownUnitError):
        return await resolve_unit(update, context, caller, unit_text)
    return await make_invite(update, context, caller, unit.code, role, days)


@require_admin
async def unit_typed(update: Update, context: Context, caller: Caller) -> object:
    """The unit's name or code, typed."""
    message = update.effective_message
    assert message is not None
    return await resolve_unit(update, context, caller, (message.text or "").strip())


@require_admin
async def unit_chosen(update: Update, context: Context, caller: Caller) -> object:
    """A candidate's button, after an ambiguous name."""
    query = update.callback_query
    assert query is not None
    tree = context.services.catalogues.newest.units
    code = (query.data or "").removeprefix(UNIT_PREFIX)
    if code not in tree:
        await query.answer()
        return State.UNIT
    return await ask_role(update, context, caller, tree.get(code))


@require_admin
async def role_chosen(update: Update, context: Context, caller: Caller) -> object:
    """A role button: the invite is made."""
    query = update.callback_query
    assert query is not None
    pending = pending_of(context)
    value = (query.data or "").removeprefix(ROLE_PREFIX)
    if "unit" not in pending or value not in {r.value for r in Role}:
        await query.answer()
        return State.ROLE
    days = int(pending.get("days", access.DEFAULT_DAYS))
    return await make_invite(update, context, caller, str(pending["unit"]), Role(value), days)


@require_admin
async def use_the_buttons(update: Update, _context: Context, caller: Caller) -> object:
    """Anything but a button while a role is awaited."""
    message = update.effective_message
    if message is not None:
        await message.reply_text(caller.t._("Choose the role with the buttons above, or /cancel."))
    return State.ROLE


def conversation() -> ConversationHandler[Context]:
    with warnings.catch_warnings():
        # per_message=False is meant: the conversation follows the admin, not one message
        warnings.filterwarnings("ignore", "If 'per_message=False'", PTBUserWarning)
        return ConversationHandler(
            entry_points=[CommandHandler("invite", start)],
            states={
                State.UNIT: [
                    CallbackQueryHandler(unit_chosen, pattern=f"^{UNIT_PREFIX}"),
                    MessageHandler(f.TEXT & ~f.COMMAND, unit_typed),
                ],
                State.ROLE: [
                    CallbackQueryHandler(role_chosen, pattern=f"^{ROLE_PREFIX}"),
                    MessageHandler(f.TEXT & ~f.COMMAND, use_the_buttons),
                ],
            },
            fallbacks=[cancel_fallback()],
            allow_reentry=True,
            name="invite",
            persistent=True,
        )


def handlers() -> list[BaseHandler[Any, Context, Any]]:
    """The /invite conversation."""
    return [conversation()]
