"""/history: the latest revisions of a unit's figures (and of the units below it), newest first,
ten a page, with who, when, from where and why; buttons page and filter by unit below."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import render
from bot.access import Caller, require_person
from bot.callbacks import HistoryUnitsView, HistoryView, Prefix
from bot.context import Context
from bot.handlers.quick import with_fix_button
from bot.handlers.status import (
    asked_unit,
    catalogue_of,
    now,
    pressed,
    show,
    visible_parent,
)
from i18n import texts

MAX_PAGES = 50  # the history shown goes back 500 revisions; older ones are in the exports


async def show_history(
    update: Update, context: Context, caller: Caller, unit_code: str, page: int
) -> None:
    t = caller.t
    catalogue = catalogue_of(context, None)
    units = catalogue.units
    unit = units.get(unit_code)
    size = render.REVISIONS_PER_PAGE
    async with context.services.database.unit_of_work() as uow:
        revisions = await uow.figures.history(
            catalogue.with_predecessors([u.code for u in units.subtree(unit.code)]),
            limit=MAX_PAGES * size,
        )
    shown, page, pages = texts.paginate(revisions, page, size)
    text = render.history_text(catalogue, unit, shown, page, pages, t)
    keyboard = render.history_keyboard(
        catalogue, unit, now(context).report, page, pages, t, visible_parent(caller, unit, units)
    )
    if shown:  # the newest change shown: its figures may be corrected from here
        newest = shown[0]
        await show(
            update, text, with_fix_button(keyboard, context, caller, newest.unit, newest.period)
        )
        return
    await show(update, text, keyboard)


async def show_history_units(
    update: Update, context: Context, caller: Caller, view: HistoryUnitsView
) -> None:
    t = caller.t
    catalogue = catalogue_of(context, None)
    unit = catalogue.units.get(view.unit)
    children, page, pages = texts.paginate(
        catalogue.units.children(unit.code), view.page, render.UNITS_PER_PAGE
    )
    await show(
        update,
        render.history_units_text(catalogue, unit, page, pages, t),
        render.history_units_keyboard(unit, children, page, pages, t),
    )


@require_person
async def history(update: Update, context: Context, caller: Caller) -> None:
    """/history [unit]: the latest changes to the figures of the unit and the units below it."""
    tree = catalogue_of(context, None).units
    unit = await asked_unit(update, list(context.args or []), caller, tree)
    if unit is not None:
        await show_history(update, context, caller, unit.code, 0)


@require_person
async def history_pressed(update: Update, context: Context, caller: Caller) -> None:
    """A button of a history view: re-authorised, then the message is edited."""
    view = await pressed(update, context, caller)
    if isinstance(view, HistoryView):
        await show_history(update, context, caller, view.unit, view.page)
    elif isinstance(view, HistoryUnitsView):
        await show_history_units(update, context, caller, view)


def handlers() -> list[BaseHandler[Any, Context, Any]]:
    """The commands of this module, in the order they are tried."""
    prefixes = (Prefix.HISTORY, Prefix.HISTORY_UNITS)
    return [
        CommandHandler("history", history),
        CallbackQueryHandler(history_pressed, pattern=f"^(?:{'|'.join(prefixes)}):"),
    ]
