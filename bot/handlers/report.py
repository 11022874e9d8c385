"""/report [unit] [period]: the provincial office's view of a report period: per level, the share
of units that reported and that reported by the deadline, the units not reported, and buttons to
the other report periods and to the ranking of each level's units (paged), with the scoring
preview. Every press edits the message and is authorised again.

Who may use it: administrators (every unit), and the heads and officials (not viewers) of a unit
with units below it: the province's own people see the province, a district's head or official
their district and its communes. Others are told it is not theirs and pointed to /deadlines;
strangers get the usual explanation and learn nothing of the units.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import report_view
from bot.access import Caller, require_person
from bot.callbacks import InvalidCallbackError
from bot.context import Context
from bot.handlers.status import find_unit, now, say, show, stale
from bot.report_view import MissingView, RankingView, ReportView
from i18n import texts
from i18n.translations import Translator
from kpi.access import Role
from kpi.catalogue import Catalogue
from kpi.period_words import split_period
from kpi.periods import Period
from kpi.units import Unit, UnitTree
from services.report import (
    default_report_period,
    ranking_levels,
    rankings,
    reporting_summary,
)

REPORTING_ROLES = frozenset({Role.HEAD, Role.MEMBER})


# --- who may see which report -----------------------------------------------------------------


def report_scopes(caller: Caller, tree: UnitTree) -> list[Unit]:
    """The units whose report the caller may see (with everything under them), highest first."""
    if caller.is_admin:
        return [tree.root]
    if caller.person is None:
        return []
    scopes = [
        tree.get(m.unit)
        for m in caller.person.memberships
        if m.role in REPORTING_ROLES and m.unit in tree and tree.children(m.unit)
    ]
    return sorted(scopes, key=lambda u: tree.interval(u.code)[0])


def may_report(caller: Caller, unit: str, tree: UnitTree) -> bool:
    """Whether the caller may see the report of `unit` (its code)."""
    if unit not in tree:
        return False
    return any(tree.is_within(unit, scope.code) for scope in report_scopes(caller, tree))


def not_for_you(t: Translator, tree: UnitTree) -> str:
    """Who may see it: the office, and the heads of the levels between the root and the leaves
    (named by the catalogue: "cấp huyện"), if the catalogue has any."""
    middle = dict.fromkeys(u.level for u in tree if u.parent is not None and tree.children(u.code))
    if not middle:
        return t._(
            "The reporting overview is for the Provincial People's Committee Office."
            " To see your unit's reports, send /deadlines."
        )
    return t._(
        "The reporting overview is for the Provincial People's Committee Office and the"
        " heads of the {levels}. To see your unit's reports, send /deadlines.",
        levels=", ".join(texts.level_name(level, t) for level in middle),
    )


def no_report_due(period: Period, catalogue: Catalogue, t: Translator) -> str:
    keys = ", ".join(p.key for p in catalogue.calendar.due_periods(catalogue.year))
    return t._(
        "No report is due for {period}. The reports are: {keys}.", period=period.key, keys=keys
    )


# --- the views --------------------------------------------------------------------------------


async def show_report(
    update: Update, context: Context, caller: Caller, unit_code: str, period: Period
) -> None:
    t = caller.t
    services = context.services
    catalogue = services.catalogues.for_year(period.year)
    root = catalogue.units.get(unit_code)
    async with services.database.unit_of_work() as uow:
        summary = await reporting_summary(
            uow, catalogue, root.code, period, now(context).today, services.settings.tzinfo
        )
    text = report_view.report_text(catalogue, summary, t)
    levels = ranking_levels(catalogue, root)
    missing = len(summary.not_reported)
    keyboard = report_view.report_keyboard(catalogue, root, period, levels, t, missing)
    await show(update, text, keyboard)


async def show_missing(
    update: Update, context: Context, caller: Caller, view: MissingView
) -> None:
    """A page of every unit not reported (the report lists the first few)."""
    t = caller.t
    services = context.services
    catalogue = services.catalogues.for_year(view.period.year)
    root = catalogue.units.get(view.unit)
    async with services.database.unit_of_work() as uow:
        summary = await reporting_summary(
            uow, catalogue, root.code, view.period, now(context).today, services.settings.tzinfo
        )
    text = report_view.missing_text(catalogue, summary, view.page, t)
    total = len(summary.not_reported)
    await show(update, text, report_view.missing_keyboard(root, view.period, total, view.page, t))


async def show_ranking(
    update: Update, context: Context, caller: Caller, view: RankingView
) -> None:
    t = caller.t
    services = context.services
    catalogue = services.catalogues.for_year(view.period.year)
    root = catalogue.units.get(view.unit)
    async with services.database.unit_of_work() as uow:
        ranked = await rankings(uow, catalogue, root.code, view.period, [view.level], t.language)
    entries = ranked.get(view.level, [])
    text = report_view.ranking_text(
        catalogue, root, view.period, view.level, entries, view.page, t
    )
    keyboard = report_view.ranking_keyboard(
        root, view.period, view.level, len(entries), view.page, t
    )
    await show(update, text, keyboard)


# --- the command and its buttons --------------------------------------------------------------


@require_person
async def report(update: Update, context: Context, caller: Caller) -> None:
    """/report [unit] [period]: the report due (or the period given) of the caller's scope."""
    t = caller.t
    catalogues = context.services.catalogues
    tree = catalogues.newest.units
    scopes = report_scopes(caller, tree)
    if not scopes:
        await say(update, not_for_you(t, tree))
        return
    args = list(context.args or [])
    period = default_report_period(catalogues.by_year, now(context).today)
    month = now(context).month
    typed, rest = split_period(args, month.year, month)
    if typed is not None:
        period, args = typed, rest
    catalogue = catalogues.for_year(period.year)
    if period.year not in catalogues.by_year or period not in catalogue.calendar.due_periods(
        period.year
    ):
        await say(update, no_report_due(period, catalogue, t))
        return
    unit = scopes[0]
    if args:
        found = find_unit(" ".join(args), caller, catalogue.units)
        if isinstance(found, str):
            await say(update, found)
            return
        if not may_report(caller, found.code, catalogue.units):
            await say(update, not_for_you(t, catalogue.units))
            return
        unit = found
    await show_report(update, context, caller, unit.code, period)


@require_person
async def report_pressed(update: Update, context: Context, caller: Caller) -> None:
    """A button of the report or a ranking: parsed, re-authorised, then the message is edited."""
    query = update.callback_query
    assert query is not None
    t = caller.t
    try:
        view = report_view.decode(query.data)
    except InvalidCallbackError:
        await query.answer(stale(t), show_alert=True)
        return
    catalogues = context.services.catalogues
    if view.period.year not in catalogues.by_year:
        await query.answer(stale(t), show_alert=True)
        return
    catalogue = catalogues.for_year(view.period.year)
    if not may_report(caller, view.unit, catalogue.units):
        # the same answer whether the unit exists or not: a forged button learns nothing
        refused = stale(t) if caller.is_admin else not_for_you(t, catalogue.units)
        await query.answer(refused, show_alert=True)
        return
    if view.period not in catalogue.calendar.due_periods(view.period.year):
        await query.answer(stale(t), show_alert=True)
        return
    if isinstance(view, ReportView):
        await show_report(update, context, caller, view.unit, view.period)
    elif isinstance(view, MissingView):
        await show_missing(update, context, caller, view)
    else:
        await show_ranking(update, context, caller, view)


def handlers() -> list[BaseHandler[Any, Context, Any]]:
    """The commands of this module, in the order they are tried."""
    return [
        CommandHandler("report", report),
        CallbackQueryHandler(report_pressed, pattern=report_view.PATTERN),
    ]
