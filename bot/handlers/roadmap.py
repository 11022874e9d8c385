"""/roadmap: the year's target of each line of a unit spread into milestones (Article 2.1).

    /roadmap [unit] → the unit's lines, each with its roadmap (even monthly by default)
      ▸ a line (heads and administrators) → even monthly | even quarterly | custom
          custom → VALUE (× 4 quarter ends, typed) → CONFIRM → saved

Everyone who may see the unit sees its roadmaps; only a head of the unit (or of a unit above
it) and administrators change them, checked again on every press. Buttons carry the unit and
the line (`rm:l:so-y-te:V.1@department`); the custom milestones being typed live in
`context.user_data["roadmap"]` as JSON, and the conversation is persistent.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Any, Final

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
)
from telegram.ext import filters as f
from telegram.warnings import PTBUserWarning

from bot import render
from bot.access import Caller, actor_of, identify_caller, require_person
from bot.context import Context
from bot.handlers.basics import cancel_fallback
from bot.handlers.status import asked_unit, may_see, not_yours, now, say, show, stale
from i18n import formatting, texts
from i18n.formatting import period_name
from i18n.pace_text import rate_percent_text, roadmap_text
from i18n.translations import N_, Translator
from kpi.access import Person, Role
from kpi.catalogue import Catalogue
from kpi.errors import CountError
from kpi.pace import QUARTERLY, MilestoneProblem, RoadmapSetting, check_milestone, parse_percent
from kpi.periods import Period
from kpi.units import Unit, UnitTree
from services.access import NotAllowedError, authorise
from services.roadmaps import LineRoadmap, RoadmapError, set_roadmap, unit_roadmaps

PREFIX: Final = "rm"
DRAFT_KEY: Final = "roadmap"
PATTERN: Final = f"^{PREFIX}:"

_UNIT = r"[a-z0-9]+(?:-[a-z0-9]+)*"
_LINE = r"[A-Z]+(?:\.[0-9a-z]+)*(?:@[a-z]+)?"
_PRESS = re.compile(rf"^{PREFIX}:(?P<action>[olmqc]):(?P<unit>{_UNIT})(?::(?P<line>{_LINE}))?$")


class Action(StrEnum):
    OVERVIEW = "o"  # the unit's lines
    LINE = "l"  # one line: its roadmap and the choices
    MONTHLY = "m"  # set even monthly
    QUARTERLY = "q"  # set even quarterly
    CUSTOM = "c"  # type quarterly milestones
    CONFIRM = "y"  # save the typed milestones
    CANCEL = "n"  # drop them


class State(StrEnum):
    VALUE = "value"  # typing the milestone of the next quarter end
    CONFIRM = "confirm"  # reviewing the typed milestones


PRIVATE = f.ChatType.PRIVATE
TYPED = PRIVATE & f.TEXT & ~f.COMMAND & ~f.UpdateType.EDITED

PROBLEMS = {
    MilestoneProblem.EMPTY: N_("Type a percentage, for example {example}."),
    MilestoneProblem.NOT_A_PERCENT: N_(
        "“{text}” is not a percentage. Type a number from 0 to 100, for example {example}."
    ),
    MilestoneProblem.WRONG_DECIMAL_MARK: N_(
        "“{text}” is unclear: write the decimals after a {mark}, for example {example}."
    ),
    MilestoneProblem.TOO_PRECISE: N_("Give at most two decimals, for example {example}."),
    MilestoneProblem.OUT_OF_RANGE: N_("A milestone is a percentage from 0 to 100."),
    MilestoneProblem.DECREASING: N_("A milestone cannot be below the one before it ({previous})."),
    MilestoneProblem.BELOW_TARGET: N_(
        "The year-end milestone must reach the year's target, {target}, at least."
    ),
}


# --- button data ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Press:
    action: Action
    unit: str
    line: str | None


def data(action: Action, unit: str = "", line: str | None = None) -> str:
    if action in (Action.CONFIRM, Action.CANCEL):
        return f"{PREFIX}:{action}"
    text = f"{PREFIX}:{action}:{unit}" + (f":{line}" if line else "")
    if len(text.encode()) > 64:
        raise ValueError(f"button data too long: {text!r}")
    return text


def parse(text: str | None) -> Press | None:
    match = _PRESS.match(text or "")
    if match is None:
        return None
    action = Action(match["action"])
    line = match["line"]
    if (action is Action.OVERVIEW) != (line is None):
        return None
    return Press(action, match["unit"], line)


def button(
    label: str, action: Action, unit: str = "", line: str | None = None
) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=data(action, unit, line))


# --- who may change a roadmap -----------------------------------------------------------------


def may_plan(caller: Caller, unit: str, tree: UnitTree) -> bool:
    """Administrators, and heads of the unit or of a unit above it."""
    return may_plan_unit(caller.person, caller.is_admin, unit, tree)


def may_plan_unit(person: Person | None, is_admin: bool, unit: str, tree: UnitTree) -> bool:
    if is_admin:
        return True
    if person is None or unit not in tree:
        return False
    return any(
        m.role is Role.HEAD and m.unit in tree and tree.is_within(unit, m.unit)
        for m in person.memberships
    )


def only_heads(t: Translator) -> str:
    return t._("Only the unit's head (or an administrator) can change its roadmap.")


# --- texts ------------------------------------------------------------------------------------


def line_name(line: LineRoadmap, t: Translator) -> str:
    title = f"{line.plan.indicator.code} {line.plan.indicator.short.get(t.language)}"
    if line.plan.level is not None:
        title += f" ({texts.level_name(line.plan.level, t)})"
    return title


def line_label(line: LineRoadmap, t: Translator) -> str:
    label = line.plan.indicator.code
    if line.plan.level is not None:
        label += f" · {texts.level_name(line.plan.level, t)}"
    return label


def target_text(line: LineRoadmap, t: Translator) -> str:
    return texts.limit_text(line.target, t.language)


def overview_text(
    catalogue: Catalogue, unit: Unit, lines: list[LineRoadmap], t: Translator, planner: bool
) -> str:
    head = t._(
        "🗺 Roadmap {year} of {unit}",
        year=catalogue.year,
        unit=texts.unit_label(catalogue, unit.code, t.language),
    )
    about = t._(
        "Article 2.1: each target of the year is broken down by month and quarter. By default"
        " it is spread evenly by month."
    )
    if not lines:
        return f"{head}\n{about}\n\n" + t._("No indicator with a target applies to this unit.")
    body = "\n\n".join(
        t._("{line} (target {target})", line=line_name(line, t), target=target_text(line, t))
        + "\n"
        + roadmap_text(line.roadmap, catalogue.year, t)
        for line in lines
    )
    foot = t._("Choose an indicator to change its roadmap.") if planner else only_heads(t)
    return f"{head}\n{about}\n\n{body}\n\n{foot}"


def overview_keyboard(unit: Unit, lines: list[LineRoadmap], t: Translator) -> InlineKeyboardMarkup:
    buttons = [button(line_label(line, t), Action.LINE, unit.code, line.key) for line in lines]
    return InlineKeyboardMarkup(render.rows(buttons, 2))


def back_keyboard(unit: Unit, t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[button(t._("◀ All indicators"), Action.OVERVIEW, unit.code)]])


def line_text(catalogue: Catalogue, unit: Unit, line: LineRoadmap, t: Translator) -> str:
    return "\n".join(
        [
            texts.unit_label(catalogue, unit.code, t.language),
            t._("{line} (target {target})", line=line_name(line, t), target=target_text(line, t)),
            t._(
                "Roadmap now: {roadmap}",
                roadmap=roadmap_text(line.roadmap, catalogue.year, t),
            ),
            "",
            t._(
                "Even: the target, or for an indicator built up from its 2021 baseline a steady"
                " climb from the baseline to the target. Custom: you type the milestone of each"
                " quarter's end."
            ),
        ]
    )


def line_keyboard(unit: Unit, line: LineRoadmap, t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                button(t._("Even, monthly"), Action.MONTHLY, unit.code, line.key),
                button(t._("Even, quarterly"), Action.QUARTERLY, unit.code, line.key),
            ],
            [button(t._("Custom, by quarter…"), Action.CUSTOM, unit.code, line.key)],
            [button(t._("◀ All indicators"), Action.OVERVIEW, unit.code)],
        ]
    )


def example(t: Translator) -> str:
    return formatting.percent(Decimal("62.5"), 1, t.language).replace(" %", "").rstrip("%")


def decimal_mark(t: Translator) -> str:
    return "," if t.language == "vi" else "."


def quarter_name(year: int, index: int, t: Translator) -> str:
    return period_name(Period.quarter(year, index + 1), t)


def ask_text(draft: Draft, line: LineRoadmap, t: Translator) -> str:
    index = len(draft.values)
    return t._(
        "{line}: the milestone for the end of {period}, in % (for example {example}).",
        line=line_name(line, t),
        period=quarter_name(draft.year, index, t),
        example=example(t),
    )


def cancel_keyboard(t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[button(t._("Cancel"), Action.CANCEL)]])


def confirm_text(draft: Draft, line: LineRoadmap, t: Translator) -> str:
    milestones = " · ".join(
        f"{quarter_name(draft.year, i, t)}: {rate_percent_text(rate, t.language)}"
        for i, rate in enumerate(draft.rates())
    )
    return t._(
        "New roadmap of {line}: {milestones}. Save it?",
        line=line_name(line, t),
        milestones=milestones,
    )


def confirm_keyboard(t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[button(t._("✅ Save"), Action.CONFIRM), button(t._("Cancel"), Action.CANCEL)]]
    )


def saved_text(catalogue: Catalogue, line: LineRoadmap, t: Translator) -> str:
    return t._(
        "Saved. The roadmap of {line} is now {roadmap}.",
        line=line_name(line, t),
        roadmap=roadmap_text(line.roadmap, catalogue.year, t),
    )


# --- the draft of custom milestones -----------------------------------------------------------


@dataclass(slots=True)
class Draft:
    unit: str
    line: str
    year: int
    values: list[Decimal]

    def to_json(self) -> dict[str, object]:
        return {
            "unit": self.unit,
            "line": self.line,
            "year": self.year,
            "values": [str(v) for v in self.values],
        }

    @classmethod
    def from_json(cls, value: object) -> Draft | None:
        if not isinstance(value, dict):
            return None
        try:
            return cls(
                str(value["unit"]),
                str(value["line"]),
                int(value["year"]),
                [Decimal(str(v)) for v in value["values"]],
            )
        except (KeyError, TypeError, ValueError, ArithmeticError):
            return None

    def rates(self) -> list[Fraction]:
        return [Fraction(value) / 100 for value in self.values]

    def setting(self) -> RoadmapSetting:
        return RoadmapSetting.custom(QUARTERLY[: len(self.values)], self.values)


def load_draft(context: Context) -> Draft | None:
    return Draft.from_json((context.user_data or {}).get(DRAFT_KEY))


def save_draft(context: Context, draft: Draft) -> None:
    assert context.user_data is not None
    context.user_data[DRAFT_KEY] = draft.to_json()


def drop_draft(context: Context) -> None:
    if context.user_data is not None:
        context.user_data.pop(DRAFT_KEY, None)


# --- fetching ---------------------------------------------------------------------------------


def catalogue_now(context: Context) -> Catalogue:
    return context.services.catalogues.for_year(now(context).month.year)


async def lines_of(context: Context, catalogue: Catalogue, unit: str) -> list[LineRoadmap]:
    async with context.services.database.unit_of_work() as uow:
        return await unit_roadmaps(uow.roadmaps, catalogue, unit)


async def line_of(
    context: Context, catalogue: Catalogue, unit: str, key: str
) -> LineRoadmap | None:
    return next(
        (line for line in await lines_of(context, catalogue, unit) if line.key == key), None
    )


async def save(
    context: Context,
    caller: Caller,
    catalogue: Catalogue,
    unit: str,
    key: str,
    setting: RoadmapSetting,
) -> LineRoadmap:
    """Save the setting; NotAllowedError when the caller may no longer plan the unit (read
    again in the transaction that writes)."""
    at: datetime = context.services.clock()
    async with context.services.database.unit_of_work() as uow:
        await authorise(
            uow,
            actor_of(caller, context),
            lambda person, is_admin: may_plan_unit(person, is_admin, unit, catalogue.units),
        )
        return await set_roadmap(
            uow, uow.roadmaps, catalogue, unit, key, setting, f"tg:{caller.telegram_id}", at
        )


# --- /roadmap and its buttons -----------------------------------------------------------------


async def show_overview(update: Update, context: Context, caller: Caller, unit: Unit) -> None:
    t = caller.t
    catalogue = catalogue_now(context)
    lines = await lines_of(context, catalogue, unit.code)
    planner = may_plan(caller, unit.code, catalogue.units)
    text = overview_text(catalogue, unit, lines, t, planner)
    keyboard = overview_keyboard(unit, lines, t) if planner and lines else None
    await show(update, text, keyboard)


@require_person
async def roadmap(update: Update, context: Context, caller: Caller) -> None:
    """/roadmap [unit]: the roadmap of each of the unit's lines for the current year."""
    tree = catalogue_now(context).units
    unit = await asked_unit(update, list(context.args or []), caller, tree)
    if unit is not None:
        await show_overview(update, context, caller, unit)


async def checked_press(update: Update, context: Context, caller: Caller) -> Press | None:
    """The press, if it parses and its unit may be planned by the presser; else answered."""
    query = update.callback_query
    assert query is not None
    t = caller.t
    press = parse(query.data)
    tree = catalogue_now(context).units
    if press is None or press.unit not in tree:
        await query.answer(stale(t), show_alert=True)
        return None
    if not may_see(caller, press.unit, tree):
        await query.answer(not_yours(t), show_alert=True)
        return None
    if press.action is not Action.OVERVIEW and not may_plan(caller, press.unit, tree):
        await query.answer(only_heads(t), show_alert=True)
        return None
    return press


@require_person
async def pressed(update: Update, context: Context, caller: Caller) -> None:
    """A button of the overview or of a line: show, or set an even roadmap."""
    press = await checked_press(update, context, caller)
    if press is None:
        return
    t = caller.t
    catalogue = catalogue_now(context)
    unit = catalogue.units.get(press.unit)
    if press.action is Action.OVERVIEW or press.line is None:
        await show_overview(update, context, caller, unit)
        return
    line = await line_of(context, catalogue, unit.code, press.line)
    if line is None:
        await say(update, stale(t))
        return
    if press.action in (Action.MONTHLY, Action.QUARTERLY):
        setting = (
            RoadmapSetting.even_monthly()
            if press.action is Action.MONTHLY
            else RoadmapSetting.even_quarterly()
        )
        try:
            line = await save(context, caller, catalogue, unit.code, line.key, setting)
        except NotAllowedError:
            await say(update, only_heads(t))
            return
        await show(update, saved_text(catalogue, line, t), back_keyboard(unit, t))
        return
    await show(update, line_text(catalogue, unit, line, t), line_keyboard(unit, line, t))


# --- custom milestones ------------------------------------------------------------------------


@require_person
async def custom_pressed(update: Update, context: Context, caller: Caller) -> State | None:
    """Custom, by quarter: ask the first quarter's milestone."""
    press = await checked_press(update, context, caller)
    if press is None or press.line is None:
        return None
    t = caller.t
    query = update.callback_query
    assert query is not None
    chat = update.effective_chat
    if chat is None or chat.type != ChatType.PRIVATE:
        await query.answer(
            t._("Milestones are typed in a private chat with me: send /roadmap there."),
            show_alert=True,
        )
        return None
    catalogue = catalogue_now(context)
    line = await line_of(context, catalogue, press.unit, press.line)
    if line is None:
        await query.answer(stale(t), show_alert=True)
        return None
    draft = Draft(press.unit, line.key, catalogue.year, [])
    save_draft(context, draft)
    await show(update, ask_text(draft, line, t), cancel_keyboard(t))
    return State.VALUE


async def draft_line(context: Context, draft: Draft) -> tuple[Catalogue, LineRoadmap] | None:
    catalogues = context.services.catalogues
    if draft.year not in catalogues.by_year:
        return None
    catalogue = catalogues.for_year(draft.year)
    if draft.unit not in catalogue.units:
        return None
    line = await line_of(context, catalogue, draft.unit, draft.line)
    return None if line is None else (catalogue, line)


async def value_typed(update: Update, context: Context) -> State | int | None:
    """A milestone typed: checked (a percentage, never below the one before, the last at the
    target at least); the next quarter's asked, or the whole reviewed."""
    caller = await identify_caller(update, context)
    message = update.effective_message
    draft = load_draft(context)
    if caller is None or message is None:
        return None
    t = caller.t
    found = None if draft is None else await draft_line(context, draft)
    if draft is None or found is None:
        drop_draft(context)
        await say(update, t._("This roadmap is no longer being edited: send /roadmap again."))
        return ConversationHandler.END
    _catalogue, line = found
    mark = decimal_mark(t)
    text = message.text or ""
    try:
        value = parse_percent(text, mark)
    except CountError as error:
        await say(update, problem_text(MilestoneProblem(error.reason), text, draft, line, t))
        return None
    previous = draft.values[-1] if draft.values else None
    last = len(draft.values) == len(QUARTERLY) - 1
    problem = check_milestone(value, previous, last=last, target=line.target)
    if problem is not None:
        await say(update, problem_text(problem, text, draft, line, t))
        return None
    draft.values.append(value)
    save_draft(context, draft)
    if not last:
        await message.reply_text(ask_text(draft, line, t), reply_markup=cancel_keyboard(t))
        return None
    await message.reply_text(confirm_text(draft, line, t), reply_markup=confirm_keyboard(t))
    return State.CONFIRM


def problem_text(
    problem: MilestoneProblem, text: str, draft: Draft, line: LineRoadmap, t: Translator
) -> str:
    previous = draft.values[-1] if draft.values else Decimal(0)
    return t._(
        PROBLEMS[problem],
        text=formatting.echo(text),
        example=example(t),
        mark=t._("comma") if decimal_mark(t) == "," else t._("point"),
        previous=texts.limit_text(previous, t.language),
        target=target_text(line, t),
    )


@require_person
async def confirm_pressed(update: Update, context: Context, caller: Caller) -> int | None:
    """Save: the presser's right is checked again, then the milestones are saved."""
    t = caller.t
    query = update.callback_query
    assert query is not None
    draft = load_draft(context)
    found = None if draft is None else await draft_line(context, draft)
    if draft is None or found is None or len(draft.values) != len(QUARTERLY):
        await query.answer(stale(t), show_alert=True)
        return None
    catalogue, line = found
    if not may_plan(caller, draft.unit, catalogue.units):
        drop_draft(context)
        await query.answer(only_heads(t), show_alert=True)
        return ConversationHandler.END
    try:
        saved = await save(context, caller, catalogue, draft.unit, line.key, draft.setting())
    except NotAllowedError:
        drop_draft(context)
        await query.answer(only_heads(t), show_alert=True)
        return ConversationHandler.END
    except RoadmapError:
        await query.answer(stale(t), show_alert=True)
        return None
    drop_draft(context)
    unit = catalogue.units.get(draft.unit)
    await show(update, saved_text(catalogue, saved, t), back_keyboard(unit, t))
    return ConversationHandler.END


async def cancel_pressed(update: Update, context: Context) -> int:
    """Cancel: the typed milestones are dropped; nothing was saved."""
    caller = await identify_caller(update, context)
    drop_draft(context)
    query = update.callback_query
    if caller is not None and query is not None:
        await query.answer()
        await show(update, caller.t._("Cancelled. Nothing was changed."), None)
    return ConversationHandler.END


async def cancel_command(update: Update, context: Context) -> int:
    drop_draft(context)
    caller = await identify_caller(update, context)
    if caller is not None:
        await say(update, caller.t._("Cancelled. Nothing was changed."))
    return ConversationHandler.END


async def unexpected(update: Update, context: Context) -> None:
    """Anything else while milestones are typed: say what is expected."""
    caller = await identify_caller(update, context)
    if caller is not None:
        await say(
            update,
            caller.t._(
                "I am waiting for a milestone in % (or press Save or Cancel). Send /cancel to"
                " stop."
            ),
        )


def conversation() -> ConversationHandler[Context]:
    cancel = CallbackQueryHandler[Context, object](cancel_pressed, pattern=f"^{PREFIX}:n$")
    with warnings.catch_warnings():
        # Buttons are checked against the draft in user_data, not tracked per message.
        warnings.filterwarnings("ignore", "If 'per_message=False'", PTBUserWarning)
        return ConversationHandler(
            entry_points=[CallbackQueryHandler(custom_pressed, pattern=f"^{PREFIX}:c:")],
            states={
                State.VALUE: [MessageHandler(TYPED, value_typed), cancel],
                State.CONFIRM: [
                    CallbackQueryHandler(confirm_pressed, pattern=f"^{PREFIX}:y$"),
                    cancel,
                ],
            },
            fallbacks=[
                CommandHandler("cancel", cancel_command),
                cancel_fallback(),
                cancel,
                MessageHandler(PRIVATE & ~f.COMMAND, unexpected),
            ],
            name="roadmap",
            persistent=True,
            allow_reentry=True,
        )


async def stale_draft_button(update: Update, context: Context) -> None:
    """Save or Cancel of a roadmap no longer being edited."""
    caller = await identify_caller(update, context)
    query = update.callback_query
    if caller is not None and query is not None:
        await query.answer(stale(caller.t), show_alert=True)


def handlers() -> list[BaseHandler[Any, Context, Any]]:
    """The custom-milestones conversation, /roadmap and its buttons."""
    return [
        conversation(),
        CommandHandler("roadmap", roadmap),
        CallbackQueryHandler(pressed, pattern=f"^{PREFIX}:[olmq]:"),
        CallbackQueryHandler(stale_draft_button, pattern=f"^{PREFIX}:[ync]"),
    ]
