"""/status: a unit's attainment for the report due, with buttons to an indicator in full, to
other periods, to the units below and back to the parent; every press edits the message.

Also what the other read-only views (/history, /units) share: which unit a person may see,
which periods "now" means, showing a view (a new message for a command, an edit for a button)
and refusing a button politely.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import render
from bot.access import Caller, identify_caller, require_person
from bot.callbacks import (
    ChildrenView,
    DetailView,
    InvalidCallbackError,
    Prefix,
    StatusView,
    View,
    decode,
)
from bot.context import Context
from bot.handlers.quick import with_fix_button
from bot.sections_text import mine_text
from i18n import formatting, texts
from i18n.formatting import echo
from i18n.translations import Translator
from kpi.catalogue import Catalogue
from kpi.errors import AmbiguousUnitError, UnknownUnitError
from kpi.evaluation import Line
from kpi.period_words import split_period
from kpi.periods import Period, PeriodKind, cumulative_period
from kpi.units import Unit, UnitTree
from services.sections import Actor, overview
from services.status import YearToDate, unit_status, year_to_date
from services.subscriptions import subscriptions

# --- who may see what -------------------------------------------------------------------------


def may_see(caller: Caller, unit: str, tree: UnitTree) -> bool:
    """Administrators see every unit of the tree; members their units and those below."""
    if unit not in tree:
        return False
    if caller.is_admin:
        return True
    return caller.person is not None and caller.person.can_see(unit, tree)


def home_unit(caller: Caller, tree: UnitTree) -> Unit | None:
    """The unit a view starts from: the province for administrators, else their own unit."""
    if caller.is_admin:
        return tree.root
    home = caller.person.home_unit() if caller.person is not None else None
    return tree.get(home) if home is not None and home in tree else None


def visible_parent(caller: Caller, unit: Unit, tree: UnitTree) -> Unit | None:
    if unit.parent is None or not may_see(caller, unit.parent, tree):
        return None
    return tree.get(unit.parent)


def not_yours(t: Translator, caller: Caller | None = None, tree: UnitTree | None = None) -> str:
    """The unit is not the person's; "and the units below it" only when theirs has some."""
    person = None if caller is None else caller.person
    if person is not None and tree is not None:
        units = [m.unit for m in person.memberships if m.unit in tree]
        if units and not any(tree.children(code) for code in units):
            return t._("This unit is not one of yours: you can see your own unit.")
    return t._("This unit is not one of yours: you can see your own unit and the units below it.")


def find_unit(text: str, caller: Caller, tree: UnitTree) -> Unit | str:
    """The unit a person named (among those they may see), or what to tell them."""
    t = caller.t
    try:
        unit = tree.find(text)
    except AmbiguousUnitError as error:
        candidates = [u for u in error.candidates if may_see(caller, u.code, tree)]
        if len(candidates) == 1:
            return candidates[0]
        if not candidates:
            return not_yours(t, caller, tree)
        names = "\n".join(f"• {tree.describe(u.code, t.language)}: {u.code}" for u in candidates)
        return t._(
            "Several units are named “{name}”. Give the code of the one you mean:",
            name=echo(text),
        ) + ("\n" + names)
    except UnknownUnitError:
        return t._(
            "I do not know a unit named “{name}”. Give its name as written in the decision,"
            " or its code.",
            name=echo(text),
        )
    return unit if may_see(caller, unit.code, tree) else not_yours(t, caller, tree)


# --- which periods "now" means ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Now:
    """Today's reporting month, quarter, the cumulative report due and the year."""

    today: date
    month: Period
    covered: bool  # False: no loaded catalogue covers today; the newest year is shown

    @property
    def quarter(self) -> Period:
        return Period.quarter(self.month.year, self.month.quarter_number)

    @property
    def report(self) -> Period:
        """The cumulative report due this quarter: Q1, H1, 9M or the year."""
        return cumulative_period(self.month.year, self.month.quarter_number)

    @property
    def year(self) -> Period:
        return Period.whole_year(self.month.year)


def now(context: Context) -> Now:
    services = context.services
    today = services.clock().astimezone(services.settings.tzinfo).date()
    catalogues = services.catalogues
    month = catalogues.current_month(today)
    covered = catalogues.newest.calendar.month_of(today).year in catalogues.by_year
    return Now(today, month, covered)


def previous_quarter(period: Period) -> Period | None:
    number = period.quarter_number
    return Period.quarter(period.year, number - 1) if number > 1 else None


def period_choices(current: Now, shown: Period, t: Translator) -> list[render.PeriodChoice]:
    """This month, this quarter, the report due, the year so far and the quarter before (the
    one before the quarter shown, so that pressing it again goes further back)."""
    choices: list[render.PeriodChoice] = []
    seen: set[Period] = set()

    def offer(period: Period | None, label: str) -> None:
        if period is not None and period not in seen:
            seen.add(period)
            choices.append(render.PeriodChoice(period, label))

    offer(current.month, formatting.period_name(current.month, t))
    offer(current.quarter, formatting.period_name(current.quarter, t))
    offer(current.report, formatting.period_name(current.report, t))
    offer(current.year, t._("{period} so far", period=formatting.period_name(current.year, t)))
    base = shown if shown.kind is PeriodKind.QUARTER else current.quarter
    before = previous_quarter(base)
    if before is not None:
        offer(before, "◀ " + formatting.period_name(before, t, start=True))
    return choices


def no_such_year(period: Period, context: Context, t: Translator) -> str:
    years = ", ".join(str(year) for year in sorted(context.services.catalogues.by_year))
    return t._(
        "No targets are loaded for {year}: send /status with a period of {years},"
        " for example /status {example}.",
        year=period.year,
        years=years,
        example=max(context.services.catalogues.by_year),
    )


async def asked_period(
    update: Update, context: Context, caller: Caller, default: Period
) -> tuple[Period, list[str]] | None:
    """The period typed last ("quý 1", "2022-Q1"; else `default`) and the words before it; None
    (after saying why) when it is a year no catalogue is loaded for: "/status 2021"."""
    args = list(context.args or [])
    current = now(context)
    typed, rest = split_period(args, current.month.year, current.month)
    if typed is None:
        return default, args
    if typed.year not in context.services.catalogues.by_year:
        await say(update, no_such_year(typed, context, caller.t))
        return None
    return typed, rest


# --- showing a view ---------------------------------------------------------------------------


async def show(update: Update, text: str, keyboard: InlineKeyboardMarkup | None) -> None:
    """A command's answer as new messages (split if long, the buttons under the last); a
    button's answer as an edit of the message it was under."""
    query = update.callback_query
    if query is not None:
        await query.answer()
        try:
            await query.edit_message_text(texts.fit(text), reply_markup=keyboard)
        except BadRequest as error:
            if "not modified" not in str(error).lower():  # refresh with nothing new: fine
                raise
        return
    message = update.effective_message
    if message is None:
        return
    *first, last = texts.split_message(text)
    for chunk in first:
        await message.reply_text(chunk)
    await message.reply_text(last, reply_markup=keyboard)


async def say(update: Update, text: str) -> None:
    """A plain answer to a command (or a pressed button's alert)."""
    query = update.callback_query
    if query is not None:
        await query.answer(text[:200], show_alert=True)
        return
    if update.effective_message is not None:
        await update.effective_message.reply_text(text)


async def asked_unit(
    update: Update, words: list[str], caller: Caller, tree: UnitTree, default: Unit | None = None
) -> Unit | None:
    """The unit named by `words`, else `default`, else the caller's home unit; None (after
    telling the person why) when it is unknown, ambiguous or not theirs."""
    if words:
        found = find_unit(" ".join(words), caller, tree)
        if isinstance(found, str):
            await say(update, found)
            return None
        return found
    unit = default or home_unit(caller, tree)
    if unit is None:
        await say(update, not_yours(caller.t))
    return unit


def stale(t: Translator) -> str:
    return t._("This button is no longer valid. Send the command again for a fresh view.")


async def pressed(update: Update, context: Context, caller: Caller) -> View | None:
    """The view a button asks for, if it parses and names a unit the presser may see; else
    the press is answered (an alert) and nothing changes."""
    query = update.callback_query
    assert query is not None
    t = caller.t
    try:
        view = decode(query.data)
    except InvalidCallbackError:
        await query.answer(stale(t), show_alert=True)
        return None
    catalogues = context.services.catalogues
    period = getattr(view, "period", None)
    if isinstance(period, Period) and period.year not in catalogues.by_year:
        await query.answer(stale(t), show_alert=True)
        return None
    tree = catalogue_of(context, period).units
    if not may_see(caller, view.unit, tree):
        # the same answer whether the unit exists or not: a forged button learns nothing
        text = stale(t) if caller.is_admin else not_yours(t, caller, tree)
        await query.answer(text, show_alert=True)
        return None
    return view


def catalogue_of(context: Context, period: Period | None) -> Catalogue:
    catalogues = context.services.catalogues
    return catalogues.newest if period is None else catalogues.for_year(period.year)


# --- /status ----------------------------------------------------------------------------------


async def lines_of(
    context: Context, catalogue: Catalogue, unit: str, period: Period
) -> list[Line]:
    # one statement: no transaction needed around it (on PostgreSQL no BEGIN, no ROLLBACK)
    async with context.services.database.autocommit() as uow:
        return await unit_status(uow, catalogue, unit, period)


async def year_so_far(
    context: Context, catalogue: Catalogue, unit: str, month: Period
) -> YearToDate:
    """The unit's year so far with the pace of each line (Article 2.1's roadmap)."""
    async with context.services.database.unit_of_work() as uow:
        return await year_to_date(uow, uow.roadmaps, catalogue, unit, month)


async def show_status(
    update: Update, context: Context, caller: Caller, unit_code: str, period: Period
) -> None:
    t = caller.t
    current = now(context)
    catalogue = catalogue_of(context, period)
    unit = catalogue.units.get(unit_code)
    paces = None
    if period.kind is PeriodKind.YEAR and current.covered and period.year == current.month.year:
        ytd = await year_so_far(context, catalogue, unit.code, current.month)
        lines, paces = ytd.lines, ytd.paces
    else:
        lines = await lines_of(context, catalogue, unit.code, period)
    note = None if current.covered else render.year_note(current.today.year, period.year, t)
    text = render.status_text(catalogue, unit, period, lines, t, note, paces)
    mine = await my_targets(context, caller, catalogue, unit.code)
    if mine is not None:  # an official's own targets first, then the unit (Article 2.1)
        text = f"{mine}\n\n{text}"
    keyboard = render.status_keyboard(
        catalogue,
        unit,
        period,
        lines,
        period_choices(current, period, t),
        t,
        visible_parent(caller, unit, catalogue.units),
    )
    await show(update, text, with_fix_button(keyboard, context, caller, unit.code, period))


async def my_targets(
    context: Context, caller: Caller, catalogue: Catalogue, unit: str
) -> str | None:
    """The caller's own targets this quarter, when bound to the unit and given some."""
    if caller.person is None or not any(m.unit == unit for m in caller.person.memberships):
        return None
    quarter = now(context).quarter
    if quarter.year != catalogue.year:
        return None
    async with context.services.database.autocommit() as uow:  # one query when none is set
        if not await uow.sections.targets(unit, quarter.year):
            return None
    actor = Actor(caller.telegram_id, caller.name, caller.is_admin)
    view = await overview(context.services.database.unit_of_work, catalogue, actor, unit, quarter)
    if not (view.mine or view.my_rates):
        return None
    return mine_text(catalogue, view, caller.t)


@require_person
async def status(update: Update, context: Context, caller: Caller) -> None:
    """/status [unit] [period]: the unit's lines for the report due (or the period given)."""
    current = now(context)
    asked = await asked_period(update, context, caller, current.report)
    if asked is None:
        return
    period, args = asked
    tree = catalogue_of(context, period).units
    followed = None if args else await group_unit(update, context, caller, tree)
    unit = await asked_unit(update, list(args), caller, tree, followed)
    if unit is not None:
        await show_status(update, context, caller, unit.code, period)


async def group_unit(
    update: Update, context: Context, caller: Caller, tree: UnitTree
) -> Unit | None:
    """In a group, the unit the group follows (the first the caller may see): /status there
    is about it, not about the caller's own unit. None in a private chat."""
    chat = update.effective_chat
    if chat is None or chat.type not in {"group", "supergroup"}:
        return None
    followed = await subscriptions(context.services.database.unit_of_work, chat.id)
    seen = [code for code in followed if may_see(caller, code, tree)]
    return tree.get(seen[0]) if seen else None


async def show_detail(update: Update, context: Context, caller: Caller, view: DetailView) -> None:
    t = caller.t
    catalogue = catalogue_of(context, view.period)
    if view.indicator not in catalogue.indicators:
        await say(update, stale(t))
        return
    unit = catalogue.units.get(view.unit)
    indicator = catalogue.indicators[view.indicator]
    lines = [
        line
        for line in await lines_of(context, catalogue, unit.code, view.period)
        if line.indicator.code == indicator.code
    ]
    text = render.detail_text(catalogue, unit, view.period, indicator, lines, t)
    keyboard = render.detail_keyboard(unit, view.period, t, indicator.code)
    await show(update, text, with_fix_button(keyboard, context, caller, unit.code, view.period))


async def show_children(
    update: Update, context: Context, caller: Caller, view: ChildrenView
) -> None:
    t = caller.t
    catalogue = catalogue_of(context, view.period)
    unit = catalogue.units.get(view.unit)
    children, page, pages = texts.paginate(
        catalogue.units.children(unit.code), view.page, render.UNITS_PER_PAGE
    )
    summaries = []
    # a statement per child, each child's standing consistent in itself
    async with context.services.database.autocommit() as uow:
        for child in children:
            lines = await unit_status(uow, catalogue, child.code, view.period)
            summaries.append((child, texts.summarise(lines)))
    text = render.children_text(catalogue, unit, view.period, summaries, page, pages, t)
    await show(
        update, text, render.children_keyboard(unit, view.period, summaries, page, pages, t)
    )


@require_person
async def status_pressed(update: Update, context: Context, caller: Caller) -> None:
    """A button of a status view: re-authorised, then the message is edited."""
    view = await pressed(update, context, caller)
    if isinstance(view, StatusView):
        await show_status(update, context, caller, view.unit, view.period)
    elif isinstance(view, DetailView):
        await show_detail(update, context, caller, view)
    elif isinstance(view, ChildrenView):
        await show_children(update, context, caller, view)


async def stale_button(update: Update, context: Context) -> None:
    """A button no handler took (an older version's, or forged): say it is no longer valid."""
    query = update.callback_query
    caller = await identify_caller(update, context)
    if query is None or caller is None:
        return
    await query.answer(stale(caller.t), show_alert=True)


def handlers() -> list[BaseHandler[Any, Context, Any]]:
    """The commands of this module, in the order they are tried."""
    prefixes = (Prefix.STATUS, Prefix.DETAIL, Prefix.CHILDREN)
    return [
        CommandHandler("status", status),
        CallbackQueryHandler(status_pressed, pattern=f"^(?:{'|'.join(prefixes)}):"),
    ]


def fallbacks() -> list[BaseHandler[Any, Context, Any]]:
    """Tried after every module: a button nobody recognised."""
    return [CallbackQueryHandler(stale_button)]
