"""/broadcast (administrators): a message to many units at once, with its delivery report.

    /broadcast [text] → TEXT → AUDIENCE (buttons: every head, a level, a unit's subtree →
    its unit, a list of units → UNITS, the subscribed groups) → CONFIRM (the preview and
    how many receive it) → queued; one message then shows the delivery report, edited as the
    deliveries go (scheduler/broadcast_report.py).

What is gathered lives in `context.user_data["broadcast"]` as JSON and the conversation is
persistent, so it resumes after a restart. Buttons carry a token of the running draft: a press
on an older draft's buttons changes nothing.
"""

from __future__ import annotations

import secrets
import warnings
from collections.abc import Callable
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

from bot.access import Caller, identify_caller, require_admin
from bot.buttons import retire
from bot.context import Context, Services
from bot.handlers.basics import cancel_fallback
from i18n import texts
from i18n.translations import Translator, translator
from kpi.errors import AmbiguousUnitError, DomainError, UnknownUnitError
from kpi.units import Level, Unit, UnitTree
from services.broadcasts import (
    Audience,
    AudienceKind,
    BroadcastReport,
    UnitListError,
    broadcast_report,
    create_broadcast,
    find_units,
    plan_broadcast,
)
from services.ports import StoredBroadcast

PREFIX = "bc:"
DRAFT = "broadcast"  # user_data key: {"token", "text", "audience"} while the conversation runs
PRIVATE = f.ChatType.PRIVATE
TYPED = PRIVATE & f.TEXT & ~f.COMMAND & ~f.UpdateType.EDITED
PREVIEW_TEXT = 1000  # characters of the text shown in the preview
SHOWN_UNITS = 10  # units named in the description of a list


class State(StrEnum):
    TEXT = "text"  # waiting for the message to send
    AUDIENCE = "audience"  # waiting for an audience button
    UNITS = "units"  # waiting for a list of units
    CONFIRM = "confirm"  # the preview: send or not


END = ConversationHandler.END
Next = State | int | None


def level_button(tree: UnitTree, level: Level, language: str) -> str:
    """The audience of a level, as its catalogue names its units ("Các đơn vị cấp xã")."""
    assert tree.levels is not None
    return tree.levels.get(level).units.get(language)


def middle_units(tree: UnitTree) -> list[Unit]:
    """Units between the root and the leaves: a subtree worth choosing as an audience."""
    return [u for u in tree if u.parent is not None and tree.children(u.code)]


# --- the draft ----------------------------------------------------------------------------


def draft_of(context: Context) -> dict[str, Any]:
    data = context.user_data
    assert data is not None  # every update of this conversation comes from a person
    draft: dict[str, Any] = data.setdefault(DRAFT, {})
    return draft


def drop_draft(context: Context) -> None:
    if context.user_data is not None:
        context.user_data.pop(DRAFT, None)


def button(t_label: str, token: str, action: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(t_label, callback_data=f"{PREFIX}{token}:{action}")


def tree_of(context: Context) -> UnitTree:
    return context.services.catalogues.newest.units


async def say(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    chat = update.effective_chat
    assert chat is not None
    await chat.send_message(text, reply_markup=markup)


# --- describing audiences and reports -----------------------------------------------------


def audience_text(audience: Audience, tree: UnitTree, t: Translator) -> str:
    """ "every unit head", "everyone of the commune level", "Đăk Glei and the units under it"…"""
    language = t.language

    def name(code: str) -> str:
        return tree.describe(code, language) if code in tree else code

    match audience.kind:
        case AudienceKind.HEADS:
            return t._("the head of every unit")
        case AudienceKind.LEVEL:
            assert audience.level is not None
            return t._(
                "everyone bound to a unit of the {level}",
                level=texts.level_name(audience.level, t),
            )
        case AudienceKind.SUBTREE:
            return t._("everyone bound to {unit} or a unit under it", unit=name(audience.units[0]))
        case AudienceKind.UNITS:
            names = [name(code) for code in audience.units[:SHOWN_UNITS]]
            more = len(audience.units) - len(names)
            listed = ", ".join(names) + (f" (+{more})" if more > 0 else "")
            return t._("everyone bound to these units: {units}", units=listed)
        case _:
            return t._("the groups that follow a unit")


def report_text(
    broadcast: StoredBroadcast, report: BroadcastReport, tree: UnitTree, t: Translator
) -> str:
    """The delivery report: one line a count, and whether it is still going."""
    try:
        audience = audience_text(Audience.parse(broadcast.audience, tree), tree, t)
    except DomainError:
        audience = broadcast.audience
    lines = [
        t._("Broadcast #{number} to {audience}", number=broadcast.id, audience=audience),
        t._("Recipients: {count}", count=report.recipients),
        t._("Delivered: {count}", count=report.delivered),
        t._("Blocked the bot: {count}", count=report.blocked),
        t._("Failed: {count}", count=report.failed),
    ]
    if report.finished:
        lines.append(t._("Finished."))
    else:
        lines.append(t._("Still to send: {count}", count=report.pending))
    return "\n".join(lines)


def report_renderer(services: Services) -> Callable[[StoredBroadcast, BroadcastReport], str]:
    """`render` for scheduler.broadcast_report.refresh_reports: each report in the language
    it was first shown in, with the newest catalogue's unit names."""

    def render_report(broadcast: StoredBroadcast, report: BroadcastReport) -> str:
        language = broadcast.report_language or services.settings.default_language
        return report_text(
            broadcast, report, services.catalogues.newest.units, translator(language)
        )

    return render_report


# --- the steps ----------------------------------------------------------------------------


@require_admin
async def start(update: Update, context: Context, caller: Caller) -> Next:
    """/broadcast [text]: a new draft; the text (unless given), then the audience."""
    drop_draft(context)
    draft = draft_of(context)
    draft["token"] = secrets.token_hex(4)
    message = update.effective_message
    assert message is not None
    command, _, rest = (message.text or "").partition(" ")
    del command
    if rest.strip():
        draft["text"] = rest.strip()
        return await ask_audience(update, context, caller)
    await say(
        update,
        caller.t._(
            "Write the message to send. You will choose who receives it and see it before it"
            " goes. /cancel stops."
        ),
    )
    return State.TEXT


@require_admin
async def text_typed(update: Update, context: Context, caller: Caller) -> Next:
    """The message to send."""
    message = update.effective_message
    assert message is not None
    draft_of(context)["text"] = (message.text or "").strip()
    return await ask_audience(update, context, caller)


def audience_keyboard(token: str, tree: UnitTree, t: Translator) -> InlineKeyboardMarkup:
    levels = [
        level for level in tree.levels_in_subtree(tree.root.code) if level != tree.root.level
    ]
    rows = [[button(t._("Every unit head"), token, "heads")]]
    rows += [
        [button(level_button(tree, level, t.language), token, f"level:{level}")]
        for level in levels
    ]
    if middle_units(tree):
        rows.append([button(t._("A unit and the units under it…"), token, "pick")])
    rows += [
        [button(t._("A list of units…"), token, "list")],
        [button(t._("The groups that follow a unit"), token, "groups")],
        [button(t._("Cancel"), token, "cancel")],
    ]
    return InlineKeyboardMarkup(rows)


async def ask_audience(update: Update, context: Context, caller: Caller) -> State:
    """Who receives it: a button each."""
    t = caller.t
    token = draft_of(context)["token"]
    await say(update, t._("Who should receive it?"), audience_keyboard(token, tree_of(context), t))
    return State.AUDIENCE


def pressed(update: Update, context: Context) -> str | None:
    """The action of a press on the running draft's buttons; None for any other press."""
    query = update.callback_query
    if query is None or not query.data:
        return None
    token, _, action = query.data.removeprefix(PREFIX).partition(":")
    draft = context.user_data.get(DRAFT) if context.user_data is not None else None
    if not isinstance(draft, dict) or draft.get("token") != token or "text" not in draft:
        return None
    return action


@require_admin
async def audience_pressed(update: Update, context: Context, caller: Caller) -> Next:
    """An audience button (or a unit's for its subtree, or Cancel)."""
    t = caller.t
    query = update.callback_query
    assert query is not None
    action = pressed(update, context)
    if action is None:
        await query.answer(stale_text(t))
        return None
    await query.answer()
    await retire(query)  # the menu is answered: its buttons go
    tree = tree_of(context)
    kind = action.partition(":")[0]
    if kind == "cancel":
        return await cancel(update, context, caller)
    if kind == "pick":
        token = draft_of(context)["token"]
        rows = [
            [button(tree.describe(u.code, t.language), token, f"subtree:{u.code}")]
            for u in middle_units(tree)
        ]
        rows.append([button(t._("Back"), token, "back")])
        await say(update, t._("Which unit?"), InlineKeyboardMarkup(rows))
        return State.AUDIENCE
    if kind == "back":
        return await ask_audience(update, context, caller)
    if kind == "list":
        await say(
            update,
            t._(
                "Type the units' names or codes, separated by commas or on separate lines,"
                " for example: Sở Y tế, Đăk Glei, dak-to"
            ),
        )
        return State.UNITS
    try:
        audience = Audience.parse(action, tree)
    except (DomainError, LookupError):
        await stale_button(update, context)
        return None
    return await preview(update, context, caller, audience)


@require_admin
async def units_typed(update: Update, context: Context, caller: Caller) -> Next:
    """A list of units: each name must name exactly one unit."""
    t = caller.t
    message = update.effective_message
    assert message is not None
    tree = tree_of(context)
    try:
        units = find_units(message.text or "", tree)
    except UnitListError as error:
        problems = [
            t._("• “{name}”: no unit has this name.", name=name[:60])
            for name in error.problems.unknown
        ]
        problems += [
            t._("• “{name}” names several units: {codes}.", name=name[:60], codes=codes)
            for name, candidates in error.problems.ambiguous
            for codes in [
                "; ".join(f"{tree.describe(u.code, t.language)} = {u.code}" for u in candidates)
            ]
        ]
        await say(
            update,
            t._("Some names do not name exactly one unit:")
            + "\n"
            + "\n".join(problems)
            + "\n\n"
            + t._("Type the whole list again, with codes where a name is shared, or /cancel."),
        )
        return State.UNITS
    except (AmbiguousUnitError, UnknownUnitError, DomainError):
        await say(update, t._("Type at least one unit's name or code, or /cancel."))
        return State.UNITS
    audience = Audience(AudienceKind.UNITS, units=tuple(u.code for u in units))
    return await preview(update, context, caller, audience)


async def preview(update: Update, context: Context, caller: Caller, audience: Audience) -> State:
    """The text, who receives it and how many; Send or not."""
    t = caller.t
    tree = tree_of(context)
    draft = draft_of(context)
    async with context.services.database.unit_of_work() as uow:
        plan = await plan_broadcast(uow, tree, audience)
    described = audience_text(audience, tree, t)
    if plan.count == 0:
        await say(
            update,
            t._(
                "Nobody would receive it ({audience}): choose another audience.",
                audience=described,
            ),
        )
        return await ask_audience(update, context, caller)
    draft["audience"] = audience.key
    text: str = draft["text"]
    shown = text if len(text) <= PREVIEW_TEXT else text[:PREVIEW_TEXT] + "…"
    lines = [
        t._("This message:"),
        "",
        shown,
        "",
        t.n_(
            "will go to {audience}: {count} recipient.",
            "will go to {audience}: {count} recipients.",
            plan.count,
            audience=described,
            count=plan.count,
        ),
    ]
    if plan.blocked:
        lines.append(
            t._(
                "{count} of them blocked the bot earlier: they are counted as blocked, nothing"
                " is sent to them.",
                count=plan.blocked,
            )
        )
    token = draft["token"]
    rows = [
        [button(t._("Send to {count}", count=plan.count), token, "send")],
        [button(t._("Choose another audience"), token, "back")],
        [button(t._("Cancel"), token, "cancel")],
    ]
    draft["unreached"] = list(plan.unreached)
    if plan.unreached:
        lines.append(
            t.n_(
                "{count} unit has nobody registered: it will not receive the message.",
                "{count} units have nobody registered: they will not receive the message.",
                len(plan.unreached),
                count=len(plan.unreached),
            )
        )
        rows.insert(1, [button(t._("Which units? ▸"), token, "unreached")])
    lines += ["", t._("It is sent with the sender's line: {sender}", sender=sender_line(context))]
    await say(update, "\n".join(lines), InlineKeyboardMarkup(rows))
    return State.CONFIRM


UNREACHED_SHOWN = 150  # units named in one message; the rest are counted


def sender_line(context: Context) -> str:
    """The sender's line above a broadcast (i18n.texts.sender_line)."""
    services = context.services
    return texts.sender_line(services.catalogues.newest, services.settings.default_language)


async def show_unreached(update: Update, context: Context, caller: Caller) -> State:
    """The units of the audience with nobody registered, by name; the preview stays."""
    t = caller.t
    tree = tree_of(context)
    codes = [str(c) for c in draft_of(context).get("unreached", [])]
    names = [f"• {tree.describe(c, t.language)}" for c in codes[:UNREACHED_SHOWN] if c in tree]
    if len(codes) > UNREACHED_SHOWN:
        names.append(t._("… and {count} more.", count=len(codes) - UNREACHED_SHOWN))
    head = t.n_(
        "{count} unit with nobody registered:",
        "{count} units with nobody registered:",
        len(codes),
        count=len(codes),
    )
    await say(update, texts.fit("\n".join([head, *names])))
    return State.CONFIRM


@require_admin
async def confirm_pressed(update: Update, context: Context, caller: Caller) -> Next:
    """Send, another audience, or cancel."""
    t = caller.t
    query = update.callback_query
    assert query is not None
    action = pressed(update, context)
    if action is None:
        await query.answer(stale_text(t))
        return None
    await query.answer()
    if action == "unreached":  # the preview's buttons stay: it is not answered yet
        return await show_unreached(update, context, caller)
    await retire(query)  # the preview is answered: its buttons go
    if action == "cancel":
        return await cancel(update, context, caller)
    if action == "back":
        return await ask_audience(update, context, caller)
    if action != "send":
        await stale_button(update, context)
        return None
    return await send(update, context, caller)


async def send(update: Update, context: Context, caller: Caller) -> int:
    """Queue the broadcast; show its report (edited as it goes)."""
    services = context.services
    tree = tree_of(context)
    draft = draft_of(context)
    audience = Audience.parse(str(draft["audience"]), tree)
    created = await create_broadcast(
        services.database.unit_of_work,
        tree,
        f"{sender_line(context)}\n\n{draft['text']}",
        audience,
        caller.telegram_id,
        services.clock(),
    )
    services.outbox_ready()
    drop_draft(context)
    async with services.database.unit_of_work() as uow:
        stored = await uow.broadcasts.get(created.id)
        report = await broadcast_report(uow, created.id)
    assert stored is not None
    assert report is not None
    text = report_text(stored, report, tree, caller.t)
    chat = update.effective_chat
    assert chat is not None
    message = await chat.send_message(text)
    async with services.database.unit_of_work() as uow:
        await uow.broadcasts.set_report_message(
            created.id, chat.id, message.message_id, caller.language
        )
        await uow.broadcasts.reported(created.id, text, None)
        await uow.commit()
    return END


async def cancel(update: Update, context: Context, caller: Caller) -> int:
    drop_draft(context)
    await say(update, caller.t._("Cancelled. Nothing was sent."))
    return END


# --- what does not fit --------------------------------------------------------------------


def stale_text(t: Translator) -> str:
    return t._("This button is no longer valid: send /broadcast to start again.")


async def stale_button(update: Update, context: Context) -> None:
    """A button of a finished or older draft: change nothing."""
    query = update.callback_query
    if query is None:
        return
    caller = await identify_caller(update, context)
    t = caller.t if caller is not None else translator(context.services.settings.default_language)
    await query.answer(stale_text(t))


async def use_the_buttons(update: Update, context: Context) -> None:
    caller = await identify_caller(update, context)
    if caller is not None:
        await say(update, caller.t._("Choose with the buttons above, or send /cancel."))


async def in_a_group(update: Update, context: Context) -> None:
    """/broadcast in a group: it is written in a private chat."""
    caller = await identify_caller(update, context)
    if caller is None or not caller.is_admin:
        return
    await say(
        update,
        caller.t._("Broadcasts are written in a private chat with me: send /broadcast there."),
    )


def conversation() -> ConversationHandler[Context]:
    pattern = f"^{PREFIX}"
    with warnings.catch_warnings():
        # per_message=False is meant: the conversation follows the administrator; buttons carry
        # the draft's token instead
        warnings.filterwarnings("ignore", "If 'per_message=False'", PTBUserWarning)
        return ConversationHandler(
            entry_points=[CommandHandler("broadcast", start, filters=PRIVATE)],
            states={
                State.TEXT: [MessageHandler(TYPED, text_typed)],
                State.AUDIENCE: [
                    CallbackQueryHandler(audience_pressed, pattern=pattern),
                    MessageHandler(TYPED, use_the_buttons),
                ],
                State.UNITS: [
                    MessageHandler(TYPED, units_typed),
                    CallbackQueryHandler(audience_pressed, pattern=pattern),
                ],
                State.CONFIRM: [
                    CallbackQueryHandler(confirm_pressed, pattern=pattern),
                    MessageHandler(TYPED, use_the_buttons),
                ],
            },
            fallbacks=[
                cancel_fallback(),
                CommandHandler("broadcast", start, filters=PRIVATE),
                CallbackQueryHandler(stale_button, pattern=pattern),
            ],
            allow_reentry=True,
            name="broadcast",
            persistent=True,
        )


def handlers() -> list[BaseHandler[Any, Context, Any]]:
    """The /broadcast conversation, then /broadcast in a group and stale buttons."""
    return [
        conversation(),
        CommandHandler("broadcast", in_a_group, filters=~PRIVATE),
        CallbackQueryHandler(stale_button, pattern=f"^{PREFIX}"),
    ]
